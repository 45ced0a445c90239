namespace LightNets.Onnx;

/// <summary>
/// Folding of the layout ops on constants (Gather, Unsqueeze, Squeeze, Concat, Slice, Reshape, Flatten, Transpose),
/// plus the index rules (axis normalization, Slice clamping, Reshape's 0 and −1) that the feature-map mapping shares.
/// </summary>
internal static class ConstantIndexing
{
    public static ConstTensor Fold(OnnxNode n, Func<int, ConstTensor> input) => n.OpType switch
    {
        "Gather" => Gather(n, input(0), input(1)),
        "Unsqueeze" => Unsqueeze(n, input(0)),
        "Squeeze" => Squeeze(n, input(0)),
        "Concat" => Concat(n, Enumerable.Range(0, n.Inputs.Count).Where(i => n.Input(i) is not null).Select(input).ToArray()),
        "Slice" => Slice(n, input(0)),
        "Reshape" => input(0).WithDims(ResolveReshape(n, input(0).Dims, input(1).AsLongs())),
        "Flatten" => FlattenConst(n, input(0)),
        "Transpose" => Transpose(n, input(0)),
        _ => throw new InvalidOperationException($"no fold for {n.OpType}"),
    };

    /// <summary>An axis in [−rank, rank) mapped to [0, rank).</summary>
    public static int Axis(OnnxNode n, long axis, int rank, string what = "axis")
    {
        if (axis < -rank || axis >= rank) throw n.Format($"has {what} {axis} outside [{-rank}, {rank})");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    /// <summary>
    /// ONNX Reshape's target: 0 copies the input dimension at that index (unless allowzero), one −1 takes what is left.
    /// </summary>
    public static long[] ResolveReshape(OnnxNode n, long[] inDims, long[] target)
    {
        var allowZero = n.Int("allowzero", 0) != 0;
        var dims = (long[])target.Clone();
        var infer = -1;
        for (var i = 0; i < dims.Length; i++)
        {
            if (dims[i] == 0 && !allowZero)
            {
                if (i >= inDims.Length) throw n.Format($"copies dimension {i} (0 in its shape) of a rank-{inDims.Length} input");
                dims[i] = inDims[i];
            }
            else if (dims[i] == -1)
            {
                if (infer >= 0) throw n.Format("has more than one -1 in its target shape");
                infer = i;
            }
            else if (dims[i] < 0) throw n.Format($"has target dimension {dims[i]}");
        }
        var total = ConstTensor.ElementCount(inDims) ?? throw n.Format("has an input whose size overflows");
        if (infer >= 0)
        {
            dims[infer] = 1;
            var known = ConstTensor.ElementCount(dims) ?? throw n.Format("has a target shape whose size overflows");
            if (known == 0 || total % known != 0)
                throw n.Format($"cannot reshape [{string.Join(", ", inDims)}] to [{string.Join(", ", target)}]");
            dims[infer] = total / known;
        }
        if (ConstTensor.ElementCount(dims) != total)
            throw n.Format($"cannot reshape [{string.Join(", ", inDims)}] ({total} elements) to [{string.Join(", ", dims)}]");
        return dims;
    }

    /// <summary>
    /// Slice bounds on one axis as ONNX defines them: negative values count from the end, then clamp to [0, dim]
    /// for a positive step and to [−1, dim − 1] for a negative one (so INT64_MAX means "to the end").
    /// </summary>
    public static (long Start, long End, long Count) SliceRange(long dim, long start, long end, long step)
    {
        if (start < 0) start += dim;
        if (end < 0) end += dim;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, dim);
            end = Math.Clamp(end, 0, dim);
            return (start, end, end > start ? (end - start + step - 1) / step : 0);
        }
        start = Math.Clamp(start, -1, dim - 1);
        end = Math.Clamp(end, -1, dim - 1);
        return (start, end, start > end ? (start - end - step - 1) / -step : 0);
    }

    /// <summary>Slice's starts, ends, axes and steps (inputs 1–4), axes normalized, steps non-zero.</summary>
    public static (int Axis, long Start, long End, long Step)[] SliceSpec(OnnxNode n, int rank)
    {
        var starts = n.Const(1, "starts").AsLongs();
        var ends = n.Const(2, "ends").AsLongs();
        var axes = n.OptionalConst(3, "axes")?.AsLongs() ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var steps = n.OptionalConst(4, "steps")?.AsLongs() ?? Enumerable.Repeat(1L, starts.Length).ToArray();
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            throw n.Format("has starts, ends, axes and steps of different lengths");
        var spec = new (int, long, long, long)[starts.Length];
        for (var i = 0; i < spec.Length; i++)
        {
            if (steps[i] == 0) throw n.Format("has step 0");
            spec[i] = (Axis(n, axes[i], rank, "slice axis"), starts[i], ends[i], steps[i]);
        }
        if (spec.Select(s => s.Item1).Distinct().Count() != spec.Length) throw n.Format("slices an axis twice");
        return spec;
    }

    private static ConstTensor Gather(OnnxNode n, ConstTensor data, ConstTensor indices)
    {
        if (data.Rank == 0) throw n.Format("gathers from a scalar");
        var axis = Axis(n, n.Int("axis", 0), data.Rank);
        var axisLen = data.Dims[axis];
        var outer = data.Dims[..axis].Aggregate(1L, (a, b) => a * b);
        var inner = data.Dims[(axis + 1)..].Aggregate(1L, (a, b) => a * b);
        long[] dims = [.. data.Dims[..axis], .. indices.Dims, .. data.Dims[(axis + 1)..]];
        var count = ConstTensor.FoldedCount(dims, n);
        var source = new int[count];
        var k = 0;
        for (long o = 0; o < outer; o++)
        {
            for (var j = 0; j < indices.Count; j++)
            {
                var idx = indices.GetLong(j);
                if (idx < -axisLen || idx >= axisLen) throw n.Format($"has index {idx} outside an axis of length {axisLen}");
                if (idx < 0) idx += axisLen;
                for (long i = 0; i < inner; i++) source[k++] = (int)((o * axisLen + idx) * inner + i);
            }
        }
        return Pick(data, dims, source);
    }

    /// <summary>Unsqueeze's axes: the attribute before opset 13, the second input from 13 on.</summary>
    private static ConstTensor Unsqueeze(OnnxNode n, ConstTensor x)
    {
        var axes = n.Opset < 13 ? n.Ints("axes") : n.OptionalConst(1, "axes")?.AsLongs();
        if (axes is null) throw n.Format("has no axes");
        var rank = x.Rank + axes.Length;
        var set = axes.Select(a => Axis(n, a, rank)).ToHashSet();
        if (set.Count != axes.Length) throw n.Format("repeats an axis");
        var dims = new long[rank];
        for (int i = 0, j = 0; i < rank; i++) dims[i] = set.Contains(i) ? 1 : x.Dims[j++];
        return x.WithDims(dims);
    }

    private static ConstTensor Squeeze(OnnxNode n, ConstTensor x)
    {
        var axes = n.Opset < 13 ? n.Ints("axes") : n.OptionalConst(1, "axes")?.AsLongs();
        var set = axes?.Select(a => Axis(n, a, x.Rank)).ToHashSet() ?? Enumerable.Range(0, x.Rank).Where(i => x.Dims[i] == 1).ToHashSet();
        if (set.Any(a => x.Dims[a] != 1)) throw n.Format($"squeezes an axis of [{string.Join(", ", x.Dims)}] that is not 1");
        return x.WithDims(x.Dims.Where((_, i) => !set.Contains(i)).ToArray());
    }

    private static ConstTensor Concat(OnnxNode n, ConstTensor[] parts)
    {
        if (parts.Length == 0) throw n.Format("has no inputs");
        var rank = parts[0].Rank;
        if (rank == 0 || parts.Any(p => p.Rank != rank)) throw n.Format("concatenates tensors of different ranks or scalars");
        var axis = Axis(n, n.Int("axis", 0), rank);
        var dims = (long[])parts[0].Dims.Clone();
        dims[axis] = 0;
        foreach (var p in parts)
        {
            for (var d = 0; d < rank; d++)
            {
                if (d != axis && p.Dims[d] != dims[d]) throw n.Format($"concatenates [{string.Join(", ", p.Dims)}] with [{string.Join(", ", parts[0].Dims)}]");
            }
            dims[axis] += p.Dims[axis];
        }
        var count = ConstTensor.FoldedCount(dims, n);
        var outer = dims[..axis].Aggregate(1L, (a, b) => a * b);
        var floats = parts.Any(p => p.IsFloat);
        var fs = floats ? new float[count] : null;
        var ls = floats ? null : new long[count];
        var k = 0;
        for (long o = 0; o < outer; o++)
        {
            foreach (var p in parts)
            {
                var block = p.Count / Math.Max(outer, 1);
                for (long i = 0; i < block; i++, k++)
                {
                    var src = (int)(o * block + i);
                    if (fs is not null) fs[k] = p.GetFloat(src);
                    else ls![k] = p.Longs![src];
                }
            }
        }
        // Integer parts of one type keep it; mixed ones are int64 like any computed integer.
        var type = parts.All(p => p.DataType == parts[0].DataType) ? parts[0].DataType : ConstTensor.Int64Type;
        return fs is not null ? ConstTensor.Float(dims, fs) : ConstTensor.Int(dims, ls!, type);
    }

    private static ConstTensor Slice(OnnxNode n, ConstTensor x)
    {
        var rank = x.Rank;
        var start = new long[rank];
        var step = Enumerable.Repeat(1L, rank).ToArray();
        var dims = (long[])x.Dims.Clone();
        foreach (var (axis, s, e, st) in SliceSpec(n, rank))
        {
            var (from, _, count) = SliceRange(x.Dims[axis], s, e, st);
            (start[axis], step[axis], dims[axis]) = (from, st, count);
        }
        var total = ConstTensor.FoldedCount(dims, n);
        var strides = ConstTensor.Strides(x.Dims);
        var source = new int[total];
        var index = new long[rank];
        for (var o = 0; o < total; o++)
        {
            long flat = 0;
            for (var d = 0; d < rank; d++) flat += (start[d] + index[d] * step[d]) * strides[d];
            source[o] = (int)flat;
            for (var d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < dims[d]) break;
                index[d] = 0;
            }
        }
        return Pick(x, dims, source);
    }

    private static ConstTensor FlattenConst(OnnxNode n, ConstTensor x)
    {
        var axis = (int)n.Int("axis", 1);
        if (axis < 0) axis += x.Rank;
        if (axis < 0 || axis > x.Rank) throw n.Format($"has axis {n.Int("axis", 1)} for a rank-{x.Rank} input");
        return x.WithDims([x.Dims[..axis].Aggregate(1L, (a, b) => a * b), x.Dims[axis..].Aggregate(1L, (a, b) => a * b)]);
    }

    private static ConstTensor Transpose(OnnxNode n, ConstTensor x)
    {
        var rank = x.Rank;
        var perm = n.Ints("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        if (perm.Length != rank || perm.Order().Select((p, i) => p == i).Any(ok => !ok))
            throw n.Format($"has perm [{string.Join(", ", perm)}], not a permutation of {rank} axes");
        var dims = perm.Select(p => x.Dims[p]).ToArray();
        var inStrides = ConstTensor.Strides(x.Dims);
        var source = new int[x.Count];
        var index = new long[rank];
        for (var o = 0; o < source.Length; o++)
        {
            long flat = 0;
            for (var d = 0; d < rank; d++) flat += index[d] * inStrides[perm[d]];
            source[o] = (int)flat;
            for (var d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < dims[d]) break;
                index[d] = 0;
            }
        }
        return Pick(x, dims, source);
    }

    /// <summary>A new tensor of <paramref name="dims"/> whose element i is element source[i] of <paramref name="x"/>.</summary>
    private static ConstTensor Pick(ConstTensor x, long[] dims, int[] source) => x.IsFloat
        ? ConstTensor.Float(dims, source.Select(i => x.Floats![i]).ToArray())
        : ConstTensor.Int(dims, source.Select(i => x.Longs![i]).ToArray(), x.DataType);

    /// <summary>The 2-D transpose of a matrix constant (MatMul weights [K, M] → the IR's [M, K]; Gemm with transB = 0).</summary>
    public static ConstTensor Transpose2d(ConstTensor w)
    {
        long rows = w.Dims[0], cols = w.Dims[1];
        var f = w.AsFloats();
        var t = new float[f.Length];
        for (long r = 0; r < rows; r++)
        {
            for (long c = 0; c < cols; c++) t[c * rows + r] = f[r * cols + c];
        }
        return ConstTensor.Float([cols, rows], t);
    }
}
