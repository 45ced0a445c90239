using LightNets.Graphs;

namespace LightNets.Onnx;

/// <summary>
/// QuantizeLinear and DequantizeLinear (opsets 10–21), as ONNX Runtime's quantize_static (QDQ format) and PyTorch's
/// export of fake-quantized models write them. LightNets computes in float, so:
/// <list type="bullet">
/// <item>a QuantizeLinear of a feature map followed by DequantizeLinear with the same parameters is one
/// <see cref="FakeQuantizeOp"/> (the values rounded to the 8-bit grid), shared by every DequantizeLinear of it;</item>
/// <item>Q and DQ of constants are folded: a DQ of integers (int8/uint8 weights, int32 biases) becomes the float values
/// (q − z)·s, which remember their grid (<see cref="ConstValue.Grid"/>) so that a Conv, Gemm or MatMul reading them
/// records it as its <see cref="Conv2dOp.WeightQuant"/>; a Q of float weights (PyTorch's per-channel weights) folds to
/// the integers that its DQ then folds back.</item>
/// </list>
/// Parameters follow the ONNX spec: a scalar (or one-element) scale is per tensor, a 1-D scale runs along 'axis'
/// (opset 13 on, default 1, negative from the end); the zero point is optional (0 of uint8 for Q, or of Q-21's
/// output_dtype; 0 of the input's type for DQ). Refused, naming the node: int16/uint16, int4/uint4 and float8 types,
/// blocked quantization (block_size), scales that are not positive normal floats, zero points outside their type, a
/// per-axis count that does not fit the axis, and a DQ whose parameters differ from its Q's.
/// </summary>
internal static class OnnxQuantMapper
{
    private const int UInt8 = ConstTensor.UInt8Type, Int8 = ConstTensor.Int8Type, Int32 = ConstTensor.Int32Type;

    public static OnnxValue[] Map(OnnxNode n, IrEmitter e) => n.OpType == "QuantizeLinear" ? [Quantize(n, e)] : [Dequantize(n, e)];

    /// <summary>
    /// The grid a Conv or Gemm records as its <see cref="Conv2dOp.WeightQuant"/> for weights that came from a
    /// DequantizeLinear, or null. The int8 compiler multiplies int8 weights that have no zero point, per output channel
    /// (axis 0 of [Cout, ...]) or per tensor; weights on a uint8 or asymmetric grid, or along another axis, get no
    /// WeightQuant and run in float — correctly, since they are already folded to their exact dequantized values.
    /// </summary>
    /// <param name="weight">The layer's weight input.</param>
    /// <param name="transposed">The layer stores the constant transposed ([K, M] → [M, K]: MatMul, Gemm with transB = 0),
    /// so a grid along axis 1 (ORT's per-channel MatMul weights) becomes one along axis 0.</param>
    public static QuantParams? WeightGrid(OnnxValue? weight, bool transposed = false)
    {
        if (weight is not ConstValue { Grid: { } grid }) return null;
        if (transposed && !grid.IsPerTensor)
            grid = grid.Axis == 1 ? new QuantParams(grid.Scale, grid.ZeroPoint, grid.Type, axis: 0) : null;
        return grid is { Type: QuantType.Int8, IsSymmetric: true } && (grid.IsPerTensor || grid.Axis == 0) ? grid : null;
    }

    private static OnnxValue Quantize(OnnxNode n, IrEmitter e)
    {
        switch (n.Required(0))
        {
            case UnreadableConst u:
                throw n.Unsupported($"it quantizes {u.Describe}; LightNets quantizes float32 tensors");
            case QuantizedValue:
                throw n.Format("quantizes the integer output of another QuantizeLinear; QuantizeLinear reads float (or int32) values");
            case ConstValue c:
            {
                var t = c.Tensor;
                if (!t.IsFloat && t.DataType != Int32)
                    throw n.Format($"quantizes a {OnnxTensorReader.TypeName(t.DataType)} constant; QuantizeLinear reads float (or int32) values");
                var spec = ReadSpec(n, t.Dims, dequantizedType: null);
                var p = Params(n, spec);
                var inner = Inner(t.Dims, spec.Axis);
                var q = new long[t.Count];
                for (var i = 0; i < q.Length; i++) q[i] = p.Quantize(t.GetFloat(i), Slice(i, inner, spec));
                return new ConstValue(ConstTensor.Int(t.Dims, q, spec.Type), n.OutputName(0));
            }
            default:
            {
                var x = e.AsIr(n.Input(0), n, 0);
                return new QuantizedValue(x, Params(n, ReadSpec(n, x.Dims, dequantizedType: null)), n.Name);
            }
        }
    }

