using System.Collections;
using System.Globalization;
using System.Numerics;

namespace LightNets.Weights.PyTorch;

/// <summary>
/// Finds the state dict in what a checkpoint's pickle built. <c>torch.save(model.state_dict())</c> saves it as the
/// top-level object; training scripts save a dict that holds it beside other things
/// (<c>{"state_dict": ..., "epoch": 3, "optimizer": {...}}</c>). The first of these keys whose value is a dict is
/// taken, in this order: <c>state_dict</c>, <c>model</c> (both the weights being trained), <c>model_ema</c>,
/// <c>state_dict_ema</c> (timm's averaged weights, taken only when the file has no others); otherwise the top-level
/// dict itself. Its string-keyed tensor values are the tensors; other values (scalars, nested dicts) are ignored.
/// </summary>
internal static class StateDictFinder
{
    public static readonly string[] Prefixes = ["state_dict", "model", "model_ema", "state_dict_ema"];

    /// <summary>The state dict's tensors in order, the key they were under, and the top level's plain values as text.</summary>
    public static (List<(string Name, TensorRef Tensor)> Tensors, string? Prefix, Dictionary<string, string> Metadata) Find(
        object? root, Func<string, Exception> fail)
    {
        if (root is not Hashtable top)
            throw fail($"it holds {TorchConstructors.Describe(root)}, not a dict of tensors (a state dict)");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in Keys(top))
            if (key is string name && Plain(top[key]) is { } text)
                metadata[name] = text;

        string? prefix = null;
        var dict = top;
        foreach (var candidate in Prefixes)
        {
            if (top[candidate] is Hashtable inner)
            {
                (prefix, dict) = (candidate, inner);
                break;
            }
        }

        var tensors = new List<(string, TensorRef)>();
        foreach (var key in Keys(dict))
            if (key is string name && dict[key] is TensorRef tensor)
                tensors.Add((name, tensor));
        if (tensors.Count == 0)
        {
            var keys = Keys(dict).OfType<string>().Take(8).Select(k => $"'{TorchUnpickler.Clip(k)}'").ToList();
            throw fail($"its {(prefix is null ? "saved dict" : $"'{prefix}' dict")} holds no tensors" +
                       (keys.Count == 0 ? "" : $" (its keys: {string.Join(", ", keys)}{(dict.Count > keys.Count ? ", ..." : "")})"));
        }
        return (tensors, prefix, metadata);
    }

    /// <summary>
    /// The dict's keys in the order they were saved. A hashtable does not keep it (and the unpickler fills each batch
    /// of an OrderedDict in reverse), but a state dict's tensors are pickled in its order, so they are sorted by the
    /// order in which they were unpickled; a tensor saved under two names (tied weights) is one object, whose names
    /// then follow each other alphabetically; keys of other values come last, alphabetically.
    /// </summary>
    private static IEnumerable<object> Keys(Hashtable dict) => dict.Keys.Cast<object>()
        .OrderBy(k => dict[k] is TensorRef t ? t.Sequence : long.MaxValue)
        .ThenBy(k => k as string, StringComparer.Ordinal);

    /// <summary>A plain Python value as Python prints it, or null for anything else.</summary>
    private static string? Plain(object? value) => value switch
    {
        string s => s,
        bool b => b ? "True" : "False",
        int or long or BigInteger => Convert.ToString(value, CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => null,
    };
}
