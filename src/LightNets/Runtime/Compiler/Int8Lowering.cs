using LightNets.Graphs;
using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Runtime.Plan.Steps.Int8;
using QuantParams = LightNets.Graphs.QuantParams;

namespace LightNets.Runtime.Compiler;

/// <summary>
/// The int8 half of lowering (see <see cref="PlanCompiler"/>): a QDQ graph's quantized values are held as uint8
/// (<see cref="QuantizedView"/>) from the FakeQuantize that creates them; a layer whose input is such a value, whose
/// weights lie on an int8 grid and whose output (after the residual add and activation it fuses) goes into a
/// FakeQuantize runs as one int8 step that writes that quantizer's codes directly. Views (split, slice, shuffle,
/// flatten) work on the codes as on floats. Anything else runs in float32: its quantized inputs are dequantized first
/// and its quantized outputs quantized after, so every node runs either way with the same QDQ semantics.
/// </summary>
internal sealed partial class PlanCompiler
{
    private readonly Dictionary<string, QuantizedView> _quantized = new(StringComparer.Ordinal);
    private readonly Dictionary<Node, QuantizedView> _quantizedConcats = [];
    private Int8Isa? _int8;
    private bool _int8Forced, _bands = true;

    /// <summary>Lowers <paramref name="node"/> to int8 steps if it can; false leaves it to the float lowering.</summary>
    private bool TryLowerInt8(Node node)
    {
        if (_int8 is null) return false;
        return node.Op switch
        {
            FakeQuantizeOp q => LowerQuantizer(node, q.Params),
            FlattenOp or ChannelShuffleOp or SliceOp or SplitOp or DropoutOp when _quantized.ContainsKey(node.Inputs[0]) => LowerQuantizedView(node),
            Conv2dOp conv => TryLowerInt8Conv(node, conv),
            GemmOp fc => TryLowerInt8Fc(node, fc),
            ConcatOp => TryLowerInt8Concat(node),
            GlobalAveragePoolOp => TryLowerInt8GlobalPool(node),
            MaxPoolOp pool => TryLowerInt8MaxPool(node, pool),
            AddOp or MulOp => TryLowerInt8Binary(node),
            ReluOp or ClipOp or HardSwishOp or HardSigmoidOp or SigmoidOp => TryLowerInt8Table(node),
            _ => false,
        };
    }

    private static bool IsInt8Grid(QuantParams? p) => p is { Type: QuantType.Int8, IsSymmetric: true } && (p.IsPerTensor || p.Axis == 0);

    private bool LowerQuantizer(Node node, QuantParams p)
    {
        if (!p.IsPerTensor) return false; // per-channel activations: the float step rounds them
        var grid = QuantizedView.AsUInt8(p);
        var input = node.Inputs[0];
        if (_quantized.TryGetValue(input, out var source))
        {
            if (source.Grid == grid)
            {
                _quantized[node.Output] = source;
                return true;
            }
            var target = QuantizedOutput(node.Output, grid);
            _steps.Add(new RequantizeStep(node.Name, [node], source, target));
            _quantized[node.Output] = target;
            return true;
        }
        var view = ViewOf(input);
        if (view.Slot.Id < 0) return false; // a value deferred into its reader has no memory to quantize from
        var output = QuantizedOutput(node.Output, grid);
        _steps.Add(new QuantizeStep(node.Name, [node], view, output));
        _quantized[node.Output] = output;
        return true;
    }

    private bool LowerQuantizedView(Node node)
    {
        var q = _quantized[node.Inputs[0]];
        switch (node.Op)
        {
            case ChannelShuffleOp shuffle:
                _quantized[node.Output] = q with { View = Shuffled(q.View, shuffle.Groups) };
                return true;
            case SliceOp slice:
                _quantized[node.Output] = q with { View = Channels(q.View, slice.Start, slice.End - slice.Start) };
                return true;
            case SplitOp split:
            {
                var start = 0;
                for (var i = 0; i < split.Sizes.Count; i++)
                {
                    _quantized[node.Outputs[i]] = q with { View = Channels(q.View, start, split.Sizes[i]) };
                    start += split.Sizes[i];
                }
                return true;
            }
            case FlattenOp when q.View is { Height: 1, Width: 1 }:
            case DropoutOp:
                _quantized[node.Output] = q;
                return true;
            default:
                return false; // a flatten of a feature map: the float path writes it in NCHW order
        }
    }

