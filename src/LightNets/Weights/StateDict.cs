using System.Collections;

namespace LightNets.Weights;

/// <summary>
/// The tensors of one weight file, in file order (a PyTorch state dict's insertion order; a safetensors file's data
/// order), with the file's format, name and metadata.
/// </summary>
public sealed class StateDict : IReadOnlyList<NamedTensor>
{
    private readonly IReadOnlyList<NamedTensor> _tensors;
    private readonly Dictionary<string, NamedTensor> _byName;

    internal StateDict(WeightFormat format, string sourceName, IReadOnlyList<NamedTensor> tensors,
        IReadOnlyDictionary<string, string> metadata, string? prefix)
    {
        Format = format;
        SourceName = sourceName;
        _tensors = tensors;
        Metadata = metadata;
        Prefix = prefix;
        _byName = new Dictionary<string, NamedTensor>(tensors.Count, StringComparer.Ordinal);
        foreach (var t in tensors) _byName.Add(t.Name, t);
    }

    /// <summary>The container the tensors came from.</summary>
    public WeightFormat Format { get; }

    /// <summary>The file's name (without its directory), for messages.</summary>
    public string SourceName { get; }

    /// <summary>
    /// Text that came with the tensors: a safetensors file's <c>__metadata__</c>; for a PyTorch checkpoint, the plain
    /// values (strings, integers, floats, booleans) at the top level of the saved dict, such as <c>epoch</c> or
    /// <c>arch</c>, written as Python prints them.
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// The key of the saved dict under which the tensors were found (<c>state_dict</c>, <c>model</c>,
    /// <c>model_ema</c>, <c>state_dict_ema</c>), or null when the saved object was the state dict itself (and always
    /// for safetensors).
    /// </summary>
    public string? Prefix { get; }

    public int Count => _tensors.Count;

    public NamedTensor this[int index] => _tensors[index];

    /// <summary>Finds a tensor by its exact name.</summary>
    public bool TryGet(string name, out NamedTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out tensor!);
    }

    public IEnumerator<NamedTensor> GetEnumerator() => _tensors.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
