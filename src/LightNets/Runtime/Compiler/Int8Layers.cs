using LightNets.Graphs;
using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Runtime.Plan.Steps.Int8;
using QuantParams = LightNets.Graphs.QuantParams;

namespace LightNets.Runtime.Compiler;

/// <summary>The int8 convolutions and FC layers (see Int8Lowering.cs).</summary>
internal sealed partial class PlanCompiler
{
    /// <summary>What an int8 layer's epilogue takes over: a residual add, an activation, and the quantizer (or the logits' float output).</summary>
    private sealed record Int8Epilogue(List<Node> Nodes, string Value, QuantizedView? Residual, QuantActivation Activation, float ClampMin, float ClampMax,
        QuantParams? Output);

    /// <summary>
    /// The chain after <paramref name="producer"/> an int8 epilogue computes: [Add of a quantized tensor already computed]
    /// → [activation] → a per-tensor FakeQuantize (uint8 out), or, for a layer whose result is a graph output, nothing
    /// more (float out). Null when the chain ends otherwise. Nothing is marked fused here.
    /// </summary>
    private Int8Epilogue? Int8Chain(Node producer, bool allowResidual, bool allowFloat)
    {
        var nodes = new List<Node> { producer };
        var value = producer.Output;
        QuantizedView? residual = null;
        if (allowResidual && _fuse && SoleConsumer(value) is { Op: AddOp } add)
        {
            var other = add.Inputs[0] == value ? add.Inputs[1] : add.Inputs[0];
            if (other != value && _quantized.TryGetValue(other, out var r) && r.View.Map is null && r.View.IsPixelMatrix && _g.ShapeOf(other) == _g.ShapeOf(value))
            {
                residual = r;
                nodes.Add(add);
                value = add.Output;
            }
        }
        var (act, lo, hi) = (QuantActivation.None, float.NegativeInfinity, float.PositiveInfinity);
        if (SoleConsumer(value) is { } next && Int8Activation(next.Op) is { } a)
        {
            (act, lo, hi) = a;
            nodes.Add(next);
            value = next.Output;
        }
        if (SoleConsumer(value) is { Op: FakeQuantizeOp { Params: { IsPerTensor: true } p } } quantizer)
        {
            nodes.Add(quantizer);
            return new Int8Epilogue(nodes, quantizer.Output, residual, act, lo, hi, QuantizedView.AsUInt8(p));
        }
        return allowFloat && _g.Outputs.Contains(value) ? new Int8Epilogue(nodes, value, residual, act, lo, hi, null) : null;
    }

    private static (QuantActivation, float, float)? Int8Activation(Op op) => op switch
    {
        ReluOp => (QuantActivation.Clamp, 0f, float.PositiveInfinity),
        ClipOp c => (QuantActivation.Clamp, c.Min, c.Max),
        HardSwishOp => (QuantActivation.HardSwish, float.NegativeInfinity, float.PositiveInfinity),
        HardSigmoidOp h when MathF.Abs(h.Alpha - 1f / 6f) < 1e-6f && MathF.Abs(h.Beta - 0.5f) < 1e-6f => (QuantActivation.HardSigmoid, float.NegativeInfinity, float.PositiveInfinity),
        _ => null,
    };

    /// <summary>The int8 codes of weights that lie on <paramref name="grid"/> (per output channel of <paramref name="perChannel"/> values), or null if they do not.</summary>
    private static sbyte[]? WeightCodes(float[] w, QuantParams grid, int perChannel)
    {
        var codes = new sbyte[w.Length];
        for (var i = 0; i < w.Length; i++)
        {
            var channel = grid.IsPerTensor ? 0 : i / perChannel;
            var steps = w[i] / grid.Scale[channel];
            var q = MathF.Round(steps);
            // Dequantized int8 values divide back to whole numbers up to float rounding; anything else was not quantized.
            if (!(MathF.Abs(steps - q) <= 1e-3f) || q < -128 || q > 127) return null;
            codes[i] = (sbyte)q;
        }
        return codes;
    }

