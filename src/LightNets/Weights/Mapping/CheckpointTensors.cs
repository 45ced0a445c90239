namespace LightNets.Weights.Mapping;

/// <summary>
/// A checkpoint's tensors as the name maps see them: names without the <c>module.</c> prefix that nn.DataParallel puts
/// on every key (megvii's checkpoints have it), their shapes, and — when read from a file — their values. Made from a
/// <see cref="StateDict"/>, or from names and shapes alone (to check a map against a list of names).
/// </summary>
public sealed class CheckpointTensors
{
    /// <summary>The prefix nn.DataParallel (and DistributedDataParallel) adds to every key.</summary>
    public const string DataParallelPrefix = "module.";

    /// <summary>The suffix of BatchNorm's step counter, which inference does not use.</summary>
    public const string BatchCounterSuffix = ".num_batches_tracked";

    private readonly Dictionary<string, (int[] Shape, NamedTensor? Tensor)> _byName;

    private CheckpointTensors(string sourceName, IReadOnlyList<(string Name, int[] Shape, NamedTensor? Tensor)> tensors)
    {
        SourceName = sourceName;
        StrippedPrefix = tensors.Count > 0 && tensors.All(t => t.Name.StartsWith(DataParallelPrefix, StringComparison.Ordinal)) ? DataParallelPrefix : null;
        var strip = StrippedPrefix?.Length ?? 0;
        Names = tensors.Select(t => t.Name[strip..]).ToArray();
        _byName = new Dictionary<string, (int[], NamedTensor?)>(StringComparer.Ordinal);
        for (var i = 0; i < tensors.Count; i++) _byName[Names[i]] = (tensors[i].Shape, tensors[i].Tensor);
    }

    /// <summary>The checkpoint as <see cref="WeightFiles.Read"/> read it.</summary>
    public static CheckpointTensors From(StateDict file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new CheckpointTensors(file.SourceName, file.Select(t => (t.Name, t.Shape, (NamedTensor?)t)).ToArray());
    }

    /// <summary>Names and shapes only: enough to find which configurations a checkpoint fits, not to load it.</summary>
    public static CheckpointTensors FromShapes(string sourceName, IEnumerable<(string Name, int[] Shape)> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        return new CheckpointTensors(sourceName, shapes.Select(s => (s.Name, s.Shape, (NamedTensor?)null)).ToArray());
    }

    /// <summary>The file's name, for messages.</summary>
    public string SourceName { get; }

    /// <summary><see cref="DataParallelPrefix"/> when every key had it (and it was taken off), else null.</summary>
    public string? StrippedPrefix { get; }

    /// <summary>Every tensor name, in file order, without <see cref="StrippedPrefix"/>.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Whether the values are here (false for <see cref="FromShapes"/>).</summary>
    public bool HasValues => _byName.Values.All(v => v.Tensor is not null);

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The shape of tensor <paramref name="name"/>.</summary>
    public bool TryGetShape(string name, out int[] shape)
    {
        var found = _byName.TryGetValue(name, out var entry);
        shape = found ? entry.Shape : [];
        return found;
    }

    /// <summary>The tensor <paramref name="name"/> with its values, or null when it is absent or only its shape is known.</summary>
    public NamedTensor? Get(string name) => _byName.TryGetValue(name, out var entry) ? entry.Tensor : null;

    /// <summary>A tensor loading ignores: BatchNorm's step counter.</summary>
    public static bool IsIgnored(string name) => name.EndsWith(BatchCounterSuffix, StringComparison.Ordinal);

    /// <summary>"[8, 3, 3, 3]", PyTorch's way of printing a shape, for messages about a file's tensors.</summary>
    public static string Format(IReadOnlyList<int> shape) => $"[{string.Join(", ", shape)}]";
}
