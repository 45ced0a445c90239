using LightNets.Graphs;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Plan.Steps.Int8;

namespace LightNets.Runtime.Compiler;

/// <summary>
/// The int8 depthwise convolution and the int8 1×1 convolutions fused around it (see <see cref="Int8FusedDepthwiseStep"/>):
/// an int8 1×1 convolution whose codes only an int8 depthwise convolution reads is deferred into it as the expansion,
/// and an int8 1×1 convolution that alone reads the depthwise codes becomes the projection, so the wide expanded
/// tensors never leave L2. The codes each stage writes are those the separate steps would write.
/// </summary>
internal sealed partial class PlanCompiler
{
    /// <summary>A deferred int8 1×1 convolution: its stage, the codes it reads, its grid's zero point, the nodes it computes.</summary>
    private sealed record PendingInt8Expand(Int8PointwiseStage Stage, QuantizedView Input, int ZeroPoint, List<Node> Nodes);

    private readonly Dictionary<BufferSlot, PendingInt8Expand> _pendingInt8 = [];

    /// <summary>
    /// Whether the codes of <paramref name="value"/> are read by one int8 depthwise convolution alone (directly: a
    /// shuffle between them would need the codes in memory), and row bands would not recompute much of the expansion.
    /// </summary>
    private bool DefersInt8Expansion(string value, long macsPerPixel)
    {
        if (!_fuse || !_bands || SoleConsumer(value) is not { Op: Conv2dOp op } dw || dw.Inputs[0] != value || !Int8DepthwiseLowers(dw, op)) return false;
        if (_threads <= 1) return true;
        var (n, c, h, w) = Dims(_g.ShapeOf(value));
        var o = _g.ShapeOf(dw.Output);
        var shape = DepthwiseShape(op, h, w, c, o);
        return Int8FusedDepthwiseStep.ExpansionRecompute(shape, macsPerPixel, n, _threads) <= 1.4;
    }

    /// <summary>Whether <see cref="LowerInt8Depthwise"/> will take <paramref name="node"/> (the checks of <see cref="TryLowerInt8Conv"/>, without side effects).</summary>
    private bool Int8DepthwiseLowers(Node node, Conv2dOp op)
    {
        var c = _g.ShapeOf(node.Inputs[0]).C;
        if (!IsInt8Grid(op.WeightQuant) || op.Groups != c || c <= 1 || op.DilationH != 1 || op.DilationW != 1 || !_g.IsInitializer(node.Inputs[1])) return false;
        var w = Init(node.Inputs[1]);
        return w.Shape[0] == c && WeightCodes(w.Data, op.WeightQuant!, (int)(w.Length / c)) is not null
            && Int8Chain(node, allowResidual: false, allowFloat: false) is { Output: not null };
    }

    private void DeferInt8Expansion(Int8Epilogue e, QuantizedView input, Int8PointwiseStage stage)
    {
        var (n, c, h, w) = Dims(_g.ShapeOf(e.Value));
        var grid = e.Output!;
        var slot = new BufferSlot(-1, 0, e.Value + ".expanded");
        _pendingInt8[slot] = new PendingInt8Expand(stage, input, grid.ZeroPoint[0], e.Nodes);
        _quantized[e.Value] = new QuantizedView(TensorView.Nhwc(slot, n, h, w, c), grid);
        foreach (var m in e.Nodes.Skip(1)) _fused.Add(m);
    }

    private bool LowerInt8Depthwise(Node node, Conv2dOp op, QuantizedView input, sbyte[] codes, float[]? bias, Int8Epilogue e)
    {
        var grid = e.Output!;
        var c = input.View.Channels;
        var o = _g.ShapeOf(e.Value);
        var v = input.View;
        var shape = DepthwiseShape(op, v.Height, v.Width, c, o);
        var description = $"int8 dwconv {op.KernelH}×{op.KernelW}{(op.StrideH > 1 ? $"/{op.StrideH}" : "")}{Int8Suffix(e)}";
        var epilogue = Int8Requantize(e, input.Scale, op.WeightQuant!, bias, c);
        _pendingInt8.Remove(v.Slot, out var expand);
        foreach (var m in e.Nodes.Skip(1)) _fused.Add(m);
        List<Node> nodes = [.. expand?.Nodes ?? [], .. e.Nodes];
        if (Int8Projection(e.Value, grid) is { } project)
        {
            var final = project.Chain.Output!;
            var output = QuantizedOutput(project.Chain.Value, final);
            _steps.Add(new Int8FusedDepthwiseStep(node.Name, [.. nodes, .. project.Chain.Nodes], expand?.Input ?? input, output,
                project.Chain.Residual, expand?.Stage, expand?.ZeroPoint ?? 0, shape, codes, epilogue, grid.ZeroPoint[0], description, project.Stage,
                _threads));
            foreach (var m in project.Chain.Nodes) _fused.Add(m);
            _quantized[project.Chain.Value] = output;
            return true;
        }
        var target = QuantizedOutput(e.Value, grid);
        if (expand is null)
            _steps.Add(new Int8DepthwiseStep(node.Name, e.Nodes, description, input, target, shape, codes, epilogue));
        else
            _steps.Add(new Int8FusedDepthwiseStep(node.Name, nodes, expand.Input, target, null, expand.Stage, expand.ZeroPoint, shape, codes, epilogue,
                grid.ZeroPoint[0], description, null, _threads));
        _quantized[e.Value] = target;
        return true;
    }

    /// <summary>The int8 1×1 convolution that alone reads the depthwise codes <paramref name="value"/>, as a projection stage with its epilogue chain.</summary>
    private (Int8PointwiseStage Stage, Int8Epilogue Chain)? Int8Projection(string value, QuantParams grid)
    {
        if (!_fuse || !_bands || SoleConsumer(value) is not { Op: Conv2dOp { KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1 } op } pw
            || pw.Inputs[0] != value || op.Padding != Padding2d.None || !IsInt8Grid(op.WeightQuant) || !pw.Inputs.Skip(1).All(_g.IsInitializer))
            return null;
        var w = Init(pw.Inputs[1]);
        var (cin, cout) = (_g.ShapeOf(value).C, w.Shape[0]);
        if (op.Groups == cin && op.Groups > 1) return null; // a second depthwise convolution
        if (WeightCodes(w.Data, op.WeightQuant!, (int)(w.Length / cout)) is not { } codes) return null;
        if (Int8Chain(pw, allowResidual: true, allowFloat: false) is not { Output: not null } chain) return null;
        var bias = pw.Inputs.Count > 2 ? Init(pw.Inputs[2]).Data : null;
        var groups = Int8Groups(codes, op.Groups, cin, cout);
        var stage = new Int8PointwiseStage(groups, Int8Requantize(chain, grid.Scale[0], op.WeightQuant!, bias, cout),
            Int8PointwiseName(op.Groups, cin, cout, chain, groups));
        return (stage, chain);
    }

    private static DwConvShape DepthwiseShape(Conv2dOp op, int h, int w, int c, Tensors.Shape output) =>
        new(h, w, c, op.KernelH, op.KernelW, op.StrideH, op.StrideW, op.Padding.Top, op.Padding.Left, output.H, output.W);
}