    private static OnnxValue Dequantize(OnnxNode n, IrEmitter e)
    {
        var x = n.Required(0);
        switch (x)
        {
            case UnreadableConst u:
                throw n.Unsupported($"it dequantizes {u.Describe}; LightNets imports uint8 and int8 quantization (and int32 biases)");
            case QuantizedValue q:
            {
                var p = Params(n, ReadSpec(n, q.Source.Dims, q.Params.Type == QuantType.UInt8 ? UInt8 : Int8));
                if (!p.Equals(q.Params))
                    throw n.Unsupported(
                        $"its parameters ({p}) differ from those of QuantizeLinear '{q.NodeName}' ({q.Params}); LightNets runs a QuantizeLinear–DequantizeLinear pair on a feature map as one fake quantization, which needs the same scale, zero point and axis on both");
                return e.Once(q, () => e.Emit(q.NodeName, new FakeQuantizeOp(p), [q.Source.Name], n.OutputName(0)));
            }
            case ConstValue { Tensor.IsFloat: false } c:
                return Fold(n, c.Tensor);
            case ConstValue:
                throw n.Format("dequantizes a float constant; DequantizeLinear reads integers");
            case MissingValue or ShuffleView:
                _ = e.AsIr(x, n, 0); // throws the value's own explanation
                goto default;
            default:
                throw n.Format($"dequantizes '{n.Proto.Input[0]}', a float feature map; DequantizeLinear reads integers (the output of a QuantizeLinear or an integer constant)");
        }
    }

    /// <summary>A DQ of integer constants: (q − z)·s per element, with its grid when it is a uint8/int8 one.</summary>
    private static ConstValue Fold(OnnxNode n, ConstTensor t)
    {
        if (t.DataType is not (UInt8 or Int8 or Int32))
            throw n.Unsupported($"dequantization of {OnnxTensorReader.TypeName(t.DataType)}; LightNets imports uint8 and int8 quantization (and int32 biases)");
        var spec = ReadSpec(n, t.Dims, t.DataType);
        var (min, max) = Range(spec.Type);
        var grid = spec.Type == Int32 ? null : Params(n, spec);
        var inner = Inner(t.Dims, spec.Axis);
        var values = new float[t.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var q = t.Longs![i];
            // Typed int32_data is not bounded by the declared type: a hostile 300 in a uint8 tensor is caught here.
            if (q < min || q > max)
                throw n.Format($"dequantizes value {q} (element {i} of '{n.Proto.Input[0]}'), outside the {OnnxTensorReader.TypeName(spec.Type)} range [{min}, {max}]");
            var c = Slice(i, inner, spec);
            // ONNX (and ORT): the integer difference, converted to float, times the scale; QuantParams computes the same.
            values[i] = grid?.Dequantize((int)q, c) ?? (int)(q - spec.ZeroPoint[c]) * spec.Scale[c];
        }
        return new ConstValue(ConstTensor.Float(t.Dims, values), n.OutputName(0)) { Grid = grid };
    }

    /// <summary>The scale, zero point, element type and axis (−1: per tensor) of one Q or DQ node, checked.</summary>
    private sealed record Spec(float[] Scale, long[] ZeroPoint, int Type, int Axis);

