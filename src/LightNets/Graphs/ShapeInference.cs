using LightNets.Tensors;

namespace LightNets.Graphs;

/// <summary>
/// Output shapes of one node from its input shapes, with every rule that makes a node runnable checked here.
/// A broken rule raises <see cref="GraphValidationException"/> naming the node, the values and the rule.
/// </summary>
public static class ShapeInference
{
    public static Shape[] Infer(Node node, IReadOnlyList<Shape> inputs)
    {
        var ctx = new Context(node, inputs);
        var outputs = node.Op switch
        {
            Conv2dOp conv => [Conv(ctx, conv)],
            BatchNormOp => [BatchNorm(ctx)],
            ReluOp or ClipOp or HardSigmoidOp or HardSwishOp or SigmoidOp or DropoutOp => [ctx.Unary()],
            AddOp or MulOp => [Broadcast(ctx)],
            ConcatOp => [Concat(ctx)],
            ChannelShuffleOp shuffle => [Shuffle(ctx, shuffle)],
            SliceOp slice => [Slice(ctx, slice)],
            SplitOp split => Split(ctx, split),
            PoolOp pool => [Pool(ctx, pool)],
            GlobalAveragePoolOp => [GlobalPool(ctx)],
            FlattenOp => [Flatten(ctx)],
            GemmOp => [Gemm(ctx)],
            SoftmaxOp => [Softmax(ctx)],
            FakeQuantizeOp q => [FakeQuantize(ctx, q)],
            _ => throw ctx.Fail($"has no shape rule for {node.Op.GetType().Name}"),
        };
        for (var i = 0; i < outputs.Length; i++)
        {
            if (outputs[i].Rank > Graph.MaxRank)
                throw ctx.Fail($"produces '{node.Outputs[i]}' of rank {outputs[i].Rank} ([{outputs[i]}]); LightNets holds tensors of rank {Graph.MaxRank} at most (N×C×H×W)");
        }
        return outputs;
    }

    private readonly struct Context(Node node, IReadOnlyList<Shape> inputs)
    {
        public Node Node => node;
        public IReadOnlyList<Shape> Inputs => inputs;

        public GraphValidationException Fail(string rule) =>
            new($"node '{node.Name}' ({node.Kind}) {rule}");

        public string Describe(int i) => $"'{node.Inputs[i]}' [{inputs[i]}]";

        public void Arity(int min, int max)
        {
            if (inputs.Count < min || inputs.Count > max)
                throw Fail(min == max
                    ? $"needs {min} input(s) but has {inputs.Count}"
                    : $"needs {min} to {max} inputs but has {inputs.Count}");
            var expectedOutputs = node.Op is SplitOp s ? s.Sizes.Count : 1;
            if (node.Outputs.Count != expectedOutputs)
                throw Fail($"needs {expectedOutputs} output(s) but has {node.Outputs.Count}");
        }

        public Shape FeatureMap(int i = 0)
        {
            var s = inputs[i];
            if (s.Rank != 4)
                throw Fail($"needs a 4-D N×C×H×W input but {Describe(i)} has rank {s.Rank}");
            return s;
        }

        public Shape Unary()
        {
            Arity(1, 1);
            return inputs[0];
        }
    }

    private static Shape FakeQuantize(Context ctx, FakeQuantizeOp op)
    {
        var x = ctx.Unary();
        var p = op.Params;
        if (!p.IsPerTensor && (p.Axis >= x.Rank || x[p.Axis] != p.Scale.Count))
            throw ctx.Fail($"quantizes {ctx.Describe(0)} along axis {p.Axis} with {p.Scale.Count} scales; the axis must exist and have that many entries");
        return x;
    }

