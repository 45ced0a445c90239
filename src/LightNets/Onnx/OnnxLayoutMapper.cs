using LightNets.Graphs;

namespace LightNets.Onnx;

/// <summary>
/// Maps ONNX layout ops on feature maps to the IR's channel ops. The IR has no general reshape or transpose, so
/// each supported use is recognized by the shapes involved: Reshape to [N, −1] is a Flatten; Reshape to
/// [N, g, C/g, H, W], Transpose(0, 2, 1, 3, 4), Reshape back is a ChannelShuffle(g); Slice and Split must cut
/// channels only. Anything else is reported as unsupported with the shapes that did not fit.
/// </summary>
internal static class OnnxLayoutMapper
{
    public static OnnxValue[]? Map(OnnxNode n, IrEmitter e) => n.OpType switch
    {
        "Reshape" => [Reshape(n, e)],
        "Transpose" => [Transpose(n, e)],
        "Flatten" => [Flatten(n, e)],
        "Squeeze" => [Squeeze(n, e)],
        "Concat" => [Concat(n, e)],
        "Slice" => [Slice(n, e)],
        "Split" => Split(n, e),
        _ => null,
    };

    private static OnnxValue Reshape(OnnxNode n, IrEmitter e)
    {
        var target = n.Const(1, "target shape").AsLongs();
        if (n.Input(0) is ShuffleView view)
        {
            var back = ConstantIndexing.ResolveReshape(n, view.Dims, target);
            if (!back.SequenceEqual(view.Source.Dims))
                throw n.Unsupported($"a reshape of the channel-shuffle view [{string.Join(", ", view.Dims)}] to [{string.Join(", ", back)}]; only the way back to [{view.Source.Shape}] is supported");
            return view.Transposed
                ? e.Emit(n.Name, new ChannelShuffleOp(view.Groups), [view.Source.Name], n.OutputName(0))
                : view.Source;
        }

        var x = e.AsIr(n.Input(0), n, 0);
        var inDims = x.Dims;
        var dims = ConstantIndexing.ResolveReshape(n, inDims, target);
        if (dims.SequenceEqual(inDims)) return x;
        if (inDims.Length == 4 && dims.Length == 5 && dims[0] == inDims[0] && dims[1] > 0 && dims[1] * dims[2] == inDims[1]
            && dims[3] == inDims[2] && dims[4] == inDims[3])
            return new ShuffleView(x, (int)dims[1], false, dims);
        if (inDims.Length >= 2 && dims.Length == 2 && dims[0] == inDims[0])
            return e.Emit(n.Name, new FlattenOp(), [x.Name], n.OutputName(0));
        throw n.Unsupported(
            $"a reshape of [{x.Shape}] to [{string.Join(", ", dims)}]; LightNets supports reshapes to [N, -1] (Flatten) and the channel-shuffle pattern");
    }

