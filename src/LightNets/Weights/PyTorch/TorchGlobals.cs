namespace LightNets.Weights.PyTorch;

/// <summary>
/// The Python globals a PyTorch state dict's pickle may name, and nothing else: the ordered dict a state dict is, the
/// functions <c>torch.save</c> writes to rebuild a tensor or a parameter, and the storage classes that tag each
/// storage's dtype. This is the same idea as <c>torch.load(weights_only=True)</c>, narrower still: no sparse or
/// quantized tensors, no <c>torch.Size</c>, no <c>_codecs.encode</c>, no model classes.
/// </summary>
internal static class TorchGlobals
{
    public const string OrderedDict = "collections.OrderedDict";
    public const string RebuildTensorV2 = "torch._utils._rebuild_tensor_v2";
    public const string RebuildTensor = "torch._utils._rebuild_tensor";
    public const string RebuildParameter = "torch._utils._rebuild_parameter";
    public const string RebuildParameterWithState = "torch._utils._rebuild_parameter_with_state";

    /// <summary>The storage classes, each with the dtype of its elements (an untyped storage holds bytes).</summary>
    public static readonly IReadOnlyDictionary<string, ElementType> Storages = new Dictionary<string, ElementType>(StringComparer.Ordinal)
    {
        ["torch.FloatStorage"] = ElementType.Float32,
        ["torch.HalfStorage"] = ElementType.Float16,
        ["torch.BFloat16Storage"] = ElementType.BFloat16,
        ["torch.DoubleStorage"] = ElementType.Float64,
        ["torch.LongStorage"] = ElementType.Int64,
        ["torch.IntStorage"] = ElementType.Int32,
        ["torch.ShortStorage"] = ElementType.Int16,
        ["torch.CharStorage"] = ElementType.Int8,
        ["torch.ByteStorage"] = ElementType.UInt8,
        ["torch.BoolStorage"] = ElementType.Bool,
        ["torch.UntypedStorage"] = ElementType.UInt8,
        ["torch.storage.UntypedStorage"] = ElementType.UInt8,
    };

    private static readonly HashSet<string> Functions = new(StringComparer.Ordinal)
    {
        OrderedDict, RebuildTensorV2, RebuildTensor, RebuildParameter, RebuildParameterWithState,
    };

    /// <summary>Whether <paramref name="global"/> (<c>module.name</c>) may appear in a state dict's pickle.</summary>
    public static bool IsAllowed(string global) => Functions.Contains(global) || Storages.ContainsKey(global);

    /// <summary>The allowed globals, for messages.</summary>
    public static IEnumerable<string> All => Functions.Concat(Storages.Keys);
}
