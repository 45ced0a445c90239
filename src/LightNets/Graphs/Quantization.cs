namespace LightNets.Graphs;

/// <summary>The integer type a quantized tensor is stored in (ONNX's uint8 and int8).</summary>
public enum QuantType
{
    UInt8,
    Int8,
}

/// <summary>
/// Linear quantization as ONNX's QuantizeLinear/DequantizeLinear define it: q = saturate(round_half_even(x / Scale) +
/// ZeroPoint) in the range of <see cref="Type"/>, real = (q − ZeroPoint)·Scale. One (scale, zero point) for the whole
/// tensor (<see cref="Axis"/> −1), or one per slice along <see cref="Axis"/> (per output channel: axis 0 of a
/// convolution's weights [Cout, ...], axis 1 of an activation). Immutable.
/// </summary>
public sealed record QuantParams
{
    /// <summary>The largest number of per-axis entries accepted (no tensor here has more channels).</summary>
    public const int MaxEntries = 1 << 20;

    private readonly float[] _scale;
    private readonly int[] _zeroPoint;

    public QuantParams(IReadOnlyList<float> scale, IReadOnlyList<int> zeroPoint, QuantType type, int axis = -1)
    {
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(zeroPoint);
        if (scale.Count is 0 or > MaxEntries || scale.Count != zeroPoint.Count)
            throw new GraphValidationException($"quantization needs as many zero points as scales (1 to {MaxEntries:N0}), got {scale.Count} and {zeroPoint.Count}");
        if (axis < -1 || axis >= Graph.MaxRank) throw new GraphValidationException($"the quantization axis must be −1 (per tensor) or 0 to {Graph.MaxRank - 1}, got {axis}");
        if (axis == -1 && scale.Count != 1) throw new GraphValidationException($"per-tensor quantization has one scale, got {scale.Count}");
        Type = type;
        var (min, max) = Range(type);
        foreach (var s in scale)
            if (!(s > 0) || !float.IsFinite(s) || !float.IsNormal(s))
                throw new GraphValidationException($"every quantization scale must be a positive normal float, got {s}");
        foreach (var z in zeroPoint)
            if (z < min || z > max) throw new GraphValidationException($"a {type} zero point must be {min} to {max}, got {z}");
        (_scale, _zeroPoint, Axis) = ([.. scale], [.. zeroPoint], axis);
    }

    /// <summary>Per-tensor parameters.</summary>
    public static QuantParams PerTensor(float scale, int zeroPoint, QuantType type) => new([scale], [zeroPoint], type);

    public IReadOnlyList<float> Scale => _scale;

    public IReadOnlyList<int> ZeroPoint => _zeroPoint;

    public QuantType Type { get; }

    /// <summary>−1 for one scale for the whole tensor; else the axis (NCHW order) the scales run along.</summary>
    public int Axis { get; }

    public bool IsPerTensor => Axis < 0;

    public int QMin => Range(Type).Min;

    public int QMax => Range(Type).Max;

    /// <summary>Whether every zero point is 0 (symmetric; int8 weights).</summary>
    public bool IsSymmetric => _zeroPoint.All(z => z == 0);

    public static (int Min, int Max) Range(QuantType type) => type == QuantType.UInt8 ? (0, 255) : (-128, 127);

    /// <summary>The quantized value of <paramref name="x"/> in slice <paramref name="i"/> (ONNX QuantizeLinear: division, ties to even, saturation).</summary>
    public int Quantize(float x, int i = 0)
    {
        var q = MathF.Round(x / _scale[i], MidpointRounding.ToEven) + _zeroPoint[i];
        return float.IsNaN(q) ? _zeroPoint[i] : (int)Math.Clamp(q, QMin, QMax);
    }

    /// <summary>The real value of <paramref name="q"/> in slice <paramref name="i"/> (ONNX DequantizeLinear).</summary>
    public float Dequantize(int q, int i = 0) => (q - _zeroPoint[i]) * _scale[i];

    /// <summary>
    /// Quantizes then dequantizes every element of <paramref name="x"/> (per slice along <see cref="Axis"/>): the
    /// semantics of <see cref="FakeQuantizeOp"/>, which the reference interpreter runs.
    /// </summary>
    /// <exception cref="ArgumentException">Per-axis parameters that do not fit the tensor's shape.</exception>
    public Tensors.Tensor FakeQuantize(Tensors.Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = new Tensors.Tensor(x.Shape);
        var (src, dst) = (x.Data, y.Data);
        if (IsPerTensor)
        {
            for (long i = 0; i < src.LongLength; i++) dst[i] = Dequantize(Quantize(src[i]));
            return y;
        }
        if (Axis >= x.Shape.Rank || x.Shape[Axis] != _scale.Length)
            throw new ArgumentException($"per-axis quantization along axis {Axis} with {_scale.Length} scales does not fit a tensor [{x.Shape}]", nameof(x));
        // Elements of one slice along the axis come in runs of `inner` (the product of the later dimensions).
        long inner = 1;
        for (var d = Axis + 1; d < x.Shape.Rank; d++) inner *= x.Shape[d];
        for (long i = 0; i < src.LongLength; i++)
        {
            var c = (int)(i / inner % _scale.Length);
            dst[i] = Dequantize(Quantize(src[i], c), c);
        }
        return y;
    }

    public bool Equals(QuantParams? other) =>
        other is not null && Type == other.Type && Axis == other.Axis && _scale.AsSpan().SequenceEqual(other._scale) &&
        _zeroPoint.AsSpan().SequenceEqual(other._zeroPoint);

    public override int GetHashCode() => HashCode.Combine(Type, Axis, _scale.Length, _scale[0], _zeroPoint[0]);

    public override string ToString() => IsPerTensor
        ? $"{Type.ToString().ToLowerInvariant()} scale {_scale[0]:G6} zero {_zeroPoint[0]}"
        : $"{Type.ToString().ToLowerInvariant()} per axis {Axis} ({_scale.Length} scales{(IsSymmetric ? ", symmetric" : "")})";
}

/// <summary>
/// A QuantizeLinear followed by its DequantizeLinear (a "fake quantization"): y = (saturate(round(x / s) + z) − z)·s,
/// so y is float and holds only values a <see cref="Params"/>-quantized tensor can hold. This is how a QDQ ONNX model
/// marks where values are 8-bit: the int8 compiler stores the value as integers there; a float run computes exactly
/// this. On a weight initializer it marks the weights as quantized (their values already on the grid).
/// </summary>
public sealed record FakeQuantizeOp(QuantParams Params) : Op
{
    public override OpKind Kind => OpKind.FakeQuantize;
}
