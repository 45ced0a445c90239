using Onnx;

namespace LightNets.Onnx;

/// <summary>
/// Evaluates ONNX ops whose inputs are all constants, as the shape subgraphs of a PyTorch export with dynamic axes
/// are once the input shape is fixed (Shape → Gather → Unsqueeze → Concat → Reshape). Integers stay int64 and divide
/// with truncation, floats are float32; every result size is bounded (<see cref="ConstTensor.MaxFoldedElements"/>).
/// Layout ops (Gather, Slice, Concat, ...) are in <see cref="ConstantIndexing"/>.
/// </summary>
internal static class ConstantFolder
{
    private static readonly HashSet<string> Foldable = new(StringComparer.Ordinal)
    {
        "Constant", "Cast", "Add", "Sub", "Mul", "Div", "Neg", "Equal", "Where", "ConstantOfShape", "Range",
        "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Reshape", "Flatten", "Transpose",
    };

    /// <summary>True when <paramref name="node"/> is an op this class evaluates and all its given inputs are constant.</summary>
    public static bool CanFold(OnnxNode node) =>
        Foldable.Contains(node.OpType) && node.Inputs.All(i => i is null or ConstValue);

    /// <summary>The node's single output, computed.</summary>
    public static ConstTensor Fold(OnnxNode n, OnnxTensorReader reader)
    {
        ConstTensor In(int i) => n.Const(i, $"input {i}");
        return n.OpType switch
        {
            "Constant" => Constant(n, reader),
            "Cast" => Cast(n, In(0)),
            "Add" => Binary(n, In(0), In(1), static (a, b) => a + b, static (a, b) => a + b),
            "Sub" => Binary(n, In(0), In(1), static (a, b) => a - b, static (a, b) => a - b),
            "Mul" => Binary(n, In(0), In(1), static (a, b) => a * b, static (a, b) => a * b),
            "Div" => Binary(n, In(0), In(1), static (a, b) => b == 0 ? throw new DivideByZeroException() : a / b, static (a, b) => a / b),
            "Neg" => In(0).IsFloat ? In(0).Map(static x => -x) : ConstTensor.Int(In(0).Dims, In(0).Longs!.Select(static x => -x).ToArray()),
            "Equal" => Equal(n, In(0), In(1)),
            "Where" => Where(n, In(0), In(1), In(2)),
            "ConstantOfShape" => ConstantOfShape(n, In(0), reader),
            "Range" => Range(n, In(0), In(1), In(2)),
            _ => ConstantIndexing.Fold(n, In),
        };
    }

    /// <summary>The dims of any value whose shape is known at import time (Shape and Size need nothing else).</summary>
    public static long[] DimsOf(OnnxValue? value, OnnxNode n) => value switch
    {
        ConstValue c => c.Tensor.Dims,
        IrValue v => v.Dims,
        ShuffleView s => s.Dims,
        PendingMatMul m => [m.Input.Shape[0], m.Weight.Dims[0]],
        QuantizedValue q => q.Source.Dims,
        UnreadableConst u => throw n.Unsupported($"its input is {u.Describe}, which LightNets does not read"),
        MissingValue missing => throw n.Unsupported($"its input is {missing.Reason}"),
        _ => throw n.Format("needs input 0 but it is missing"),
    };

    /// <summary>Shape (with opset-15 start/end) of any value.</summary>
    public static ConstTensor Shape(OnnxNode n)
    {
        var dims = DimsOf(n.Input(0), n);
        var r = dims.Length;
        long Clamp(long v) => Math.Clamp(v < 0 ? v + r : v, 0, r);
        var start = Clamp(n.Int("start", 0));
        var end = Clamp(n.Int("end", r));
        return ConstTensor.IntVector(dims[(int)start..(int)Math.Max(start, end)]);
    }

