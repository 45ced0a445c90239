using System.Text.Json.Nodes;
using LightNets.Training.Optim;

namespace LightNets.Training.Trainer;

/// <summary>
/// How a <see cref="ModelTrainer"/> trains: the recipe (optimizer, schedule, regularisation) and the run (epochs, batch,
/// threads, seed). Everything here that changes the weights is saved in each checkpoint and must be the same when a run
/// is resumed (<see cref="ToJson"/>).
/// </summary>
public sealed record TrainerOptions
{
    public const int MaxEpochs = 100_000;

    public int Epochs { get; init; } = 10;

    /// <summary>Images per training step; an epoch's last incomplete batch is left out (BatchNorm needs full batches).</summary>
    public int BatchSize { get; init; } = 64;

    public OptimizerSettings Optimizer { get; init; } = new();

    public ScheduleSettings Schedule { get; init; } = new();

    /// <summary>Label smoothing ε of the loss (0: none; 0.1 is the usual value).</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>Decay of a weight EMA used to validate and export (null: none; MobileNetV3: 0.9999).</summary>
    public double? EmaDecay { get; init; }

    /// <summary>Largest global L2 norm of the gradients (null: no clipping).</summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>BatchNorm momentum in PyTorch's convention (0.1; TF's decay 0.99 is 0.01).</summary>
    public float BatchNormMomentum { get; init; } = 0.1f;

    /// <summary>Threads of the training and evaluation kernels (0: every core).</summary>
    public int Threads { get; init; }

    /// <summary>
    /// Data-parallel replicas (1: none): each batch is cut into this many equal parts trained by copies of the network
    /// on their own threads, gradients averaged, BatchNorm statistics per part (see TrainingSessionOptions.Replicas).
    /// </summary>
    public int Replicas { get; init; } = 1;

    /// <summary>Seed of the data order, the augmentation and the dropout masks (the model's weights are seeded by its builder).</summary>
    public int Seed { get; init; }

    /// <summary>Threads that decode and augment batches ahead of the training step.</summary>
    public int LoaderWorkers { get; init; } = 1;

    /// <summary>
    /// Also write the checkpoint every this many steps within an epoch (0: only at the end of each epoch). A run killed
    /// mid-epoch then resumes from the last of these, in the middle of its epoch.
    /// </summary>
    public int CheckpointSteps { get; init; }

    /// <summary>Images per evaluation batch.</summary>
    public int EvaluationBatchSize { get; init; } = 256;

    /// <summary>The threads the kernels use: <see cref="Threads"/>, or every core for 0.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    /// <exception cref="OptimizationSettingsException">A value out of range.</exception>
    public void Validate()
    {
        if (Epochs is < 1 or > MaxEpochs) throw new OptimizationSettingsException($"the number of epochs must be 1 to {MaxEpochs:N0}, got {Epochs}");
        if (BatchSize < 1) throw new OptimizationSettingsException($"the batch size must be at least 1, got {BatchSize}");
        if (EvaluationBatchSize < 1) throw new OptimizationSettingsException($"the evaluation batch size must be at least 1, got {EvaluationBatchSize}");
        OptimizationSettingsException.RequireFinite("label smoothing", LabelSmoothing, 0, 1, minExclusive: false);
        if (LabelSmoothing >= 1) throw new OptimizationSettingsException($"label smoothing must be below 1 (1 would teach the uniform distribution), got {LabelSmoothing}");
        if (EmaDecay is { } d) OptimizationSettingsException.RequireFinite("EMA decay", d, 0, 1, minExclusive: true);
        if (EmaDecay >= 1) throw new OptimizationSettingsException($"the EMA decay must be below 1 (1 would never move the average), got {EmaDecay}");
        if (ClipGradNorm is { } c) OptimizationSettingsException.RequireFinite("gradient clipping norm", c, 0, double.PositiveInfinity, minExclusive: true);
        OptimizationSettingsException.RequireFinite("BatchNorm momentum", BatchNormMomentum, 0, 1);
        if (Threads < 0) throw new OptimizationSettingsException($"threads must be 0 (every core) or more, got {Threads}");
        if (Replicas < 1) throw new OptimizationSettingsException($"replicas must be 1 or more, got {Replicas}");
        if (BatchSize % Replicas != 0 || BatchSize / Replicas < 2)
            throw new OptimizationSettingsException($"a batch of {BatchSize} does not cut into {Replicas} replicas of at least 2 images each; give a batch that is a multiple of {Replicas}");
        if (Seed < 0) throw new OptimizationSettingsException($"the seed must be 0 or more, got {Seed}");
        if (LoaderWorkers is < 0 or > Data.LoaderOptions.MaxWorkers)
            throw new OptimizationSettingsException($"loader workers must be 0 to {Data.LoaderOptions.MaxWorkers}, got {LoaderWorkers}");
        if (CheckpointSteps < 0) throw new OptimizationSettingsException($"checkpoint steps must be 0 (epoch ends only) or more, got {CheckpointSteps}");
        Optimizer.Validate();
        Schedule.Create(Optimizer.Resolved().LearningRate!.Value, Epochs);
    }

    /// <summary>
    /// The settings that decide the weights, as saved in a checkpoint: the recipe, epochs, batch and seed. Threads, loader
    /// workers and checkpoint frequency are left out so that a run can be resumed with others (the loader gives the same
    /// batches with any number of workers; the result is bit-identical to an uninterrupted run when the threads are the same).
    /// </summary>
    public JsonObject ToJson()
    {
        var json = Settings();
        // Replicas change BatchNorm's statistics and so the weights; written only when used, so that checkpoints of runs
        // without them read as before.
        if (Replicas > 1) json["replicas"] = Replicas;
        return json;
    }

    private JsonObject Settings() => new()
    {
        ["epochs"] = Epochs,
        ["batch"] = BatchSize,
        ["optimizer"] = Optimizer.ToJson(),
        ["schedule"] = Schedule.ToJson(),
        ["label_smoothing"] = LabelSmoothing,
        ["ema_decay"] = EmaDecay,
        ["clip_grad_norm"] = ClipGradNorm,
        ["bn_momentum"] = BatchNormMomentum,
        ["seed"] = Seed,
    };
}
