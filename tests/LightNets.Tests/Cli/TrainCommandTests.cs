using System.Text.Json.Nodes;
using LightNets.Cli.Engines;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Tests.Training.Data;
using LightNets.Tests.Training.Trainer;
using LightNets.Training.Data;
using LightNets.Training.Trainer;
using LightNets.Cli.Commands;

namespace LightNets.Tests.Cli;

/// <summary><c>lightnets train</c> and <c>evaluate</c> end to end, in seconds: a real Fashion-MNIST run, fine-tuning, errors.</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _root = TrainerKit.TempDirectory("train-cli");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Dir(string name) => Path.Combine(_root, name);

    private static string[] Short(string data, string output, params string[] more) =>
        ["train", TrainerKit.Model, "--small-input", "--data", data, "--epochs", "2", "--batch", "32", "--threads", "2", "--out", output, "-q", .. more];

    /// <summary>
    /// 640 Fashion-MNIST images, 3 epochs: well above chance (10 %) on 500 test images; best.onnx runs in ONNX Runtime
    /// as in LightNets and `evaluate` scores it as validation did.
    /// </summary>
    [FashionMnistFact]
    public void ShortFashionMnistRunLearnsAndItsExportRunsEverywhere()
    {
        var output = Dir("fmnist");
        var run = CliRunner.Run(["train", TrainerKit.Model, "--small-input", "--data", FashionMnist.DefaultDirectory, "--train-subset", "640", "--val-subset", "500",
            "--epochs", "3", "--batch", "32", "--threads", "2", "--out", output, "-q"]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("Fashion-MNIST training set", run.Stdout);
        var epochs = JsonNode.Parse(File.ReadAllText(Path.Combine(output, TrainingRun.MetricsJsonFileName)))!["epochs"]!.AsArray();
        Assert.Equal(3, epochs.Count);
        var top1 = epochs.Max(e => e!["val_top1"]!.GetValue<double>());
        Assert.True(top1 > 0.35, $"validation top-1 {top1} after 3 short epochs (chance 0.1)");
        Assert.True(File.Exists(Path.Combine(output, TrainCommand.ChartFileName)));
        Assert.Equal(FashionMnist.ClassNames, File.ReadAllLines(Path.Combine(output, TrainCommand.LabelsFileName)));

        var best = Path.Combine(output, TrainingRun.BestModelFileName);
        var graph = OnnxImporter.Load(best, new OnnxImportOptions { Batch = 2 });
        var x = new Rng(3).NormalTensor(graph.Input.Shape.ToArray());
        using var session = new InferenceSession(graph);
        var ours = session.Run(x);
        using var ort = new OnnxRuntimeEngine(File.ReadAllBytes(best));
        var theirs = ort.Run(x);
        var scale = ours.Data.Max(MathF.Abs);
        for (var i = 0; i < ours.Data.Length; i++) Assert.True(MathF.Abs(ours.Data[i] - theirs.Data[i]) <= 1e-4f * scale, $"logit {i}: {ours.Data[i]} vs {theirs.Data[i]}");

        var evaluate = CliRunner.Run("evaluate", best, "--data", FashionMnist.DefaultDirectory, "--limit", "300", "--threads", "2", "--format", "json",
            "--confusion", Path.Combine(output, "confusion.png"));
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        var scored = JsonNode.Parse(evaluate.Stdout)!;
        Assert.Equal(300, scored["images"]!.GetValue<long>());
        Assert.True(scored["top1"]!.GetValue<double>() > 0.35);
        Assert.Equal("T-shirt/top", scored["classes"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(10, scored["confusion"]!.AsArray().Count);
        Assert.True(new FileInfo(Path.Combine(output, "confusion.png")).Length > 1000);
    }

    [Fact]
    public void EvaluateGivesTheValidationFiguresOfTheRunAndATable()
    {
        var data = TrainerKit.WriteIdxDirectory(Dir("data"));
        var output = Dir("run");
        var run = CliRunner.Run(Short(data, output, "--seed", "4"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        var last = JsonNode.Parse(File.ReadAllText(Path.Combine(output, TrainingRun.MetricsJsonFileName)))!["epochs"]!.AsArray()[^1]!;
        var evaluate = CliRunner.Run("evaluate", Path.Combine(output, TrainingRun.FinalModelFileName), "--data", data, "--threads", "2", "--format", "json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        var scored = JsonNode.Parse(evaluate.Stdout)!;
        Assert.Equal(128, scored["images"]!.GetValue<long>());
        Assert.InRange(scored["top1"]!.GetValue<double>() * 128, last["val_top1"]!.GetValue<double>() * 128 - 1.01, last["val_top1"]!.GetValue<double>() * 128 + 1.01);
        var table = CliRunner.Run("evaluate", Path.Combine(output, TrainingRun.FinalModelFileName), "--data", data, "--threads", "2");
        Assert.Contains("per class", table.Stdout);
        Assert.Contains("confusion matrix", table.Stdout);
    }

    /// <summary>--from keeps the file's weights; --freeze-backbone trains only the classifier (a new class count: FineTuningTests).</summary>
    [Fact]
    public void FineTuningWithAFrozenBackboneChangesOnlyTheClassifier()
    {
        var ten = TrainerKit.WriteIdxDirectory(Dir("ten"));
        var source = Dir("source");
        Assert.Equal(0, CliRunner.Run(Short(ten, source)).ExitCode);
        var tuned = Dir("tuned");
        var from = Path.Combine(source, TrainingRun.FinalModelFileName);
        var run = CliRunner.Run(Short(ten, tuned, "--from", from, "--freeze-backbone", "--seed", "5"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("matched by name; backbone frozen", run.Stdout);
        Assert.DoesNotContain("replaced", run.Stdout);
        var before = OnnxImporter.Load(from);
        var after = OnnxImporter.Load(Path.Combine(tuned, TrainingRun.FinalModelFileName));
        var head = ClassifierHead.Find(after);
        var compared = 0;
        foreach (var (name, tensor) in after.Initializers)
        {
            if (head.Parameters.Contains(name) || !before.Initializers.TryGetValue(name, out var old)) continue;
            Assert.True(old.Data.SequenceEqual(tensor.Data), $"{name} changed with a frozen backbone");
            compared++;
        }
        Assert.True(compared > 20, $"only {compared} backbone tensors compared");
        Assert.False(ClassifierHead.Find(before).Parameters.Select(n => before.Initializers[n].Data).SequenceEqual(head.Parameters.Select(n => after.Initializers[n].Data)));
    }

    /// <summary>Every optimizer and schedule is reachable by the name help shows (rmsprop-tf's hyphen included).</summary>
    [Fact]
    public void EveryOptimizerAndScheduleNameParses()
    {
        var root = LightNets.Cli.LightNetsCli.CreateRoot(TextWriter.Null, TextWriter.Null);
        foreach (var (option, names) in new[] { ("--optimizer", new[] { "sgd", "rmsprop-tf", "rmsprop", "adamw" }), ("--schedule", ["constant", "step", "exp", "cosine", "linear", "onecycle"]) })
            foreach (var name in names)
                Assert.Empty(root.Parse(["train", TrainerKit.Model, "--data", "d", option, name]).Errors);
    }

    [Fact]
    public void MistakesGetOneLineAndNothingIsLost()
    {
        var data = TrainerKit.WriteIdxDirectory(Dir("data"));
        var output = Dir("out");
        void Fails(string[] args, string message, int code = 1)
        {
            var r = CliRunner.Run(args);
            Assert.True(r.ExitCode == code, $"exit {r.ExitCode} for {string.Join(" ", args)}: {r.Stderr}");
            Assert.StartsWith("lightnets: error: ", r.Stderr);
            Assert.Contains(message, r.Stderr);
        }

        Fails(Short(data, output, "--resume"), "no checkpoint to resume");
        Assert.Equal(0, CliRunner.Run(Short(data, output)).ExitCode);
        var final = File.ReadAllBytes(Path.Combine(output, TrainingRun.FinalModelFileName));
        Fails(Short(data, output), "already holds a run");
        Fails(Short(data, output, "--resume", "--lr", "0.3"), "another run");
        Assert.Equal(final, File.ReadAllBytes(Path.Combine(output, TrainingRun.FinalModelFileName)));

        var fresh = Dir("fresh");
        Fails(Short(data, fresh, "--freeze-backbone"), "--from");
        Fails(Short(data, fresh, "--val", data, "--val-split", "0.2"), "give one");
        Fails(Short(data, fresh, "--val-split", "0"), "strictly between 0 and 1");
        Fails(Short(data, fresh, "--val-split", "1.5"), "--val-split must be 0 to 1", code: 2);
        Fails(Short(Path.Combine(_root, "missing"), fresh), "no such data directory");
        Fails(Short(data, fresh, "--classes", "5"), "does not match the data's 10 classes");
        Fails(Short(data, fresh, "--from", Path.Combine(_root, "none.onnx")), "no such file to fine-tune from");
        Fails(Short(data, fresh, "--lr", "-1"), "learning rate");
        Fails(Short(data, fresh, "--nesterov", "--optimizer", "adamw"), "Nesterov");
        Fails(Short(data, fresh, "--optimizer", "rmsproptf"), "--optimizer takes sgd, rmsprop-tf, rmsprop or adamw, not 'rmsproptf'", code: 2);
        Fails(Short(data, fresh, "--schedule", "onecycle", "--warmup-epochs", "1"), "one-cycle");
        Fails([.. Short(data, fresh).Select(a => a == "32" ? "1000" : a)], "no full batch");
        Fails(Short(data, Path.Combine(output, TrainingRun.FinalModelFileName)), "--out");
        Fails(["train", Path.Combine(output, TrainingRun.FinalModelFileName), "--data", data], "give the zoo model it was made from");
        Fails(Short(data, fresh, "--from", Path.Combine(output, TrainingRun.FinalModelFileName)).Select(a => a == TrainerKit.Model ? "shufflenetv2_050" : a).ToArray(),
            "do not fit");
        Fails(["evaluate", Path.Combine(output, TrainingRun.FinalModelFileName), "--data", Path.Combine(_root, "missing")], "no such data directory");
        // Labels beyond the data set's classes (IDX files hold no class names: 10 unless given).
        var twelve = TrainerKit.WriteIdxDirectory(Dir("twelve"), classes: 12);
        Fails(Short(twelve, fresh), "out of range for 10 classes");
        Fails(["evaluate", Path.Combine(output, TrainingRun.FinalModelFileName), "--data", twelve], "out of range for 10 classes");
        Assert.False(Directory.Exists(fresh) && Directory.GetFiles(fresh, "*.onnx").Length > 0);
    }
}