    public static ConstTensor Size(OnnxNode n)
    {
        var count = ConstTensor.ElementCount(DimsOf(n.Input(0), n)) ?? throw n.Format("has an input whose size overflows");
        return ConstTensor.IntScalar(count);
    }

    private static ConstTensor Constant(OnnxNode n, OnnxTensorReader reader)
    {
        if (n.Tensor("value") is { } t) return reader.Read(t, $"Constant node '{n.Name}'");
        if (n.Has("value_float")) return ConstTensor.Float([], [n.Float("value_float", 0f)]);
        if (n.Floats("value_floats") is { } fs) return ConstTensor.Float([fs.Length], fs);
        if (n.Has("value_int")) return ConstTensor.IntScalar(n.Int("value_int", 0));
        if (n.Ints("value_ints") is { } ls) return ConstTensor.IntVector(ls);
        var kind = n.Proto.Attribute.Select(a => a.Name).FirstOrDefault() ?? "no attribute";
        throw n.Unsupported($"a Constant given by '{kind}'; LightNets reads value, value_float(s) and value_int(s)");
    }

    private static ConstTensor Cast(OnnxNode n, ConstTensor x)
    {
        var to = n.Int("to", 0);
        return to switch
        {
            1 or 10 or 11 or 16 => ConstTensor.Float(x.Dims, x.AsFloats()),
            // The target type is kept (PyTorch casts the zero points of fake quantization to uint8/int8); values are not
            // wrapped into its range: a DequantizeLinear checks its integers' range itself.
            2 or 3 or 4 or 5 or 6 or 7 or 12 or 13 => ConstTensor.Int(x.Dims, x.AsLongs(), (int)to),
            9 => ConstTensor.Int(x.Dims, Enumerable.Range(0, x.Count).Select(i => x.GetFloat(i) != 0f ? 1L : 0L).ToArray()),
            _ => throw n.Unsupported($"a Cast to {OnnxTensorReader.TypeName((int)to)}"),
        };
    }

    /// <summary>NumPy-broadcast binary op; int64 when both operands are integers, float32 otherwise.</summary>
    private static ConstTensor Binary(OnnxNode n, ConstTensor a, ConstTensor b, Func<long, long, long> ints, Func<float, float, float> floats)
    {
        var (dims, ia, ib) = Broadcast(n, a.Dims, b.Dims);
        if (a.IsFloat || b.IsFloat)
            return ConstTensor.Float(dims, ia.Select((x, i) => floats(a.GetFloat(x), b.GetFloat(ib[i]))).ToArray());
        try
        {
            return ConstTensor.Int(dims, ia.Select((x, i) => ints(a.Longs![x], b.Longs![ib[i]])).ToArray());
        }
        catch (DivideByZeroException)
        {
            throw n.Format("divides an integer by zero");
        }
    }

    private static ConstTensor Equal(OnnxNode n, ConstTensor a, ConstTensor b)
    {
        var (dims, ia, ib) = Broadcast(n, a.Dims, b.Dims);
        bool Eq(int x, int y) => a.IsFloat || b.IsFloat ? a.GetFloat(x) == b.GetFloat(y) : a.Longs![x] == b.Longs![y];
        return ConstTensor.Int(dims, ia.Select((x, i) => Eq(x, ib[i]) ? 1L : 0L).ToArray());
    }

    private static ConstTensor Where(OnnxNode n, ConstTensor cond, ConstTensor x, ConstTensor y)
    {
        var (xyDims, ix, iy) = Broadcast(n, x.Dims, y.Dims);
        var (dims, ic, ixy) = Broadcast(n, cond.Dims, xyDims);
        var pick = ixy.Select((k, i) => cond.GetLong(ic[i]) != 0 ? (x, ix[k]) : (y, iy[k])).ToArray();
        return x.IsFloat || y.IsFloat
            ? ConstTensor.Float(dims, pick.Select(p => p.Item1.GetFloat(p.Item2)).ToArray())
            : ConstTensor.Int(dims, pick.Select(p => p.Item1.GetLong(p.Item2)).ToArray());
    }

