using System.CommandLine;
using System.Text.Json.Nodes;
using LightNets.Training.Data;
using LightNets.Training.Trainer;

namespace LightNets.Cli.Commands;

/// <summary><c>lightnets train</c>'s options besides the model's: data, recipe, run and output.</summary>
internal sealed class TrainOptions
{
    public const int MaxEpochs = Training.Trainer.TrainerOptions.MaxEpochs;

    public Option<string> Train { get; } = new("--data")
    {
        Description = "The training data: a Fashion-MNIST/MNIST directory (train-/t10k- IDX files, e.g. /usr/share/datasets/fashion-mnist), " +
                      "an IDX images file (…-images-idx3-ubyte[.gz]) beside its labels, a CIFAR-10 binary directory, or an image folder (one sub-folder per class).",
        Required = true,
    };

    public Option<string?> Validation { get; } = new("--val")
    {
        Description = "Validation data, as --data (its test part when it has one). Default: the test part of --data's data set " +
                      "(Fashion-MNIST's t10k, CIFAR-10's test_batch) when it has one, else none.",
    };

    public Option<double?> ValidationSplit { get; } = CliOptions.Number<double>("--val-split",
        "Hold out this share of the training data (stratified by class, seeded) for validation, in (0, 1).", 0, 1);

    public Option<int?> TrainSubset { get; } = CliOptions.Number<int>("--train-subset",
        "Train on this many images drawn at random (seeded) from the training data (for quick runs).", 1);

    public Option<int?> ValidationSubset { get; } = CliOptions.Number<int>("--val-subset",
        "Validate on this many images drawn at random (seeded) from the validation data.", 1);

    public Option<int?> Epochs { get; } = CliOptions.Number<int>("--epochs", $"Epochs, 1–{MaxEpochs:N0} (default 10).", 1, MaxEpochs);
    public Option<int?> Batch { get; } = CliOptions.Batch("Images per training step", "default 64; an epoch's last incomplete batch is left out");

    /// <summary>By the optimizers' own command-line names (rmsprop-tf has a hyphen its enum member cannot have).</summary>
    public Option<OptimizerKind?> Optimizer { get; } = new("--optimizer")
    {
        Description = "sgd (momentum, --nesterov), rmsprop-tf (TensorFlow's form: the MobileNetV2/V3 papers'), rmsprop (PyTorch's form), adamw. Default: sgd.",
        HelpName = string.Join("|", Enum.GetValues<OptimizerKind>().Select(OptimizerSettings.Name)),
        CustomParser = result =>
        {
            var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            foreach (var kind in Enum.GetValues<OptimizerKind>())
                if (string.Equals(OptimizerSettings.Name(kind), token, StringComparison.OrdinalIgnoreCase)) return kind;
            result.AddError($"--optimizer takes {Words.Or([.. Enum.GetValues<OptimizerKind>().Select(OptimizerSettings.Name)])}, not '{token}'");
            return null;
        },
    };

    public Option<double?> LearningRate { get; } = CliOptions.Number<double>("--lr",
        "Learning rate (one-cycle: the peak). Default: sgd 0.1, rmsprop/rmsprop-tf 0.01, adamw 0.001.");

    public Option<double?> Momentum { get; } = CliOptions.Number<double>("--momentum", "Momentum (AdamW: β1), in [0, 1) (default 0.9).");
    public Option<bool> Nesterov { get; } = new("--nesterov") { Description = "Nesterov momentum (SGD)." };
    public Option<double?> WeightDecay { get; } = CliOptions.Number<double>("--weight-decay",
        "Weight decay, not on BatchNorm parameters or biases (default: 4e-5; adamw 0.01, decoupled).");

    public Option<bool> NoDepthwiseDecay { get; } = new("--no-depthwise-decay") { Description = "Also no weight decay on depthwise filters (MobileNetV1's advice)." };

    public ChoiceOption<ScheduleKind> Schedule { get; } = new("--schedule",
        "Learning rate over the run: constant, step (×0.1 every 3 epochs), exp (×0.98 per epoch), cosine (to 0), linear (to 0), onecycle (torch's OneCycleLR).",
        ScheduleKind.Cosine);

