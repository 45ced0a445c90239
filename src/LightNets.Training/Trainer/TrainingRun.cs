using System.Text.Json.Nodes;
using LightNets.Graphs;
using LightNets.Training.Data;

namespace LightNets.Training.Trainer;

/// <summary>What a <see cref="ModelTrainer"/> trains, on what, and where its files go.</summary>
public sealed record TrainingRun
{
    /// <summary>The model with its starting weights (a zoo model, or one loaded by <see cref="FineTuning"/>); any batch size.</summary>
    public required Graph Model { get; init; }

    /// <summary>
    /// How the model was made, saved in each checkpoint and compared on resume (a run continues only on the model it
    /// started with): the zoo name and knobs, the file it was fine-tuned from, the frozen backbone.
    /// </summary>
    public required JsonObject Description { get; init; }

    public required IImageDataset Train { get; init; }

    /// <summary>Scored after each epoch (null: no validation, and no best.onnx).</summary>
    public IImageDataset? Validation { get; init; }

    public required DataRecipe Recipe { get; init; }

    public required TrainerOptions Options { get; init; }

    /// <summary>The run's directory: checkpoint, metrics, best.onnx, final.onnx. It must exist.</summary>
    public required string Directory { get; init; }

    /// <summary>Train only the classifier (fine-tuning): the session then runs backward through it alone.</summary>
    public bool FreezeBackbone { get; init; }

    /// <summary>An unreadable training or validation item is an error instead of being stood in for and counted.</summary>
    public bool Strict { get; init; }

    /// <summary>Continue from the checkpoint in <see cref="Directory"/> (which must exist and fit this run).</summary>
    public bool Resume { get; init; }

    public const string CheckpointFileName = "checkpoint.safetensors";
    public const string MetricsCsvFileName = "metrics.csv";
    public const string MetricsJsonFileName = "metrics.json";
    public const string BestModelFileName = "best.onnx";
    public const string FinalModelFileName = "final.onnx";

    public string CheckpointPath => Path.Combine(Directory, CheckpointFileName);
}