    private static OnnxValue Transpose(OnnxNode n, IrEmitter e)
    {
        var input = n.Input(0);
        var rank = ConstantFolder.DimsOf(input, n).Length;
        var perm = n.Ints("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        if (input is ShuffleView { Transposed: false } view && perm.SequenceEqual([0L, 2, 1, 3, 4]))
            return view with { Transposed = true, Dims = [view.Dims[0], view.Dims[2], view.Dims[1], view.Dims[3], view.Dims[4]] };
        var x = e.AsIr(input, n, 0);
        if (perm.Select((p, i) => p == i).All(same => same)) return x;
        throw n.Unsupported(
            $"a transpose of [{x.Shape}] by [{string.Join(", ", perm)}]; LightNets supports only the (0, 2, 1, 3, 4) step of a channel shuffle");
    }

    private static OnnxValue Flatten(OnnxNode n, IrEmitter e)
    {
        var x = e.AsIr(n.Input(0), n, 0);
        var rank = x.Shape.Rank;
        var axis = n.Int("axis", 1);
        if (axis < 0) axis += rank;
        if (axis != 1) throw n.Unsupported($"Flatten at axis {n.Int("axis", 1)} of [{x.Shape}]; LightNets flattens from axis 1");
        return rank == 2 ? x : e.Emit(n.Name, new FlattenOp(), [x.Name], n.OutputName(0));
    }

    /// <summary>Squeeze of the 1×1 spatial axes of an N×C×1×1 map (some exporters' alternative to Flatten).</summary>
    private static OnnxValue Squeeze(OnnxNode n, IrEmitter e)
    {
        var x = e.AsIr(n.Input(0), n, 0);
        var rank = x.Shape.Rank;
        var axes = n.Opset < 13 ? n.Ints("axes") : n.OptionalConst(1, "axes")?.AsLongs();
        var set = axes?.Select(a => ConstantIndexing.Axis(n, a, rank)).Order().ToArray()
                  ?? Enumerable.Range(0, rank).Where(i => x.Shape[i] == 1).ToArray();
        if (set.Length == 0) return x;
        if (rank == 4 && set is [2, 3] && x.Shape.H == 1 && x.Shape.W == 1)
            return e.Emit(n.Name, new FlattenOp(), [x.Name], n.OutputName(0));
        throw n.Unsupported($"a squeeze of axes [{string.Join(", ", set)}] of [{x.Shape}]; LightNets squeezes only the 1×1 spatial axes of N×C×1×1");
    }

    private static OnnxValue Concat(OnnxNode n, IrEmitter e)
    {
        var parts = Enumerable.Range(0, n.Inputs.Count).Where(i => n.Input(i) is not null).ToArray();
        if (parts.Length == 0) throw n.Format("has no inputs");
        var rank = ConstantFolder.DimsOf(n.Input(parts[0]), n).Length;
        if (!n.Has("axis")) throw n.Format("has no axis");
        var axis = ConstantIndexing.Axis(n, n.Int("axis", 1), rank);
        if (axis != 1) throw n.Unsupported($"concatenation along axis {axis} of rank-{rank} feature maps; LightNets concatenates channels (axis 1)");
        var names = parts.Select(i => e.AsIr(n.Input(i), n, i).Name).ToArray();
        return e.Emit(n.Name, new ConcatOp(), names, n.OutputName(0));
    }

    /// <summary>A Slice with step 1 on channels; full-range slices of other axes (INT64_MAX ends) are allowed and ignored.</summary>
    private static OnnxValue Slice(OnnxNode n, IrEmitter e)
    {
        var x = e.AsIr(n.Input(0), n, 0);
        var dims = x.Dims;
        (long Start, long End)? channels = null;
        foreach (var (axis, start, end, step) in ConstantIndexing.SliceSpec(n, dims.Length))
        {
            var (from, _, count) = ConstantIndexing.SliceRange(dims[axis], start, end, step);
            if (count == 0) throw n.Format($"selects nothing of axis {axis} of [{x.Shape}] (starts {start}, ends {end})");
            if (step == 1 && count == dims[axis]) continue;
            if (step != 1 || axis != 1)
                throw n.Unsupported($"a slice of axis {axis} of [{x.Shape}] with step {step}; LightNets slices channels with step 1");
            channels = (from, from + count);
        }
        return channels is { } c
            ? e.Emit(n.Name, new SliceOp((int)c.Start, (int)c.End), [x.Name], n.OutputName(0))
            : x;
    }

    /// <summary>Split along channels: sizes from the 'split' attribute before opset 13, the second input from 13, else equal parts (num_outputs from 18).</summary>
    private static OnnxValue[] Split(OnnxNode n, IrEmitter e)
    {
        var x = e.AsIr(n.Input(0), n, 0);
        var axis = ConstantIndexing.Axis(n, n.Int("axis", 0), x.Shape.Rank);
        if (axis != 1) throw n.Unsupported($"a split along axis {axis} of [{x.Shape}]; LightNets splits channels (axis 1)");
        var parts = n.OutputCount;
        // From opset 18 an equal split may also state its count; it must agree with the outputs.
        if (n.Opset >= 18 && n.Has("num_outputs") && n.Int("num_outputs", parts) != parts)
            throw n.Format($"has num_outputs {n.Int("num_outputs", parts)} but {parts} outputs");
        var sizes = (n.Opset < 13 ? n.Ints("split") : n.OptionalConst(1, "split")?.AsLongs())
                    ?? (x.Shape.C % parts == 0
                        ? Enumerable.Repeat((long)(x.Shape.C / parts), parts).ToArray()
                        : throw n.Format($"splits {x.Shape.C} channels into {parts} equal parts"));
        if (sizes.Length != parts) throw n.Format($"has {sizes.Length} split sizes for {parts} outputs");
        if (sizes.Any(s => s < 1 || s > x.Shape.C)) throw n.Format($"has split sizes [{string.Join(", ", sizes)}] for {x.Shape.C} channels");
        var outputs = Enumerable.Range(0, parts).Select(i => n.OutputName(i).Length > 0 ? n.OutputName(i) : $"{n.Name}_{i}").ToArray();
        return e.Emit(n.Name, new SplitOp(sizes.Select(s => (int)s).ToArray()), [x.Name], outputs);
    }
}