    private static Shape Conv(Context ctx, Conv2dOp op)
    {
        ctx.Arity(2, 3);
        var x = ctx.FeatureMap();
        var w = ctx.Inputs[1];
        if (op.Groups < 1 || op.KernelH < 1 || op.KernelW < 1 || op.StrideH < 1 || op.StrideW < 1 || op.DilationH < 1 || op.DilationW < 1)
            throw ctx.Fail($"has a non-positive kernel, stride, dilation or group count ({op})");
        if (op.Padding.Top < 0 || op.Padding.Left < 0 || op.Padding.Bottom < 0 || op.Padding.Right < 0)
            throw ctx.Fail($"has negative padding ({op.Padding})");
        if (w.Rank != 4)
            throw ctx.Fail($"needs a 4-D weight [Cout, Cin/groups, kh, kw] but {ctx.Describe(1)} has rank {w.Rank}");
        var cout = w[0];
        if (x.C % op.Groups != 0)
            throw ctx.Fail($"has input channels {x.C} of {ctx.Describe(0)} not divisible by groups {op.Groups}");
        if (cout % op.Groups != 0)
            throw ctx.Fail($"has output channels {cout} of weight {ctx.Describe(1)} not divisible by groups {op.Groups}");
        if (w[1] * op.Groups != x.C)
            throw ctx.Fail($"has weight {ctx.Describe(1)} expecting {w[1]}×{op.Groups} = {w[1] * op.Groups} input channels but input {ctx.Describe(0)} has {x.C}");
        if (w[2] != op.KernelH || w[3] != op.KernelW)
            throw ctx.Fail($"has weight {ctx.Describe(1)} whose kernel {w[2]}×{w[3]} differs from the attribute {op.KernelH}×{op.KernelW}");
        if (ctx.Inputs.Count == 3 && (ctx.Inputs[2].Rank != 1 || ctx.Inputs[2][0] != cout))
            throw ctx.Fail($"has bias {ctx.Describe(2)} but needs [{cout}]");
        var h = WindowOutput(ctx, x.H, op.KernelH, op.StrideH, op.DilationH, op.Padding.Top, op.Padding.Bottom, false, "height");
        var wo = WindowOutput(ctx, x.W, op.KernelW, op.StrideW, op.DilationW, op.Padding.Left, op.Padding.Right, false, "width");
        return Shape.Nchw(x.N, cout, h, wo);
    }

    /// <summary>Output length of a sliding window: floor (or ceil) of (size + pads − effective kernel)/stride, plus 1.</summary>
    public static int WindowOutputSize(int size, int kernel, int stride, int dilation, int padBefore, int padAfter, bool ceilMode)
    {
        var effective = dilation * (kernel - 1) + 1;
        var span = size + padBefore + padAfter - effective;
        if (span < 0) return 0;
        var o = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        // In ceil mode the last window must start inside the input or its left padding (PyTorch/ONNX rule).
        if (ceilMode && (o - 1) * stride >= size + padBefore) o--;
        return o;
    }

    private static int WindowOutput(Context ctx, int size, int kernel, int stride, int dilation, int before, int after, bool ceil, string what)
    {
        var o = WindowOutputSize(size, kernel, stride, dilation, before, after, ceil);
        if (o < 1)
            throw ctx.Fail($"has input {what} {size} smaller than its window ({kernel} with dilation {dilation}, padding {before}+{after}): input {ctx.Describe(0)}");
        return o;
    }

    private static Shape BatchNorm(Context ctx)
    {
        ctx.Arity(5, 5);
        var x = ctx.Inputs[0];
        if (x.Rank < 2) throw ctx.Fail($"needs an N×C… input but {ctx.Describe(0)} has rank {x.Rank}");
        for (var i = 1; i < 5; i++)
        {
            if (ctx.Inputs[i].Rank != 1 || ctx.Inputs[i][0] != x.C)
                throw ctx.Fail($"needs [{x.C}] statistics but {ctx.Describe(i)} does not match the channels of {ctx.Describe(0)}");
        }
        return x;
    }