    /// <param name="n">The Q or DQ node.</param>
    /// <param name="dims">The shape of the tensor quantized or dequantized (per-axis scales must fit it).</param>
    /// <param name="dequantizedType">For a DQ, the element type of its input; null for a Q.</param>
    private static Spec ReadSpec(OnnxNode n, long[] dims, int? dequantizedType)
    {
        // 'saturate' (opset 19) applies to float8 only, which is refused below: ignored. 'block_size' (21) quantizes in
        // blocks along the axis, which FakeQuantizeOp cannot express.
        if (n.Int("block_size", 0) is var block && block != 0)
            throw n.Unsupported($"blocked quantization (block_size {block}); LightNets quantizes per tensor or per axis");
        var scale = Parameter(n, 1, "scale") ?? throw n.Format("needs input 1 (the scale) but it is missing");
        var zeroPoint = Parameter(n, 2, "zero point");
        if (!scale.IsFloat)
            throw n.Format($"has a scale of type {OnnxTensorReader.TypeName(scale.DataType)}; a quantization scale is a float");
        if (zeroPoint is { IsFloat: true })
            throw n.Format($"has a float zero point '{n.Proto.Input[2]}'; the zero point has the quantized type (uint8 or int8)");

        // The quantized type: the zero point's, else (no zero point) Q-21's output_dtype or uint8, DQ's input type.
        var outputDtype = dequantizedType is null && n.Int("output_dtype", 0) is var od and not 0 ? (int)Math.Clamp(od, 0, int.MaxValue) : (int?)null;
        var type = zeroPoint?.DataType ?? dequantizedType ?? outputDtype ?? UInt8;
        if (outputDtype is { } declared && declared != type)
            throw n.Format($"has output_dtype {OnnxTensorReader.TypeName(declared)} but a {OnnxTensorReader.TypeName(type)} zero point");
        if (dequantizedType is { } xType && xType != type)
            throw n.Format($"dequantizes a tensor of type {OnnxTensorReader.TypeName(xType)} with a zero point of type {OnnxTensorReader.TypeName(type)}; ONNX requires the same type");
        if (!(type is UInt8 or Int8 || type == Int32 && dequantizedType is not null))
            throw n.Unsupported($"{(dequantizedType is null ? "quantization to" : "dequantization of")} {OnnxTensorReader.TypeName(type)}; LightNets imports uint8 and int8 quantization (and int32 biases)");

        var count = scale.Count;
        if (count == 0 || scale.Rank > 1)
            throw n.Format($"has a scale of shape [{scale.ShapeText}]; ONNX takes a scalar (per tensor) or a 1-D scale (per axis)");
        var axis = -1;
        if (count > 1)
        {
            if (n.Opset < 13)
                throw n.Format($"has {count} scales; per-axis quantization (the 'axis' attribute) needs opset 13 or later");
            axis = ConstantIndexing.Axis(n, n.Int("axis", 1), dims.Length);
            if (dims[axis] != count)
                throw n.Format($"has {count} scales along axis {axis} of [{string.Join(", ", dims)}], which has {dims[axis]} entries");
        }
        var scales = scale.AsFloats();
        for (var i = 0; i < count; i++)
        {
            if (!(scales[i] > 0) || !float.IsNormal(scales[i]))
                throw n.Format($"has scale {scales[i]:G9} (element {i} of '{n.Proto.Input[1]}'); a quantization scale must be a positive, finite, normal float");
        }

        var zeros = new long[count];
        if (zeroPoint is not null)
        {
            if (zeroPoint.Count != count)
                throw n.Format($"has {zeroPoint.Count} zero points for {count} scales; ONNX gives both the same shape");
            var (min, max) = type == Int32 ? (0, 0) : Range(type);
            for (var i = 0; i < count; i++)
            {
                zeros[i] = zeroPoint.GetLong(i);
                if (zeros[i] < min || zeros[i] > max)
                    throw n.Format(type == Int32
                        ? $"has zero point {zeros[i]} for int32 values; ONNX dequantizes int32 with zero point 0"
                        : $"has zero point {zeros[i]} (element {i} of '{n.Proto.Input[2]}'), outside the {OnnxTensorReader.TypeName(type)} range [{min}, {max}]");
            }
        }
        return new Spec(scales, zeros, type, axis);
    }

    /// <summary>Input <paramref name="i"/> as a constant, or null when absent; computed or unreadable ones are refused.</summary>
    private static ConstTensor? Parameter(OnnxNode n, int i, string role) => n.Input(i) switch
    {
        null => null,
        UnreadableConst u => throw n.Unsupported($"its {role} is {u.Describe}; LightNets reads float32 scales and uint8/int8 zero points"),
        _ => n.Const(i, role),
    };

    private static QuantParams Params(OnnxNode n, Spec s)
    {
        if (s.Axis >= Graph.MaxRank)
            throw n.Unsupported($"quantization along axis {s.Axis}; LightNets quantizes along axes 0 to {Graph.MaxRank - 1}");
        return new QuantParams(s.Scale, s.ZeroPoint.Select(z => (int)z).ToArray(), s.Type == UInt8 ? QuantType.UInt8 : QuantType.Int8, s.Axis);
    }

    private static (long Min, long Max) Range(int type) => type switch
    {
        UInt8 => (0, 255),
        Int8 => (-128, 127),
        _ => (int.MinValue, int.MaxValue),
    };

    /// <summary>The number of consecutive elements that share one scale along <paramref name="axis"/> (row-major).</summary>
    private static long Inner(long[] dims, int axis)
    {
        long inner = 1;
        if (axis >= 0)
        {
            for (var d = axis + 1; d < dims.Length; d++) inner *= dims[d];
        }
        return inner;
    }

    private static int Slice(long i, long inner, Spec s) => s.Axis < 0 ? 0 : (int)(i / inner % s.Scale.Length);
}
