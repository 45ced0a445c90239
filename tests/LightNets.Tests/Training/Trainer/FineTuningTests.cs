using System.Text.Json.Nodes;
using LightNets.Models;
using LightNets.Onnx;
using LightNets.Tests.Training.Data;
using LightNets.Training.Data;
using LightNets.Training.Trainer;

namespace LightNets.Tests.Training.Trainer;

/// <summary>Starting from trained weights: the backbone kept, a classifier for another class count replaced, a frozen backbone left alone.</summary>
public sealed class FineTuningTests : IDisposable
{
    private readonly string _root = TrainerKit.TempDirectory("finetune");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string TrainedFile()
    {
        var data = TrainerKit.WriteIdxDirectory(Path.Combine(_root, "data"));
        using var trainer = new ModelTrainer(TrainerKit.Run(data, Path.Combine(_root, "source"), TrainerKit.Options(epochs: 1)));
        trainer.Run();
        return Path.Combine(_root, "source", TrainingRun.FinalModelFileName);
    }

    [Fact]
    public void ANewClassCountGetsAFreshClassifierAndAFrozenBackboneStaysPut()
    {
        var path = TrainedFile();
        var start = FineTuning.Load(k => TrainerKit.BuildModel(k, seed: 9), 4, path);
        Assert.True(start.ByName);
        Assert.True(start.ClassifierReplaced);
        Assert.Equal(10, start.FileClasses);
        Assert.Equal(Enumerable.Range(0, 10).Select(c => c.ToString()), start.FileClassNames!);
        var file = OnnxImporter.Load(path);
        var head = ClassifierHead.Find(start.Graph);
        Assert.Equal(4, head.Classes);
        var backbone = start.Graph.Initializers.Keys.Where(n => !head.Parameters.Contains(n) && file.Initializers.ContainsKey(n)).ToArray();
        Assert.True(backbone.Length > 20);
        Assert.All(backbone, n => Assert.Equal(file.Initializers[n].Data, start.Graph.Initializers[n].Data));

        var data = FakeDataset.Cycling(96, new ImageShape(1, 28, 28), classes: 4);
        using var trainer = new ModelTrainer(new TrainingRun
        {
            Model = start.Graph, Description = new JsonObject { ["model"] = TrainerKit.Model }, Train = data, Recipe = DataRecipe.For(data, 1, 32),
            Options = TrainerKit.Options(epochs: 1), Directory = Path.Combine(_root, "tuned"), FreezeBackbone = true,
        });
        Directory.CreateDirectory(Path.Combine(_root, "tuned"));
        trainer.Run();
        foreach (var p in trainer.Session.Parameters)
        {
            var initial = start.Graph.Initializers[p.Name].Data;
            if (head.Parameters.Contains(p.Name)) Assert.NotEqual(initial, p.Value);
            else Assert.Equal(initial, p.Value);
        }
        // BatchNorm of a frozen backbone runs in evaluation mode: its running statistics stay too.
        Assert.All(trainer.Session.Buffers, b => Assert.Equal(start.Graph.Initializers[b.Name].Data, b.Value));
    }

    [Fact]
    public void WeightsOfAnotherModelAreRefusedByName()
    {
        var path = TrainedFile();
        var e = Assert.Throws<FineTuningException>(() => FineTuning.Load(
            k => ModelZoo.Build("shufflenetv2_050", new ModelOptions { SmallInput = true, InputChannels = 1, Resolution = 32, Classes = k }), 10, path));
        Assert.Contains("do not fit", e.Message);
        Assert.Throws<FineTuningException>(() => FineTuning.Load(k => TrainerKit.BuildModel(k), 10, Path.Combine(_root, "none.onnx")));
    }
}
