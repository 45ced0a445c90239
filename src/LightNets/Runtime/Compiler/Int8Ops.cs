using LightNets.Graphs;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Runtime.Kernels.Reference;
using LightNets.Runtime.Plan.Steps.Int8;
using QuantParams = LightNets.Graphs.QuantParams;

namespace LightNets.Runtime.Compiler;

/// <summary>The int8 pooling and element-wise ops (see Int8Lowering.cs).</summary>
internal sealed partial class PlanCompiler
{
    /// <summary>The per-tensor quantizer that alone reads <paramref name="value"/>, if any.</summary>
    private Node? QuantizerOf(string value) =>
        SoleConsumer(value) is { Op: FakeQuantizeOp { Params.IsPerTensor: true } } q ? q : null;

    private static QuantParams GridOf(Node quantizer) => QuantizedView.AsUInt8(((FakeQuantizeOp)quantizer.Op).Params);

    private bool TryLowerInt8GlobalPool(Node node)
    {
        if (!_quantized.ContainsKey(node.Inputs[0]) || QuantizerOf(node.Output) is not { } quantizer || _g.ShapeOf(node.Inputs[0]).Rank != 4) return false;
        var input = DenseQuantized(node.Inputs[0]);
        var grid = GridOf(quantizer);
        var c = input.View.Channels;
        var mean = input.Scale / (input.View.Height * input.View.Width);
        var epilogue = new Requantize
        {
            Scale = Enumerable.Repeat(mean, c).ToArray(), Bias = new float[c], OutputScale = 1f / grid.Scale[0], OutputZeroPoint = grid.ZeroPoint[0],
        };
        var output = new QuantizedView(NewQuantizedDense(quantizer.Output), grid);
        _steps.Add(new Int8GlobalPoolStep(node.Name, [node, quantizer], input, output, epilogue));
        _fused.Add(quantizer);
        _quantized[quantizer.Output] = output;
        return true;
    }

    private bool TryLowerInt8MaxPool(Node node, MaxPoolOp op)
    {
        if (!_quantized.ContainsKey(node.Inputs[0]) || QuantizerOf(node.Output) is not { } quantizer || op.CeilMode) return false;
        var input = DenseQuantized(node.Inputs[0]);
        var grid = GridOf(quantizer);
        var o = _g.ShapeOf(node.Output);
        var v = input.View;
        var shape = new PoolShape(v.Height, v.Width, v.Channels, op.KernelH, op.KernelW, op.StrideH, op.StrideW,
            op.Padding.Top, op.Padding.Left, op.Padding.Bottom, op.Padding.Right, o.H, o.W);
        // The maximum is taken on the input's codes; onto another grid it is then requantized.
        var pooled = new QuantizedView(grid == input.Grid ? QuantizedOutput(quantizer.Output, grid).View : NewQuantizedDense(node.Output), input.Grid);
        _steps.Add(new Int8MaxPoolStep(node.Name, [node, quantizer], input, pooled, shape));
        var output = pooled with { Grid = grid };
        if (grid != input.Grid)
        {
            output = QuantizedOutput(quantizer.Output, grid);
            _steps.Add(new RequantizeStep(quantizer.Name, [quantizer], pooled, output));
        }
        _fused.Add(quantizer);
        _quantized[quantizer.Output] = output;
        return true;
    }

    /// <summary>
    /// Add or Mul of two quantized tensors of one shape, or Mul by an N×C×1×1 gate (SE), then optionally a ReLU/clip
    /// (applied to the codes, exact as quantization is monotone), into a quantizer.
    /// </summary>
    private bool TryLowerInt8Binary(Node node)
    {
        if (node.Inputs.Count != 2 || !node.Inputs.All(_quantized.ContainsKey)) return false;
        var (sa, sb, so) = (_g.ShapeOf(node.Inputs[0]), _g.ShapeOf(node.Inputs[1]), _g.ShapeOf(node.Output));
        if (so.Rank != 4) return false;
        var nodes = new List<Node> { node };
        var value = node.Output;
        (float Lo, float Hi)? clamp = null;
        if (SoleConsumer(value) is { Op: ReluOp or ClipOp } act)
        {
            clamp = act.Op is ClipOp c ? (c.Min, c.Max) : (0f, float.PositiveInfinity);
            nodes.Add(act);
            value = act.Output;
        }
        if (QuantizerOf(value) is not { } quantizer) return false;
        nodes.Add(quantizer);
        var grid = GridOf(quantizer);
        Int8ElementwiseStep.Kind kind;
        string a, b;
        if (sa == sb && sa == so)
            (kind, a, b) = (node.Op is AddOp ? Int8ElementwiseStep.Kind.Add : Int8ElementwiseStep.Kind.Mul, node.Inputs[0], node.Inputs[1]);
        else if (node.Op is MulOp && (sb is { Rank: 4, H: 1, W: 1 } && sb.C == so.C && sb.N == so.N && sa == so))
            (kind, a, b) = (Int8ElementwiseStep.Kind.ChannelMul, node.Inputs[0], node.Inputs[1]);
        else if (node.Op is MulOp && (sa is { Rank: 4, H: 1, W: 1 } && sa.C == so.C && sa.N == so.N && sb == so))
            (kind, a, b) = (Int8ElementwiseStep.Kind.ChannelMul, node.Inputs[1], node.Inputs[0]);
        else
            return false;
        var (qa, qb) = (DenseQuantized(a), DenseQuantized(b));
        var output = QuantizedOutput(quantizer.Output, grid);
        byte[]? table = null;
        if (clamp is { } k)
        {
            table = new byte[256];
            var (lo, hi) = (grid.Quantize(k.Lo), grid.Quantize(k.Hi));
            for (var q = 0; q < 256; q++) table[q] = (byte)Math.Clamp(q, lo, hi);
        }
        var what = kind switch { Int8ElementwiseStep.Kind.Add => "add", Int8ElementwiseStep.Kind.Mul => "mul", _ => "mul by channel (SE)" };
        _steps.Add(new Int8ElementwiseStep(node.Name, nodes, $"int8 {what}{(clamp is null ? "" : " + clip")}", kind, qa, qb, output, table));
        foreach (var n in nodes.Skip(1)) _fused.Add(n);
        _quantized[quantizer.Output] = output;
        return true;
    }

    /// <summary>An activation of a quantized value into a quantizer: a 256-entry table of the float activation between the two grids.</summary>
    private bool TryLowerInt8Table(Node node)
    {
        if (!_quantized.ContainsKey(node.Inputs[0]) || QuantizerOf(node.Output) is not { } quantizer) return false;
        var input = DenseQuantized(node.Inputs[0]);
        var grid = GridOf(quantizer);
        var table = new byte[256];
        var one = new Tensors.Tensor(new Tensors.Shape(1));
        for (var q = 0; q < 256; q++)
        {
            one.Data[0] = input.Grid.Dequantize(q);
            // The reference interpreter's own activation: the table holds exactly what the QDQ graph computes.
            var y = ReferenceInterpreter.Evaluate(node.Op, [one])[0].Data[0];
            table[q] = (byte)grid.Quantize(y);
        }
        var output = QuantizedOutput(quantizer.Output, grid);
        _steps.Add(new Int8ElementwiseStep(node.Name, [node, quantizer], $"int8 {node.Kind.ToString().ToLowerInvariant()} (table)",
            Int8ElementwiseStep.Kind.Table, input, null, output, table));
        _fused.Add(quantizer);
        _quantized[quantizer.Output] = output;
        return true;
    }
}