    private Requantize Int8Requantize(Int8Epilogue e, float inputScale, QuantParams weights, float[]? bias, int channels)
    {
        var scale = new float[channels];
        var shift = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            scale[c] = inputScale * weights.Scale[weights.IsPerTensor ? 0 : c];
            shift[c] = bias?[c] ?? 0f;
        }
        return new Requantize
        {
            Scale = scale, Bias = shift, Activation = e.Activation, ClampMin = e.ClampMin, ClampMax = e.ClampMax,
            // ONNX's QuantizeLinear divides by the scale; the epilogue multiplies by its reciprocal (at most one code apart, on ties).
            OutputScale = e.Output is { } o ? 1f / o.Scale[0] : 1f,
            OutputZeroPoint = e.Output?.ZeroPoint[0] ?? 0,
            ResidualScale = e.Residual?.Scale ?? 1f, ResidualZeroPoint = e.Residual?.ZeroPoint ?? 0,
        };
    }

    private bool TryLowerInt8Conv(Node node, Conv2dOp op)
    {
        if (!IsInt8Grid(op.WeightQuant) || !_quantized.TryGetValue(node.Inputs[0], out var input)) return false;
        var w = Init(node.Inputs[1]);
        var bias = node.Inputs.Count > 2 ? Init(node.Inputs[2]).Data : null;
        var (cin, cout) = (input.View.Channels, w.Shape[0]);
        var pointwise = op is { KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1 } && op.Padding == Padding2d.None;
        var depthwise = op.Groups == cin && cin == cout && op.Groups > 1;
        if (!pointwise && !depthwise && op.Groups != 1) return false;
        if (depthwise && (op.DilationH != 1 || op.DilationW != 1)) return false;
        var perChannel = (int)(w.Length / cout);
        if (WeightCodes(w.Data, op.WeightQuant!, perChannel) is not { } codes) return false;
        if (Int8Chain(node, allowResidual: pointwise, allowFloat: false) is not { Output: { } grid } e) return false;
        // A 1×1 convolution reads a channel-permuted input (ShuffleNet's shuffle) in physical order with its weight columns
        // permuted the same way, as the float GEMM does; a grouped one needs each group's channels in one run.
        var start = 0;
        if (pointwise && input.View.Map is not null && input.View.IsPixelMatrix && op.Groups == 1 && input.View.TryContiguous(out start))
        {
            var permuted = new sbyte[codes.Length];
            for (var o = 0; o < cout; o++)
                for (var k = 0; k < cin; k++)
                    permuted[o * cin + input.View.Physical(k) - start] = codes[o * cin + k];
            codes = permuted;
            input = input with { View = input.View with { Map = null, ChannelOffset = input.View.ChannelOffset + start } };
        }
        else
            input = DenseQuantized(node.Inputs[0]);
        if (depthwise) return LowerInt8Depthwise(node, op, input, codes, bias, e);
        if (!pointwise)
        {
            var target = QuantizedOutput(e.Value, grid);
            var description = $"int8 conv {op.KernelH}×{op.KernelW}{(op.StrideH > 1 ? $"/{op.StrideH}" : "")} {cin}→{cout}{Int8Suffix(e)} (im2col + GEMM)";
            _steps.Add(new Int8Im2ColStep(node.Name, e.Nodes, description, input, target, op, codes, Int8Requantize(e, input.Scale, op.WeightQuant!, bias, cout),
                _int8Forced ? _int8!.Value : null, _threads));
            foreach (var n in e.Nodes.Skip(1)) _fused.Add(n);
            _quantized[e.Value] = target;
            return true;
        }
        var groups = Int8Groups(codes, op.Groups, cin, cout);
        var epilogue = Int8Requantize(e, input.Scale, op.WeightQuant!, bias, cout);
        var name = Int8PointwiseName(op.Groups, cin, cout, e, groups);
        if (e.Residual is null && DefersInt8Expansion(e.Value, (long)cin / op.Groups * cout))
        {
            DeferInt8Expansion(e, input, new Int8PointwiseStage(groups, epilogue, name));
            return true;
        }
        var output = QuantizedOutput(e.Value, grid);
        _steps.Add(new Int8GemmStep(node.Name, e.Nodes, name, input, output.View, false, e.Residual, groups, epilogue, _int8!.Value));
        foreach (var n in e.Nodes.Skip(1)) _fused.Add(n);
        _quantized[e.Value] = output;
        return true;
    }

    private bool TryLowerInt8Fc(Node node, GemmOp op)
    {
        if (!IsInt8Grid(op.WeightQuant) || !_quantized.ContainsKey(node.Inputs[0])) return false;
        var w = Init(node.Inputs[1]);
        var bias = node.Inputs.Count > 2 ? Init(node.Inputs[2]).Data : null;
        var (n, k) = (w.Shape[0], w.Shape[1]);
        if (WeightCodes(w.Data, op.WeightQuant!, k) is not { } codes) return false;
        if (Int8Chain(node, allowResidual: false, allowFloat: true) is not { } e) return false;
        var input = DenseQuantized(node.Inputs[0]);
        var group = new Int8GemmGroup(PackInt8(codes, n, k), 0, 0);
        var epilogue = Int8Requantize(e, input.Scale, op.WeightQuant!, bias, n);
        var name = $"int8 fc {k}→{n}{Int8Suffix(e)}{GemmForm(group.Weights)}";
        if (e.Output is { } grid)
        {
            var output = QuantizedOutput(e.Value, grid);
            _steps.Add(new Int8GemmStep(node.Name, e.Nodes, name, input, output.View, false, null, [group], epilogue, _int8!.Value));
            _quantized[e.Value] = output;
        }
        else
        {
            var output = NewDense(e.Value);
            _steps.Add(new Int8GemmStep(node.Name, e.Nodes, name + " (float out)", input, output, true, null, [group], epilogue, _int8!.Value));
            _views[e.Value] = output;
        }
        foreach (var m in e.Nodes.Skip(1)) _fused.Add(m);
        return true;
    }

    /// <summary>The packed weights of each group of a 1×1 convolution (int8 codes [C_out][C_in / groups]), with the input and output channels it covers.</summary>
    private Int8GemmGroup[] Int8Groups(sbyte[] codes, int groupCount, int cin, int cout)
    {
        var (kPer, nPer) = (cin / groupCount, cout / groupCount);
        var groups = new Int8GemmGroup[groupCount];
        for (var g = 0; g < groupCount; g++)
            groups[g] = new Int8GemmGroup(PackInt8(codes.AsSpan(g * nPer * kPer, nPer * kPer), nPer, kPer), g * kPer, g * nPer);
        return groups;
    }

    private static string Int8PointwiseName(int groups, int cin, int cout, Int8Epilogue e, Int8GemmGroup[] packed) =>
        $"int8 {(groups > 1 ? $"gconv 1×1 g{groups}" : "conv 1×1")} {cin}→{cout}{Int8Suffix(e)}{GemmForm(packed[0].Weights)}";

    /// <summary>
    /// Which multiply the GEMM runs, for profiles: a layer whose 8-bit weights fail the pair check runs the slower exact
    /// int16 form where VNNI is not chosen, which `quantize --reduce-range` (7-bit weights) avoids.
    /// </summary>
    private static string GemmForm(PackedInt8Matrix m) => m.Isa switch
    {
        Int8Isa.V256Vnni => " [vnni]",
        Int8Isa.V512 or Int8Isa.V256 when m.PairSafe => " [maddubsw]",
        Int8Isa.V512 or Int8Isa.V256 => " [int16: weight pairs too large for maddubsw]",
        _ => " [scalar]",
    };

    /// <summary>Packed for the forced path, else for the fastest exact path for these weights (VNNI, or the BW path when pair-safe).</summary>
    private PackedInt8Matrix PackInt8(ReadOnlySpan<sbyte> codes, int n, int k) =>
        _int8Forced ? PackedInt8Matrix.Pack(codes, n, k, _int8!.Value) : PackedInt8Matrix.Pack(codes, n, k);

    private static string Int8Suffix(Int8Epilogue e) =>
        (e.Residual is null ? "" : " + add") + e.Activation switch
        {
            QuantActivation.Clamp when e.ClampMax == 6f => " + ReLU6",
            QuantActivation.Clamp => " + ReLU",
            QuantActivation.HardSwish => " + h-swish",
            QuantActivation.HardSigmoid => " + h-sigmoid",
            _ => "",
        };
}