    private static Shape Broadcast(Context ctx)
    {
        ctx.Arity(2, 2);
        var a = ctx.Inputs[0];
        var b = ctx.Inputs[1];
        var rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i - (rank - a.Rank) >= 0 ? a[i - (rank - a.Rank)] : 1;
            var db = i - (rank - b.Rank) >= 0 ? b[i - (rank - b.Rank)] : 1;
            if (da != db && da != 1 && db != 1)
                throw ctx.Fail($"cannot broadcast {ctx.Describe(0)} with {ctx.Describe(1)}: dimension {i} is {da} vs {db}");
            dims[i] = Math.Max(da, db);
        }
        return new Shape(dims);
    }

    private static Shape Concat(Context ctx)
    {
        if (ctx.Inputs.Count < 1) throw ctx.Fail("needs at least one input");
        ctx.Arity(1, int.MaxValue);
        var first = ctx.Inputs[0];
        if (first.Rank < 2) throw ctx.Fail($"concatenates channels but {ctx.Describe(0)} has rank {first.Rank}");
        var channels = 0;
        for (var i = 0; i < ctx.Inputs.Count; i++)
        {
            var s = ctx.Inputs[i];
            if (s.Rank != first.Rank)
                throw ctx.Fail($"concatenates {ctx.Describe(0)} with {ctx.Describe(i)} of a different rank");
            for (var d = 0; d < s.Rank; d++)
            {
                if (d != 1 && s[d] != first[d])
                    throw ctx.Fail($"concatenates channels of {ctx.Describe(0)} and {ctx.Describe(i)}, which differ in dimension {d} ({first[d]} vs {s[d]})");
            }
            channels += s.C;
        }
        return first.WithChannels(channels);
    }

    private static Shape Shuffle(Context ctx, ChannelShuffleOp op)
    {
        ctx.Arity(1, 1);
        var x = ctx.Inputs[0];
        if (x.Rank < 2) throw ctx.Fail($"needs an N×C… input but {ctx.Describe(0)} has rank {x.Rank}");
        if (op.Groups < 1 || x.C % op.Groups != 0)
            throw ctx.Fail($"shuffles {x.C} channels of {ctx.Describe(0)} in {op.Groups} groups, but groups must divide the channels");
        return x;
    }

    private static Shape Slice(Context ctx, SliceOp op)
    {
        ctx.Arity(1, 1);
        var x = ctx.Inputs[0];
        if (x.Rank < 2) throw ctx.Fail($"needs an N×C… input but {ctx.Describe(0)} has rank {x.Rank}");
        if (op.Start < 0 || op.End > x.C || op.Start >= op.End)
            throw ctx.Fail($"takes channels [{op.Start}, {op.End}) of {ctx.Describe(0)}, which has {x.C}");
        return x.WithChannels(op.End - op.Start);
    }

    private static Shape[] Split(Context ctx, SplitOp op)
    {
        ctx.Arity(1, 1);
        var x = ctx.Inputs[0];
        if (x.Rank < 2) throw ctx.Fail($"needs an N×C… input but {ctx.Describe(0)} has rank {x.Rank}");
        if (op.Sizes.Count == 0 || op.Sizes.Any(s => s < 1) || op.Sizes.Sum() != x.C)
            throw ctx.Fail($"splits {ctx.Describe(0)} into parts [{string.Join(", ", op.Sizes)}] that do not sum to its {x.C} channels");
        return op.Sizes.Select(x.WithChannels).ToArray();
    }

    private static Shape Pool(Context ctx, PoolOp op)
    {
        ctx.Arity(1, 1);
        var x = ctx.FeatureMap();
        if (op.KernelH < 1 || op.KernelW < 1 || op.StrideH < 1 || op.StrideW < 1)
            throw ctx.Fail($"has a non-positive kernel or stride ({op})");
        if (op.Padding.Top >= op.KernelH || op.Padding.Bottom >= op.KernelH || op.Padding.Left >= op.KernelW || op.Padding.Right >= op.KernelW
            || op.Padding.Top < 0 || op.Padding.Left < 0 || op.Padding.Bottom < 0 || op.Padding.Right < 0)
            throw ctx.Fail($"has padding {op.Padding} that is negative or not smaller than its {op.KernelH}×{op.KernelW} window");
        var h = WindowOutput(ctx, x.H, op.KernelH, op.StrideH, 1, op.Padding.Top, op.Padding.Bottom, op.CeilMode, "height");
        var w = WindowOutput(ctx, x.W, op.KernelW, op.StrideW, 1, op.Padding.Left, op.Padding.Right, op.CeilMode, "width");
        return Shape.Nchw(x.N, x.C, h, w);
    }

    private static Shape GlobalPool(Context ctx)
    {
        ctx.Arity(1, 1);
        var x = ctx.FeatureMap();
        return Shape.Nchw(x.N, x.C, 1, 1);
    }

    private static Shape Softmax(Context ctx)
    {
        var x = ctx.Unary();
        if (x.Rank < 2) throw ctx.Fail($"normalizes over the channels (axis 1) but {ctx.Describe(0)} has rank {x.Rank}");
        return x;
    }

    private static Shape Flatten(Context ctx)
    {
        ctx.Arity(1, 1);
        var x = ctx.Inputs[0];
        if (x.Rank < 1) throw ctx.Fail($"keeps the batch dimension but {ctx.Describe(0)} is a scalar");
        return new Shape(x.N, checked((int)(x.ElementCount / x.N)));
    }

    private static Shape Gemm(Context ctx)
    {
        ctx.Arity(2, 3);
        var x = ctx.Inputs[0];
        var w = ctx.Inputs[1];
        if (x.Rank != 2) throw ctx.Fail($"needs a 2-D N×K input (Flatten first) but {ctx.Describe(0)} has rank {x.Rank}");
        if (w.Rank != 2) throw ctx.Fail($"needs a 2-D [out, in] weight but {ctx.Describe(1)} has rank {w.Rank}");
        if (w[1] != x[1])
            throw ctx.Fail($"multiplies input {ctx.Describe(0)} with weight {ctx.Describe(1)}: {x[1]} input features vs {w[1]}");
        if (ctx.Inputs.Count == 3 && (ctx.Inputs[2].Rank != 1 || ctx.Inputs[2][0] != w[0]))
            throw ctx.Fail($"has bias {ctx.Describe(2)} but needs [{w[0]}]");
        return new Shape(x.N, w[0]);
    }
}