    /// <summary>A fresh dense uint8 NHWC view for <paramref name="value"/>, or its slice of the concatenation it goes into on the same grid.</summary>
    private QuantizedView QuantizedOutput(string value, QuantParams grid)
    {
        if (_fuse && SoleConsumer(value) is { Op: ConcatOp } concat && concat.Inputs.Count(i => i == value) == 1
            && ConcatGrid(concat) is { } g && g == grid)
        {
            var full = QuantizedConcat(concat, g).View;
            var offset = 0;
            foreach (var i in concat.Inputs)
            {
                if (i == value) break;
                offset += _g.ShapeOf(i).C;
            }
            return new QuantizedView(TensorView.NhwcSlice(full.Slot, full.Batch, full.Height, full.Width, _g.ShapeOf(value).C, full.PixelStride, offset), grid);
        }
        return new QuantizedView(NewQuantizedDense(value), grid);
    }

    private TensorView NewQuantizedDense(string value, string? slotName = null)
    {
        var (n, c, h, w) = Dims(_g.ShapeOf(value));
        // Pixels 4 KiB apart would share L1 sets in the GEMM's row tiles: pad such rows by a cache line.
        var stride = h * w > 1 && c % 1024 == 0 ? c + 64 : c;
        var slot = NewSlot(QuantizedMemory.Floats((long)n * h * w * stride), slotName ?? value);
        return TensorView.NhwcSlice(slot, n, h, w, c, stride, 0);
    }

    /// <summary>The grid of the quantizer that alone reads a concatenation, if any.</summary>
    private QuantParams? ConcatGrid(Node concat) =>
        SoleConsumer(concat.Output) is { Op: FakeQuantizeOp { Params: { IsPerTensor: true } p } } ? QuantizedView.AsUInt8(p) : null;

    private QuantizedView QuantizedConcat(Node concat, QuantParams grid)
    {
        if (!_quantizedConcats.TryGetValue(concat, out var view))
            _quantizedConcats[concat] = view = new QuantizedView(NewQuantizedDense(concat.Output), grid);
        return view;
    }

    /// <summary>The uint8 view of a quantized value as a pixel matrix without a channel map, copied into one if needed.</summary>
    private QuantizedView DenseQuantized(string value)
    {
        var q = _quantized[value];
        if (q.View.Map is null && q.View.IsPixelMatrix) return q;
        var dense = new QuantizedView(NewQuantizedDense(value, value + ".dense"), q.Grid);
        _steps.Add(new RequantizeStep($"{value}.materialize", [], q, dense));
        _quantized[value] = dense;
        return dense;
    }

    private bool TryLowerInt8Concat(Node concat)
    {
        if (ConcatGrid(concat) is not { } grid || !concat.Inputs.All(_quantized.ContainsKey) || _g.ShapeOf(concat.Output).Rank != 4) return false;
        var full = QuantizedConcat(concat, grid);
        var offset = 0;
        foreach (var input in concat.Inputs)
        {
            var q = _quantized[input];
            var c = q.View.Channels;
            var slice = new QuantizedView(TensorView.NhwcSlice(full.View.Slot, full.View.Batch, full.View.Height, full.View.Width, c, full.View.PixelStride, offset), grid);
            var inPlace = q.View.Slot == full.View.Slot && q.View.ChannelOffset == offset && q.View.Map is null && q.Grid == grid;
            if (!inPlace) _steps.Add(new RequantizeStep($"{concat.Name}.{input}", [], q, slice));
            offset += c;
        }
        _quantized[concat.Output] = full;
        return true;
    }
}
