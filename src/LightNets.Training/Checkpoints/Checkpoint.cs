using LightNets.Training.Optim;

namespace LightNets.Training.Checkpoints;

/// <summary>A tensor read from a checkpoint: its shape and values.</summary>
public sealed record CheckpointTensor(int[] Shape, float[] Values);

/// <summary>
/// A checkpoint read by <see cref="CheckpointFile.Load"/>: every value already checked and in memory. Restore it into
/// a model (and optimizer, EMA) with <see cref="Restore"/>, which checks that it fits before it changes anything.
/// </summary>
public sealed class Checkpoint
{
    internal Checkpoint(string path) => Path = path;

    /// <summary>The file it was read from (for messages).</summary>
    public string Path { get; }

    public long Step { get; internal init; }
    public int Epoch { get; internal init; }
    public IReadOnlyDictionary<string, long> Progress { get; internal init; } = null!;
    /// <summary>The model configuration's JSON text, as it was saved (see <see cref="TrainingState.ModelJson"/>).</summary>
    public string ModelJson { get; internal init; } = null!;

    /// <summary>The training options' JSON text, as saved.</summary>
    public string OptionsJson { get; internal init; } = null!;

    /// <summary>The metrics history's JSON text, as saved.</summary>
    public string MetricsJson { get; internal init; } = null!;

    /// <summary>The model's parameters by name.</summary>
    public IReadOnlyDictionary<string, CheckpointTensor> Parameters { get; internal init; } = null!;

    /// <summary>The model's BatchNorm running statistics by name.</summary>
    public IReadOnlyDictionary<string, CheckpointTensor> Buffers { get; internal init; } = null!;

    /// <summary>The saved optimizer's <see cref="Optimizer.Kind"/>, or null if none was saved.</summary>
    public string? OptimizerKind { get; internal init; }

    /// <summary>The saved EMA's update count, or null if no EMA was saved.</summary>
    public long? EmaUpdates { get; internal init; }

    internal IReadOnlyDictionary<string, long> OptimizerSteps { get; init; } = null!;
    internal IReadOnlyDictionary<(string Slot, string Parameter), CheckpointTensor> OptimizerSlots { get; init; } = null!;
    internal IReadOnlyDictionary<string, CheckpointTensor> EmaAverages { get; init; } = null!;

    /// <summary>
    /// Copies the checkpoint into the model's parameters and buffers and, when given, the optimizer's state and the
    /// EMA's averages. All of it is checked first: the same parameter and buffer names with the same shapes, an
    /// optimizer of the same kind with the same state buffers, an EMA over the same tensors; on any difference a
    /// <see cref="CheckpointMismatchException"/> lists what differs and nothing is changed.
    /// </summary>
    public void Restore(IReadOnlyList<Parameter> parameters, IReadOnlyList<NamedBuffer> buffers, Optimizer? optimizer = null, WeightEma? ema = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(buffers);
        var problems = new List<string>();
        var copies = new List<(float[] From, float[] To)>();

        Match("parameter", Parameters, parameters.Select(p => (p.Name, p.Shape.ToArray(), p.Value)), problems, copies);
        Match("buffer", Buffers, buffers.Select(b => (b.Name, b.Shape.ToArray(), b.Value)), problems, copies);
        if (optimizer is not null)
        {
            if (OptimizerKind is null) problems.Add($"it holds no optimizer state, but this run uses {optimizer.Kind}");
            else if (OptimizerKind != optimizer.Kind) problems.Add($"it holds {OptimizerKind} optimizer state, but this run uses {optimizer.Kind}");
            else
            {
                var slots = OptimizerSlots.ToDictionary(s => $"{s.Key.Slot} of '{s.Key.Parameter}'", s => s.Value);
                Match("optimizer state", slots, optimizer.Slots.Select(s => ($"{s.Name} of '{s.Parameter.Name}'", s.Parameter.Shape.ToArray(), s.Values)), problems, copies);
                foreach (var p in optimizer.Parameters)
                    if (!OptimizerSteps.ContainsKey(p.Name)) problems.Add($"its optimizer step counts lack parameter '{p.Name}'");
                foreach (var name in OptimizerSteps.Keys)
                    if (!optimizer.Parameters.Any(p => p.Name == name)) problems.Add($"its optimizer step counts name '{name}', which this optimizer does not train");
            }
        }
        if (ema is not null)
        {
            if (EmaUpdates is null) problems.Add("it holds no weight EMA, but this run keeps one");
            else Match("EMA average", EmaAverages, ema.Tensors.Select(t => (t.Name, t.Shape.ToArray(), t.Average)), problems, copies);
        }
        if (problems.Count > 0)
        {
            var shown = problems.Take(6).Select(p => "  - " + p);
            var more = problems.Count > 6 ? $"\n  ... and {problems.Count - 6} more" : "";
            throw new CheckpointMismatchException($"checkpoint '{Path}' does not fit what it is restored into (another model or optimizer?); nothing was restored:\n{string.Join("\n", shown)}{more}");
        }

        foreach (var (from, to) in copies) from.AsSpan().CopyTo(to);
        if (optimizer is not null)
            for (var i = 0; i < optimizer.Parameters.Count; i++) optimizer.RestoreSteps(i, OptimizerSteps[optimizer.Parameters[i].Name]);
        if (ema is not null) ema.Updates = EmaUpdates!.Value;
    }

    private static void Match(string what, IReadOnlyDictionary<string, CheckpointTensor> saved,
        IEnumerable<(string Name, int[] Shape, float[] Values)> live, List<string> problems, List<(float[], float[])> copies)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, shape, values) in live)
        {
            seen.Add(name);
            if (!saved.TryGetValue(name, out var tensor)) problems.Add($"it has no {what} {Quote(name)}");
            else if (tensor.Values.Length != values.Length || !tensor.Shape.AsSpan().SequenceEqual(shape))
                problems.Add($"{what} {Quote(name)} is [{string.Join("×", tensor.Shape)}] in it but [{string.Join("×", shape)}] here");
            else copies.Add((tensor.Values, values));
        }
        foreach (var name in saved.Keys)
            if (!seen.Contains(name)) problems.Add($"it has {what} {Quote(name)}, which is not here");
    }

    // Optimizer state is described as "<slot> of 'parameter'" and needs no further quotes.
    private static string Quote(string name) => name.Contains(" of '", StringComparison.Ordinal) ? name : $"'{name}'";
}
