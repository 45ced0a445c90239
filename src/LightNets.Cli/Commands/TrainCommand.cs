using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using LightNets.Cli.Output;
using LightNets.Cli.Output.Charts;
using LightNets.Cost;
using LightNets.Graphs;
using LightNets.Models;
using LightNets.Training.Data;
using LightNets.Training.Trainer;

namespace LightNets.Cli.Commands;

/// <summary>
/// <c>lightnets train MODEL --data PATH</c>: trains a zoo model on the CPU, validating after each epoch, with metrics
/// (CSV, JSON, PNG), a checkpoint each epoch, best.onnx and final.onnx in <c>--out</c>; <c>--resume</c> continues a run.
/// </summary>
internal static class TrainCommand
{
    public const string ChartFileName = "metrics.png";
    public const string LabelsFileName = "labels.txt";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new ModelSelection(weights: false, batch: false, classesDefault: "default: the data's class count; another value is refused");
        var o = new TrainOptions();
        var command = new ModelCommand("train",
            "Train a zoo model on the CPU: Fashion-MNIST/MNIST (IDX), CIFAR-10 (binary) or an image folder. Validates after each epoch, " +
            "writes metrics (CSV, JSON, PNG), a checkpoint each epoch (atomically), best.onnx and final.onnx (RGB input with ImageNet's " +
            "normalisation, as `lightnets classify` gives it). Same seed and threads: bit-identical runs; --resume continues exactly.", model);
        o.AddTo(command);
        command.SetAction(p => Run(p, model, o, stdout, stderr));
        return command;
    }

    private static int Run(ParseResult p, ModelSelection selection, TrainOptions o, TextWriter stdout, TextWriter stderr)
    {
        var name = p.GetValue(selection.Model)!;
        if (ModelSource.IsOnnxFile(name))
            throw new CliUsageException($"train builds a zoo model; to start from the weights of {name}, give the zoo model it was made from and --from {name}");
        var options = o.TrainerOptions(p);
        options.Validate();
        var outDir = OutputPath.Directory(p.GetValue(o.Out) ?? Path.Combine("runs", name), "--out");
        var resume = p.GetValue(o.Resume);
        var checkpoint = Path.Combine(outDir, TrainingRun.CheckpointFileName);
        if (!resume && File.Exists(checkpoint))
            throw new CliUsageException($"--out {outDir} already holds a run ({TrainingRun.CheckpointFileName}): add --resume to continue it, or give another --out");
        var from = p.GetValue(o.From);
        var freeze = p.GetValue(o.FreezeBackbone);
        if (freeze && from is null) throw new CliUsageException("--freeze-backbone keeps trained weights fixed: give them with --from FILE (.onnx, .pth, .safetensors)");
        if (from is not null && !File.Exists(from)) throw new FileNotFoundException($"no such file to fine-tune from: {from}");

        var strict = p.GetValue(o.Strict);
        var (train, validation, dataNote) = o.Data(p, strict);
        var classes = train.ClassNames.Count;
        if (validation is not null && validation.ClassNames.Count != classes)
            throw new DatasetException($"the validation data has {validation.ClassNames.Count} classes but the training data {classes}: give both the same classes");
        var knobs = selection.Options(p);
        if (knobs.Classes is { } given && given != classes)
            throw new CliUsageException($"--classes {given} does not match the data's {classes} classes; leave --classes out (train takes the data's)");
        var channels = knobs.InputChannels ?? train.Channels;
        var resolution = knobs.Resolution ?? DefaultResolution(train);
        knobs = knobs with
        {
            Classes = classes, InputChannels = channels, Resolution = resolution, Init = new WeightInit((ulong)options.Seed),
        };
        // Fine-tuning loads the model with the file's weights (a checkpoint's source settles its rounding, layout and BN ε,
        // and with a family's name its width); otherwise the zoo model is built with fresh ones.
        var start = from is null ? null : FineTuning.Load(name, knobs, classes, from);
        var graph = start?.Graph ?? ModelZoo.Build(name, knobs);
        var description = new JsonObject
        {
            ["model"] = name,
            ["graph"] = graph.Name,
            ["options"] = Describe(knobs),
            ["data"] = o.DataJson(p),
            ["from"] = from is null ? null : Path.GetFullPath(from),
            ["freeze_backbone"] = freeze,
        };
        string? fineTuneNote = null;
        if (start is not null)
        {
            var matched = start.Checkpoint ?? $"weights matched {(start.ByName ? "by name" : "by position")}";
            fineTuneNote = $"fine-tuning from {from}: {matched}" +
                           (start.ClassifierReplaced ? $"; its classifier for {start.FileClasses} classes replaced by a fresh one for {classes}" : "") +
                           (freeze ? "; backbone frozen (only the classifier learns)" : "");
        }

        var recipe = DataRecipe.For(train, channels, resolution) with { RandomErasing = p.GetValue(o.RandomErasing) ?? 0 };
        var cost = CostReport.Analyze(graph);
        stdout.WriteLine($"model: {graph.Name}, {channels}×{resolution}×{resolution} input, {classes} classes, {cost.Params:N0} params, {cost.Macs / 1e6:0.0} M MACs per image");
        stdout.WriteLine($"data: {dataNote}");
        stdout.WriteLine($"recipe: {recipe.Describe()}");
        stdout.WriteLine($"optimizer: {options.Optimizer.Describe()}; schedule {options.Schedule.Describe()}; {options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")} of batch {options.BatchSize}" +
                         (options.LabelSmoothing > 0 ? $"; label smoothing {options.LabelSmoothing:G3}" : "") +
                         (options.EmaDecay is { } d ? $"; EMA {d:G6}" : "") + (options.ClipGradNorm is { } c ? $"; gradients clipped to norm {c:G4}" : "") +
                         $"; {options.EffectiveThreads} threads{(options.Replicas > 1 ? $" in {options.Replicas} data-parallel replicas of {options.BatchSize / options.Replicas} images" : "")}, seed {options.Seed}");
        if (fineTuneNote is not null) stdout.WriteLine(fineTuneNote);

        var run = new TrainingRun
        {
            Model = graph, Description = description, Train = train, Validation = validation, Recipe = recipe, Options = options, Directory = outDir,
            FreezeBackbone = freeze, Strict = strict, Resume = resume,
        };
        using var trainer = new ModelTrainer(run);
        if (resume)
            stdout.WriteLine($"resuming {outDir} at epoch {trainer.EpochsDone + 1}, step {trainer.StepsDone:N0} of {(long)options.Epochs * trainer.BatchesPerEpoch:N0}");
        File.WriteAllLines(Path.Combine(outDir, LabelsFileName), train.ClassNames);
        var chart = Path.Combine(outDir, ChartFileName);
        var progress = new TrainingProgress(stdout, stderr, p.GetValue(o.Quiet),
            history => TrainingCharts.LossAndAccuracy($"{graph.Name} on {DataName(train)}", history, chart));
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            progress.Run(() => trainer.Run(progress, cancel.Token));
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            stderr.WriteLine($"lightnets: interrupted; the last checkpoint is in {outDir}: the same command with --resume continues from it");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        if (trainer.Unreadable.Count > 0)
            stderr.WriteLine($"lightnets: note: {trainer.Unreadable.Count} training image(s) could not be read and were stood in for, e.g. {trainer.Unreadable[0]}");
        var best = trainer.History.Where(h => h.ValidationTop1 is not null).MaxBy(h => h.ValidationTop1!.Value);
        stdout.WriteLine($"wrote {Path.Combine(outDir, TrainingRun.FinalModelFileName)}" +
                         (best is null ? "" : $", {Path.Combine(outDir, TrainingRun.BestModelFileName)} (epoch {best.Epoch}, validation top-1 {best.ValidationTop1:P2})") +
                         $", {TrainingRun.MetricsCsvFileName}, {TrainingRun.MetricsJsonFileName}, {ChartFileName}, {LabelsFileName}, {TrainingRun.CheckpointFileName}");
        stdout.WriteLine($"classify with: lightnets classify {Path.Combine(outDir, TrainingRun.FinalModelFileName)} IMAGE --labels {Path.Combine(outDir, LabelsFileName)} " +
                         $"--resize {recipe.ExportInput().ClassifyResize}");
        return 0;
    }

    /// <summary>Small images: 32 when they are at most that (28 → pad 2), else their own size; photos: 224.</summary>
    private static int DefaultResolution(IImageDataset data) => data.ItemShape is { IsFixed: true } s
        ? Math.Max(ModelConfig.SmallInputMinResolution, Math.Max(32, Math.Max(s.Height, s.Width)))
        : 224;

    private static string DataName(IImageDataset data) => (data is DatasetView view ? view.Source : data) switch
    {
        IdxDataset { IsFashionMnist: true } => "Fashion-MNIST",
        Cifar10Dataset => "CIFAR-10",
        _ => "the data",
    };

    private static JsonObject Describe(ModelOptions k) => new()
    {
        ["width"] = k.Width, ["resolution"] = k.Resolution, ["groups"] = k.Groups, ["layout"] = k.Layout?.ToString(), ["variant"] = k.Variant?.ToString(),
        ["rounding"] = k.Rounding?.ToString(), ["activation"] = k.Activation?.ToString(), ["head_se"] = k.HeadSqueezeExcite, ["input_channels"] = k.InputChannels,
        ["small_input"] = k.SmallInput, ["classes"] = k.Classes, ["seed"] = k.Init?.Seed.ToString(CultureInfo.InvariantCulture),
    };
}
