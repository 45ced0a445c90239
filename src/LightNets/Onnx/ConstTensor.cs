using LightNets.Tensors;

namespace LightNets.Onnx;

/// <summary>
/// A constant known at import time: an initializer, a Constant node, or the folded result of a shape computation.
/// Unlike <see cref="Tensor"/> it may be a scalar, empty (a zero dimension) or integer; integers stay 64-bit so
/// that Slice's INT64_MAX "to the end" survives folding. Exactly one of <see cref="Floats"/> and
/// <see cref="Longs"/> is set; <see cref="DataType"/> remembers the ONNX element type of integers (a QDQ model's
/// DequantizeLinear must know int8 from uint8). Instances are treated as immutable.
/// </summary>
internal sealed class ConstTensor
{
    /// <summary>ONNX element types (TensorProto.DataType) that constants keep.</summary>
    public const int FloatType = 1, UInt8Type = 2, Int8Type = 3, Int32Type = 6, Int64Type = 7;

    /// <summary>
    /// Largest tensor shape folding may create (ConstantOfShape, Range, broadcasting): shape subgraphs are tiny, so a
    /// bigger request means a hostile or broken file, not a model.
    /// </summary>
    public const long MaxFoldedElements = 1L << 24;

    private ConstTensor(long[] dims, float[]? floats, long[]? longs, int dataType)
    {
        Dims = dims;
        Floats = floats;
        Longs = longs;
        DataType = dataType;
    }

    public long[] Dims { get; }
    public float[]? Floats { get; }
    public long[]? Longs { get; }
    public bool IsFloat => Floats is not null;

    /// <summary>The ONNX element type the values came from: FLOAT for float data, INT64 for integers unless read or cast as another integer type.</summary>
    public int DataType { get; }
    public int Rank => Dims.Length;
    public int Count => Floats?.Length ?? Longs!.Length;

    public static ConstTensor Float(long[] dims, float[] data) => new(Checked(dims, data.Length), data, null, FloatType);
    public static ConstTensor Int(long[] dims, long[] data, int dataType = Int64Type) => new(Checked(dims, data.Length), null, data, dataType);
    public static ConstTensor IntVector(params long[] data) => Int([data.Length], data);
    public static ConstTensor IntScalar(long value) => Int([], [value]);

    /// <summary>Product of <paramref name="dims"/>, or null when a dimension is negative or the product overflows.</summary>
    public static long? ElementCount(IReadOnlyList<long> dims)
    {
        long n = 1;
        foreach (var d in dims)
        {
            if (d < 0) return null;
            try { n = checked(n * d); }
            catch (OverflowException) { return null; }
        }
        return n;
    }

    /// <summary>Element count of a shape a fold wants to create, rejected before anything is allocated.</summary>
    public static int FoldedCount(IReadOnlyList<long> dims, OnnxNode node)
    {
        var n = ElementCount(dims);
        if (n is null || n > MaxFoldedElements)
            throw node.Format($"would create a constant of shape [{string.Join(", ", dims)}], larger than the {MaxFoldedElements} elements import-time folding allows");
        return (int)n.Value;
    }

    private static long[] Checked(long[] dims, int count)
    {
        if (ElementCount(dims) != count)
            throw new InvalidOperationException($"constant of shape [{string.Join(", ", dims)}] built with {count} elements");
        return dims;
    }

    public float GetFloat(int i) => Floats is { } f ? f[i] : Longs![i];
    public long GetLong(int i) => Longs is { } l ? l[i] : (long)Floats![i];

    /// <summary>The elements as integers (ONNX shape tensors are int64; a float tensor is truncated like Cast).</summary>
    public long[] AsLongs() => Longs ?? Floats!.Select(f => (long)f).ToArray();
    public float[] AsFloats() => Floats ?? Longs!.Select(l => (float)l).ToArray();

    /// <summary>The single element of a scalar or one-element tensor.</summary>
    public bool TryScalar(out float value)
    {
        value = Count == 1 ? GetFloat(0) : 0f;
        return Count == 1;
    }

    public ConstTensor WithDims(long[] dims) => IsFloat ? Float(dims, Floats!) : Int(dims, Longs!, DataType);

    /// <summary>A float copy mapped element-wise (for folding alpha into weights, negating, reciprocals).</summary>
    public ConstTensor Map(Func<float, float> f) => Float(Dims, AsFloats().Select(f).ToArray());

    /// <summary>
    /// As an IR tensor (float32, every dimension ≥ 1; a scalar becomes rank 0). Integer constants are converted, since
    /// the IR computes in float32 only.
    /// </summary>
    public Tensor ToTensor(string name)
    {
        var dims = new int[Dims.Length];
        for (var i = 0; i < dims.Length; i++)
        {
            if (Dims[i] < 1 || Dims[i] > int.MaxValue)
                throw new OnnxFormatException($"constant '{name}' of shape [{ShapeText}] cannot be a LightNets tensor (every dimension must be 1 or more)");
            dims[i] = (int)Dims[i];
        }
        return new Tensor(new Shape(dims), IsFloat ? Floats! : AsFloats());
    }

    /// <summary>Row-major strides of <paramref name="dims"/>.</summary>
    public static long[] Strides(IReadOnlyList<long> dims)
    {
        var s = new long[dims.Count];
        long acc = 1;
        for (var i = dims.Count - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    public string ShapeText => string.Join("×", Dims);

    public override string ToString()
    {
        var values = Count <= 8
            ? string.Join(", ", Enumerable.Range(0, Count).Select(i => IsFloat ? GetFloat(i).ToString("G6") : GetLong(i).ToString()))
            : $"{Count} elements";
        return $"{(IsFloat ? "float" : OnnxTensorReader.TypeName(DataType))}[{ShapeText}] {{{values}}}";
    }
}