    public Option<double?> WarmupEpochs { get; } = CliOptions.Number<double>("--warmup-epochs",
        "Linear learning-rate warm-up from 1% over this many epochs (may be fractional; not with onecycle).", 0);

    public Option<float?> LabelSmoothing { get; } = CliOptions.Number<float>("--label-smoothing", "Label smoothing ε of the loss, in [0, 1) (default 0; 0.1 is usual).", 0);
    public Option<double?> RandomErasing { get; } = CliOptions.Number<double>("--random-erasing",
        "Random erasing (torchvision's RandomErasing, Zhong et al. 2017) with this probability, 0–1: a random rectangle of 2–33 % of the image set to the mean (default 0).", 0, 1);
    public Option<double?> Ema { get; } = CliOptions.Number<double>("--ema",
        "Keep an exponential moving average of the weights with this decay (e.g. 0.999, with TF's warm-up) and validate/export it.");

    public Option<double?> ClipGrad { get; } = CliOptions.Number<double>("--clip-grad", "Clip the gradients to this global L2 norm.");
    public Option<float?> BatchNormMomentum { get; } = CliOptions.Number<float>("--bn-momentum",
        "BatchNorm momentum, PyTorch's convention (default 0.1; TF's decay 0.99 is 0.01).", 0, 1);

    public Option<int?> Threads { get; } = CliOptions.Threads("every core");
    public Option<int?> Replicas { get; } = CliOptions.Number<int>("--replicas",
        "Data-parallel: cut each batch into N equal parts trained by N copies of the network, each on its own threads (--threads / N), gradients " +
        "averaged, as DistributedDataParallel on N devices (BatchNorm's statistics per part). Faster for these small networks on few cores (default 1).", 1);
    public Option<int?> Workers { get; } = CliOptions.Number<int>("--workers",
        $"Threads that decode and augment batches ahead of the training step, 0–{LoaderOptions.MaxWorkers} (default 1).", 0, LoaderOptions.MaxWorkers);

    public Option<int?> Seed { get; } = CliOptions.Number<int>("--seed",
        "Seed of the initial weights, the data order, the augmentation, the splits and the dropout masks (default 0).", 0);

    public Option<string?> Out { get; } = new("--out", "-o") { Description = "The run's directory (created if missing; default runs/MODEL)." };
    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue the run in --out from its checkpoint (give the command that started it)." };
    public Option<int?> CheckpointSteps { get; } = CliOptions.Number<int>("--checkpoint-steps",
        "Also write the checkpoint every this many steps within an epoch (default: at the end of each epoch only).", 1);

    public Option<string?> From { get; } = new("--from")
    {
        Description = "Fine-tune: start from the weights of this file: a torchvision, timm or megvii checkpoint (.pth, .pth.tar, .safetensors; " +
                      "names and shapes checked) or an ONNX file (a LightNets export by name, else by position); a classifier for another class count is replaced by a fresh one.",
    };

