using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace LightNets.Training.Trainer;

/// <summary>What one epoch of a run measured. Validation figures are null when the run has no validation set.</summary>
public sealed record EpochMetrics
{
    /// <summary>The epoch, counted from 1.</summary>
    public required int Epoch { get; init; }

    /// <summary>Optimizer steps done by the end of the epoch.</summary>
    public required long Step { get; init; }

    /// <summary>Mean training loss over the epoch's steps (with label smoothing, in training mode).</summary>
    public required double TrainLoss { get; init; }

    /// <summary>Share of the epoch's training images whose highest score was their label (augmented, training mode).</summary>
    public required double TrainAccuracy { get; init; }

    public double? ValidationLoss { get; init; }
    public double? ValidationTop1 { get; init; }
    public double? ValidationTopK { get; init; }

    /// <summary>The learning rate of the epoch's last step.</summary>
    public required double LearningRate { get; init; }

    /// <summary>Wall-clock seconds of the epoch's training steps (validation excluded). A resumed epoch counts only its own part.</summary>
    public required double Seconds { get; init; }

    /// <summary>Training images per second over the epoch's steps.</summary>
    public required double ImagesPerSecond { get; init; }

    /// <summary>Training items that could not be read so far and were stood in for.</summary>
    public long Unreadable { get; init; }

    private static readonly string[] Keys =
        ["epoch", "step", "train_loss", "train_accuracy", "val_loss", "val_top1", "val_top5", "lr", "seconds", "images_per_second", "unreadable"];

    /// <summary>Named numbers (absent validation figures left out), for the CSV and JSON files.</summary>
    public IReadOnlyDictionary<string, double> ToRecord()
    {
        var record = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["epoch"] = Epoch, ["step"] = Step, ["train_loss"] = TrainLoss, ["train_accuracy"] = TrainAccuracy,
            ["lr"] = LearningRate, ["seconds"] = Seconds, ["images_per_second"] = ImagesPerSecond, ["unreadable"] = Unreadable,
        };
        if (ValidationLoss is { } l) record["val_loss"] = l;
        if (ValidationTop1 is { } t1) record["val_top1"] = t1;
        if (ValidationTopK is { } tk) record["val_top5"] = tk;
        return record;
    }

    /// <summary>Back from one entry of <see cref="ToJson"/> (as a checkpoint keeps the history).</summary>
    /// <exception cref="Checkpoints.CheckpointFormatException">A figure is missing or not a number.</exception>
    public static EpochMetrics FromJson(JsonObject entry)
    {
        double? Optional(string key)
        {
            try
            {
                return entry[key]?.GetValue<double>();
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new Checkpoints.CheckpointFormatException($"the checkpoint's metrics hold '{key}' as {entry[key]!.ToJsonString()}, not a number");
            }
        }
        double Get(string key) => Optional(key)
            ?? throw new Checkpoints.CheckpointFormatException($"the checkpoint's metrics lack '{key}'; it was not written by lightnets train");
        return new EpochMetrics
        {
            Epoch = (int)Get("epoch"), Step = (long)Get("step"), TrainLoss = Get("train_loss"), TrainAccuracy = Get("train_accuracy"),
            ValidationLoss = Optional("val_loss"), ValidationTop1 = Optional("val_top1"), ValidationTopK = Optional("val_top5"),
            LearningRate = Get("lr"), Seconds = Get("seconds"), ImagesPerSecond = Get("images_per_second"), Unreadable = (long)Get("unreadable"),
        };
    }

    /// <summary>The history as CSV, one row per epoch (empty cells where there was no validation).</summary>
    public static string ToCsv(IReadOnlyList<EpochMetrics> history)
    {
        var text = new StringBuilder(string.Join(",", Keys)).Append('\n');
        foreach (var m in history)
        {
            var r = m.ToRecord();
            text.Append(string.Join(",", Keys.Select(k => r.TryGetValue(k, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : ""))).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The history as a JSON array of objects (null where there was no validation).</summary>
    public static JsonArray ToJson(IReadOnlyList<EpochMetrics> history) =>
        new([.. history.Select(m =>
        {
            var r = m.ToRecord();
            var o = new JsonObject();
            foreach (var k in Keys) o[k] = r.TryGetValue(k, out var v) ? JsonValue.Create(v) : null;
            return (JsonNode)o;
        })]);
}
