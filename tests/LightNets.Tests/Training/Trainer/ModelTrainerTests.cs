using LightNets.Imaging;
using LightNets.Onnx;
using LightNets.Training.Checkpoints;
using LightNets.Training.Data;
using LightNets.Training.Data.Transforms;
using LightNets.Training.Trainer;

namespace LightNets.Tests.Training.Trainer;

/// <summary>The trainer on small synthetic data: it learns, reruns are bit-identical, a stopped run resumes exactly.</summary>
public sealed class ModelTrainerTests : IDisposable
{
    private readonly string _root = TrainerKit.TempDirectory("trainer");
    private readonly string _data;

    public ModelTrainerTests() => _data = TrainerKit.WriteIdxDirectory(Path.Combine(_root, "data"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (int[] Bits, IReadOnlyList<EpochMetrics> History) Train(string name, TrainerOptions options)
    {
        using var trainer = new ModelTrainer(TrainerKit.Run(_data, Path.Combine(_root, name), options));
        trainer.Run();
        return (TrainerKit.Bits(trainer), trainer.History);
    }

    [Fact]
    public void LearnsAndWritesItsFiles()
    {
        var (_, history) = Train("learn", TrainerKit.Options(epochs: 3));
        Assert.Equal([1, 2, 3], history.Select(h => h.Epoch));
        Assert.Equal(3 * 8, history[^1].Step); // 256 images, batch 32
        // Ten classes: chance is 10 %. Two dozen steps double it in training; validation, through BatchNorm's running
        // statistics, lags behind that early (the Fashion-MNIST run in TrainCommandTests checks it learns).
        Assert.True(history[^1].TrainAccuracy > 0.2, $"training accuracy after 3 epochs: {history[^1].TrainAccuracy}");
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss - 0.2, $"the training loss did not fall: {history[0].TrainLoss} → {history[^1].TrainLoss}");
        Assert.All(history, h => Assert.InRange(h.ValidationTop1!.Value, 0, 1));
        var dir = Path.Combine(_root, "learn");
        foreach (var file in new[] { TrainingRun.CheckpointFileName, TrainingRun.MetricsCsvFileName, TrainingRun.MetricsJsonFileName, TrainingRun.BestModelFileName, TrainingRun.FinalModelFileName })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(dir, TrainingRun.MetricsCsvFileName)).Length);
        Assert.Empty(Directory.GetFiles(dir, "*.partial"));
    }

    [Fact]
    public void SameSeedAndThreadsAreBitIdenticalAndAnotherSeedIsNot()
    {
        var a = Train("a", TrainerKit.Options());
        var b = Train("b", TrainerKit.Options());
        var c = Train("c", TrainerKit.Options() with { Seed = 8 });
        Assert.Equal(a.Bits, b.Bits);
        Assert.Equal(a.History.Select(h => (h.TrainLoss, h.ValidationTop1, h.ValidationLoss)), b.History.Select(h => (h.TrainLoss, h.ValidationTop1, h.ValidationLoss)));
        Assert.NotEqual(a.Bits, c.Bits);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_root, "a", TrainingRun.FinalModelFileName)), File.ReadAllBytes(Path.Combine(_root, "b", TrainingRun.FinalModelFileName)));
    }

    /// <summary>Stops a run after <paramref name="stopAfter"/> steps (as a kill would), resumes it, and compares with a run never stopped.</summary>
    [Theory]
    [InlineData(3, 5)]  // mid-epoch checkpoint at step 3, stopped at 5: resumes inside epoch 1
    [InlineData(0, 10)] // epoch-end checkpoint at step 8, stopped at 10: redoes the start of epoch 2
    public void StoppedAndResumedEndsBitIdentical(int checkpointSteps, int stopAfter)
    {
        var options = TrainerKit.Options() with { CheckpointSteps = checkpointSteps, EmaDecay = 0.99, LabelSmoothing = 0.1f, ClipGradNorm = 5 };
        var whole = Train("whole", options);

        var dir = Path.Combine(_root, "stopped");
        using (var cancel = new CancellationTokenSource())
        using (var trainer = new ModelTrainer(TrainerKit.Run(_data, dir, options)))
        {
            var monitor = new StopAfter(stopAfter, cancel);
            Assert.ThrowsAny<OperationCanceledException>(() => trainer.Run(monitor, cancel.Token));
            Assert.Equal(stopAfter, trainer.StepsDone);
        }
        Assert.False(File.Exists(Path.Combine(dir, TrainingRun.FinalModelFileName)));
        using (var resumed = new ModelTrainer(TrainerKit.Run(_data, dir, options, resume: true)))
        {
            Assert.Equal(checkpointSteps > 0 ? 3 : 8, resumed.StepsDone);
            resumed.Run();
            Assert.Equal(whole.Bits, TrainerKit.Bits(resumed));
            Assert.Equal(whole.History.Select(h => (h.Step, h.TrainLoss, h.TrainAccuracy, h.ValidationTop1, h.ValidationLoss)),
                resumed.History.Select(h => (h.Step, h.TrainLoss, h.TrainAccuracy, h.ValidationTop1, h.ValidationLoss)));
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(_root, "whole", TrainingRun.FinalModelFileName)), File.ReadAllBytes(Path.Combine(dir, TrainingRun.FinalModelFileName)));
    }

    private sealed class StopAfter(int steps, CancellationTokenSource cancel) : TrainingMonitor
    {
        private int _seen;

        public override void Step(in StepProgress progress)
        {
            if (++_seen == steps) cancel.Cancel();
        }
    }

    [Fact]
    public void ResumeRefusesAMissingCheckpointAndAnotherRunsOne()
    {
        var dir = Path.Combine(_root, "resume");
        var missing = Assert.Throws<CheckpointException>(() => new ModelTrainer(TrainerKit.Run(_data, dir, TrainerKit.Options(1), resume: true)));
        Assert.Contains("no checkpoint to resume", missing.Message);
        using (var trainer = new ModelTrainer(TrainerKit.Run(_data, dir, TrainerKit.Options(1)))) trainer.Run();
        var other = Assert.Throws<CheckpointMismatchException>(() =>
            new ModelTrainer(TrainerKit.Run(_data, dir, TrainerKit.Options(1) with { Optimizer = new OptimizerSettings { LearningRate = 0.2 } }, resume: true)));
        Assert.Contains("optimizer", other.Message);
        Assert.Contains("0.2", other.Message);
        // A finished run resumes to nothing left to do and exports final.onnx again.
        using var done = new ModelTrainer(TrainerKit.Run(_data, dir, TrainerKit.Options(1), resume: true));
        Assert.Equal(1, done.EpochsDone);
        done.Run();
        Assert.Single(done.History);
    }

    /// <summary>
    /// best.onnx takes what classify gives (RGB, ImageNet normalisation, the image at its own 28×28) and scores the
    /// validation set as validation did: the input adapter and the stem's padding reproduce the training normalisation
    /// and the centre crop of the padded image.
    /// </summary>
    [Fact]
    public void TheExportScoresTheValidationSetAsValidationDid()
    {
        var (_, history) = Train("export", TrainerKit.Options(epochs: 2));
        var best = history.MaxBy(h => h.ValidationTop1!.Value)!;
        var path = Path.Combine(_root, "export", TrainingRun.BestModelFileName);
        var graph = OnnxImporter.Load(path, new OnnxImportOptions { Batch = 1 });
        Assert.Equal([1, 3, 28, 28], graph.Input.Shape.ToArray());
        var metadata = ModelExport.ReadMetadata(path);
        Assert.Equal("28", metadata[ModelExport.ClassifyResizeKey]);
        Assert.Equal(Enumerable.Range(0, 10).Select(c => c.ToString()), ModelExport.ClassNames(metadata)!);
        var test = IdxDataset.LoadDirectory(_data, "t10k");
        var result = Evaluator.Run(graph, test, new ImagePipeline(new Preprocess(Preprocessing.ForInput(28))), 64, 2);
        Assert.Equal(test.Count, result.Images);
        // Rounding differs (luma of the replicated grey, the adapter's 1×1 conv): at most one image may change its answer.
        Assert.InRange(result.Top1Correct, (long)Math.Round(best.ValidationTop1!.Value * test.Count) - 1, (long)Math.Round(best.ValidationTop1.Value * test.Count) + 1);
        Assert.Equal(best.ValidationLoss!.Value, result.Loss, 2e-3);
    }
}
