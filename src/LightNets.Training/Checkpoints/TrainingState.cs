using LightNets.Training.Optim;

namespace LightNets.Training.Checkpoints;

/// <summary>
/// Everything a trainer saves to resume a run exactly: the live objects are referenced, not copied, and
/// <see cref="CheckpointFile.Save(string, TrainingState)"/> writes them as they are at that moment.
/// </summary>
public sealed class TrainingState
{
    /// <summary>The model's parameters.</summary>
    public required IReadOnlyList<Parameter> Parameters { get; init; }

    /// <summary>The model's BatchNorm running statistics.</summary>
    public IReadOnlyList<NamedBuffer> Buffers { get; init; } = [];

    /// <summary>The optimizer, whose state buffers and per-parameter step counts are saved (null: none).</summary>
    public Optimizer? Optimizer { get; init; }

    /// <summary>The weight EMA, whose averages and update count are saved (null: none).</summary>
    public WeightEma? Ema { get; init; }

    /// <summary>Optimizer steps done so far in the run.</summary>
    public long Step { get; init; }

    /// <summary>Epochs completed so far.</summary>
    public int Epoch { get; init; }

    /// <summary>
    /// The trainer's own resume state, opaque here: RNG words, the loader's position, ... as named 64-bit integers,
    /// stored exactly (a ulong RNG word round-trips through an unchecked cast).
    /// </summary>
    public IReadOnlyDictionary<string, long> Progress { get; init; } = new Dictionary<string, long>();

    /// <summary>
    /// The model's configuration as JSON text: an object (null: "{}"). Stored verbatim and returned as written; it must
    /// be well-formed, with no repeated names, at most 64 levels deep and only finite numbers.
    /// </summary>
    public string? ModelJson { get; init; }

    /// <summary>The training options as JSON text: an object (null: "{}"), under the same rules as <see cref="ModelJson"/>.</summary>
    public string? OptionsJson { get; init; }

    /// <summary>
    /// The metrics history as JSON text: any JSON value, typically an array with one object per epoch (null: "[]"),
    /// under the same rules as <see cref="ModelJson"/> (JSON has no NaN or ∞: write a failed metric as null).
    /// </summary>
    public string? MetricsJson { get; init; }
}
