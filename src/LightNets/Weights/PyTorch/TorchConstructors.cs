using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using Razorvine.Pickle;

namespace LightNets.Weights.PyTorch;

/// <summary>
/// What each allowed global (<see cref="TorchGlobals"/>) builds when the pickle calls it. Razorvine.Pickle keeps its
/// constructors in one process-wide table, so they are registered once, here, and hold no state of their own.
/// </summary>
internal static class TorchConstructors
{
    private static long _sequence;

    /// <summary>The most dimensions a tensor may have (PyTorch's own limit is 64; these networks use 4).</summary>
    public const int MaxRank = 16;

    static TorchConstructors()
    {
        Register(TorchGlobals.OrderedDict, new Constructor(OrderedDict));
        Register(TorchGlobals.RebuildTensorV2, new Constructor(args => RebuildTensor(args, "_rebuild_tensor_v2", 6, 7)));
        Register(TorchGlobals.RebuildTensor, new Constructor(args => RebuildTensor(args, "_rebuild_tensor", 4, 4)));
        Register(TorchGlobals.RebuildParameter, new Constructor(args => RebuildParameter(args, "_rebuild_parameter", 3)));
        Register(TorchGlobals.RebuildParameterWithState, new Constructor(args => RebuildParameter(args, "_rebuild_parameter_with_state", 4)));
        foreach (var (name, type) in TorchGlobals.Storages) Register(name, new StorageClass(name, type));
    }

    /// <summary>Makes sure the constructors are registered (the static constructor runs once, before any unpickling).</summary>
    public static void EnsureRegistered() { }

    private static void Register(string global, IObjectConstructor constructor)
    {
        var dot = global.LastIndexOf('.');
        Unpickler.registerConstructor(global[..dot], global[(dot + 1)..], constructor);
    }

    // The unpickler's BUILD finds PickledDict.__setstate__ by reflection: keep it when the app is trimmed (NativeAOT).
    [DynamicDependency(nameof(PickledDict.__setstate__), typeof(PickledDict))]
    private static object OrderedDict(object[] args)
    {
        // The pickler reduces an OrderedDict to a call with no arguments, then SETITEMS.
        if (args.Length != 0) throw new InvalidPickleException("it calls collections.OrderedDict with arguments; torch.save calls it with none");
        return new PickledDict();
    }

    private static TensorRef RebuildTensor(object[] args, string function, int minArgs, int maxArgs)
    {
        if (args.Length < minArgs || args.Length > maxArgs)
            throw new InvalidPickleException($"it calls {function} with {args.Length} arguments, not {(minArgs == maxArgs ? $"{minArgs}" : $"{minArgs} or {maxArgs}")}");
        if (args[0] is not StorageRef storage) throw new InvalidPickleException($"it calls {function} on {Describe(args[0])}, not on a storage");
        var offset = Integer(args[1], $"{function}'s storage offset");
        var size = Integers(args[2], $"{function}'s size");
        var stride = Integers(args[3], $"{function}'s stride");
        if (size.Length != stride.Length)
            throw new InvalidPickleException($"it calls {function} with a size of {size.Length} dimensions and a stride of {stride.Length}");
        if (args.Length > 4 && args[4] is not bool) throw new InvalidPickleException($"{function}'s requires_grad is {Describe(args[4])}, not a bool");
        if (args.Length > 5 && args[5] is not (Hashtable or null)) throw new InvalidPickleException($"{function}'s backward hooks are {Describe(args[5])}, not a dict");
        if (args.Length > 6 && args[6] is not (Hashtable or null)) throw new InvalidPickleException($"{function}'s metadata is {Describe(args[6])}, not a dict");
        return new TensorRef(storage, offset, size, stride, Interlocked.Increment(ref _sequence));
    }

    private static TensorRef RebuildParameter(object[] args, string function, int count)
    {
        if (args.Length != count) throw new InvalidPickleException($"it calls {function} with {args.Length} arguments, not {count}");
        if (args[0] is not TensorRef tensor) throw new InvalidPickleException($"it calls {function} on {Describe(args[0])}, not on a tensor");
        return tensor;
    }

    /// <summary>A whole number ≥ 0 as the unpickler gives it (int, long or, for LONG1/LONG4, a BigInteger).</summary>
    public static long Integer(object? value, string what) => value switch
    {
        int i and >= 0 => i,
        long l and >= 0 => l,
        BigInteger b when b >= 0 && b <= long.MaxValue => (long)b,
        _ => throw new InvalidPickleException($"{what} is {Describe(value)}, not a whole number from 0 to {long.MaxValue}"),
    };

    private static long[] Integers(object? value, string what)
    {
        if (value is not (object[] or ArrayList)) throw new InvalidPickleException($"{what} is {Describe(value)}, not a tuple of whole numbers");
        var items = (IList)value;
        if (items.Count > MaxRank) throw new InvalidPickleException($"{what} has {items.Count} dimensions, more than the {MaxRank} a weight tensor may have");
        var result = new long[items.Count];
        for (var i = 0; i < result.Length; i++) result[i] = Integer(items[i], what);
        return result;
    }

    /// <summary>A value's Python-ish kind, for messages (never its content, which may be long or hostile).</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        string => "a string",
        bool => "a bool",
        int or long or BigInteger => "an integer",
        double => "a float",
        object[] => "a tuple",
        ArrayList => "a list",
        Hashtable => "a dict",
        StorageRef => "a storage",
        TensorRef => "a tensor",
        StorageClass s => s.Name,
        _ => "an object",
    };

    private sealed class Constructor(Func<object[], object> build) : IObjectConstructor
    {
        public object construct(object[] args) => build(args);
    }

    /// <summary>A storage class such as <c>torch.FloatStorage</c>: only a tag in a persistent id, never called.</summary>
    internal sealed class StorageClass(string name, ElementType type) : IObjectConstructor
    {
        public string Name { get; } = name;
        public ElementType Type { get; } = type;

        public object construct(object[] args) =>
            throw new InvalidPickleException($"it calls {Name}(...); a state dict names storage classes but never calls them");
    }
}