    /// <summary>
    /// NumPy's rule: align right, missing dims are 1, each pair equal or one of them 1. Returns the result dims and,
    /// per result element, the flat index into each operand.
    /// </summary>
    internal static (long[] Dims, int[] A, int[] B) Broadcast(OnnxNode n, long[] a, long[] b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var dims = new long[rank];
        long DimAt(long[] d, int i) => i - (rank - d.Length) is var j && j >= 0 ? d[j] : 1;
        for (var i = 0; i < rank; i++)
        {
            long da = DimAt(a, i), db = DimAt(b, i);
            if (da != db && da != 1 && db != 1)
                throw n.Format($"cannot broadcast [{string.Join(", ", a)}] with [{string.Join(", ", b)}]");
            dims[i] = da == 1 ? db : da;
        }
        var count = ConstTensor.FoldedCount(dims, n);
        return (dims, Indices(a, dims, count), Indices(b, dims, count));
    }

    private static int[] Indices(long[] operand, long[] dims, int count)
    {
        var rank = dims.Length;
        var strides = ConstTensor.Strides(operand);
        var aligned = new long[rank];
        for (var i = 0; i < operand.Length; i++)
            aligned[rank - operand.Length + i] = operand[i] == 1 ? 0 : strides[i];
        var result = new int[count];
        var index = new long[rank];
        for (var o = 0; o < count; o++)
        {
            long flat = 0;
            for (var d = 0; d < rank; d++) flat += index[d] * aligned[d];
            result[o] = (int)flat;
            for (var d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < dims[d]) break;
                index[d] = 0;
            }
        }
        return result;
    }

    private static ConstTensor ConstantOfShape(OnnxNode n, ConstTensor shape, OnnxTensorReader reader)
    {
        var dims = shape.AsLongs();
        var count = ConstTensor.FoldedCount(dims, n);
        var value = n.Tensor("value") is { } t ? reader.Read(t, $"the value of node '{n.Name}'") : ConstTensor.Float([1], [0f]);
        if (value.Count != 1) throw n.Format($"has a value of {value.Count} elements where 1 is needed");
        return value.IsFloat
            ? ConstTensor.Float(dims, Enumerable.Repeat(value.Floats![0], count).ToArray())
            : ConstTensor.Int(dims, Enumerable.Repeat(value.Longs![0], count).ToArray());
    }

    private static ConstTensor Range(OnnxNode n, ConstTensor start, ConstTensor limit, ConstTensor delta)
    {
        if (start.Count != 1 || limit.Count != 1 || delta.Count != 1) throw n.Format("needs scalar start, limit and delta");
        if (start.IsFloat || limit.IsFloat || delta.IsFloat)
        {
            float s = start.GetFloat(0), l = limit.GetFloat(0), d = delta.GetFloat(0);
            if (d == 0f || !float.IsFinite(s) || !float.IsFinite(l) || !float.IsFinite(d)) throw n.Format("has a zero or non-finite delta or bound");
            var steps = Math.Max(Math.Ceiling(((double)l - s) / d), 0);
            var count = ConstTensor.FoldedCount([steps > long.MaxValue ? long.MaxValue : (long)steps], n);
            return ConstTensor.Float([count], Enumerable.Range(0, count).Select(i => s + i * d).ToArray());
        }
        long si = start.GetLong(0), li = limit.GetLong(0), di = delta.GetLong(0);
        if (di == 0) throw n.Format("has delta 0");
        var span = (Int128)li - si;
        var n128 = span <= 0 == di > 0 ? 0 : (span + di - (di > 0 ? 1 : -1)) / di;
        var c = ConstTensor.FoldedCount([n128 > long.MaxValue ? long.MaxValue : (long)n128], n);
        return ConstTensor.Int([c], Enumerable.Range(0, c).Select(i => si + i * di).ToArray());
    }
}