    public Option<bool> FreezeBackbone { get; } = new("--freeze-backbone") { Description = "With --from: train only the classifier." };
    public Option<bool> Strict { get; } = new("--strict") { Description = "An unreadable image is an error (default: it is skipped, counted and reported)." };
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "No progress on stderr (the per-epoch lines still go to stdout)." };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[]
                 {
                     Train, Validation, ValidationSplit, TrainSubset, ValidationSubset, Epochs, Batch, Optimizer, LearningRate, Momentum, Nesterov,
                     WeightDecay, NoDepthwiseDecay, Schedule, WarmupEpochs, LabelSmoothing, RandomErasing, Ema, ClipGrad, BatchNormMomentum, Threads, Replicas, Workers, Seed,
                     Out, Resume, CheckpointSteps, From, FreezeBackbone, Strict, Quiet,
                 })
            command.Options.Add(o);
    }

    /// <summary>The recipe and run options given (defaults filled in by <see cref="TrainerOptions"/>).</summary>
    public Training.Trainer.TrainerOptions TrainerOptions(ParseResult p)
    {
        var defaults = new Training.Trainer.TrainerOptions();
        return new Training.Trainer.TrainerOptions
        {
            Epochs = p.GetValue(Epochs) ?? defaults.Epochs,
            BatchSize = p.GetValue(Batch) ?? defaults.BatchSize,
            Optimizer = new OptimizerSettings
            {
                Kind = p.GetValue(Optimizer) ?? OptimizerKind.Sgd, LearningRate = p.GetValue(LearningRate), Momentum = p.GetValue(Momentum), Nesterov = p.GetValue(Nesterov),
                WeightDecay = p.GetValue(WeightDecay), NoDepthwiseDecay = p.GetValue(NoDepthwiseDecay),
            },
            Schedule = new ScheduleSettings { Kind = Schedule.Get(p), WarmupEpochs = p.GetValue(WarmupEpochs) ?? 0 },
            LabelSmoothing = p.GetValue(LabelSmoothing) ?? 0,
            EmaDecay = p.GetValue(Ema),
            ClipGradNorm = p.GetValue(ClipGrad),
            BatchNormMomentum = p.GetValue(BatchNormMomentum) ?? defaults.BatchNormMomentum,
            Threads = p.GetValue(Threads) ?? 0,
            Replicas = p.GetValue(Replicas) ?? 1,
            LoaderWorkers = p.GetValue(Workers) ?? defaults.LoaderWorkers,
            Seed = p.GetValue(Seed) ?? 0,
            CheckpointSteps = p.GetValue(CheckpointSteps) ?? 0,
        };
    }

    /// <summary>The training and validation data, and a line saying what they are.</summary>
    public (IImageDataset Train, IImageDataset? Validation, string Note) Data(ParseResult p, bool strict)
    {
        var path = p.GetValue(Train)!;
        var valPath = p.GetValue(Validation);
        var split = p.GetValue(ValidationSplit);
        var seed = p.GetValue(Seed) ?? 0;
        if (valPath is not null && split is not null) throw new CliUsageException("--val and --val-split both choose the validation data; give one");
        if (split is <= 0 or >= 1) throw new CliUsageException($"--val-split must lie strictly between 0 and 1, got {split}");
        var train = DataSource.Open(path, test: false, strict);
        var described = DataSource.Describe(train, path, test: false);
        IImageDataset? validation;
        string note;
        if (split is { } f)
        {
            (var t, validation) = train.Split(f, seed);
            train = t;
            note = $"validation: {f:P0} of it held out ({validation.Count:N0} images)";
        }
        else if (valPath is not null)
        {
            validation = DataSource.Open(valPath, test: true, strict);
            note = $"validation: {DataSource.Describe(validation, valPath, test: true)}";
        }
        else if (DataSource.HasTestPart(path))
        {
            validation = DataSource.Open(path, test: true, strict);
            note = $"validation: its test set ({validation.Count:N0} images)";
        }
        else
        {
            validation = null;
            note = "no validation (give --val or --val-split): no best.onnx";
        }
        if (p.GetValue(TrainSubset) is { } n && n < train.Count)
        {
            train = train.Sample(n, seed);
            note = $"training on {n:N0} of them; {note}";
        }
        if (validation is not null && p.GetValue(ValidationSubset) is { } m && m < validation.Count)
        {
            validation = validation.Sample(m, seed);
            note += $", {m:N0} of them used";
        }
        return (train, validation, $"{described}; {note}");
    }

    /// <summary>The data choices, as a checkpoint records them (a run resumes only on the same data).</summary>
    public JsonObject DataJson(ParseResult p) => new()
    {
        ["train"] = Path.GetFullPath(p.GetValue(Train)!),
        ["val"] = p.GetValue(Validation) is { } v ? Path.GetFullPath(v) : null,
        ["val_split"] = p.GetValue(ValidationSplit),
        ["train_subset"] = p.GetValue(TrainSubset),
        ["val_subset"] = p.GetValue(ValidationSubset),
    };
}
