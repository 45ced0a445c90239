using LightNets.Graphs;
using LightNets.Runtime.Compiler;

namespace LightNets.Runtime.Plan.Steps.Int8;

/// <summary>
/// Float → uint8 where a quantized value starts: the graph input (NCHW, the caller's memory) or the output of a layer
/// that ran in float. ONNX's QuantizeLinear: q = saturate(round_half_even(x / s) + z).
/// </summary>
internal sealed class QuantizeStep(string name, IReadOnlyList<Node> nodes, TensorView source, QuantizedView target) : Step(name, nodes)
{
    public override string Describe() => $"quantize → uint8 (int8 plan)";

    public override IEnumerable<TensorView> Operands() => [source, target.View];

    private int Rows => source.Batch * source.Height;

    public override int Parts(int threads) => PartsFor((long)Rows * source.Width * source.Channels, threads, Rows);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        var (scale, zero) = (target.Scale, target.ZeroPoint);
        var s = source;
        var t = target.View;
        for (var row = start; row < end; row++)
        {
            var (n, y) = (row / s.Height, row % s.Height);
            var src = ctx.Base(s, n) + y * s.RowStride;
            var dst = QuantizedMemory.Base(ctx, t, n) + y * t.RowStride;
            for (var x = 0; x < s.Width; x++)
                for (var c = 0; c < s.Channels; c++)
                {
                    var v = src[x * s.PixelStride + (long)s.Physical(c) * s.ChannelStride];
                    var q = MathF.Round(v / scale, MidpointRounding.ToEven) + zero;
                    dst[x * t.PixelStride + t.Physical(c)] = (byte)(float.IsNaN(q) ? zero : Math.Clamp(q, 0f, 255f));
                }
        }
    }
}

/// <summary>uint8 → float where a float layer reads a quantized value (ONNX's DequantizeLinear: (q − z)·s).</summary>
internal sealed class DequantizeStep(string name, IReadOnlyList<Node> nodes, QuantizedView source, TensorView target) : Step(name, nodes)
{
    public override string Describe() => "dequantize → float (a layer without an int8 kernel follows)";

    public override IEnumerable<TensorView> Operands() => [source.View, target];

    private int Rows => target.Batch * target.Height;

    public override int Parts(int threads) => PartsFor((long)Rows * target.Width * target.Channels, threads, Rows);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        var (scale, zero) = (source.Scale, source.ZeroPoint);
        var s = source.View;
        var t = target;
        for (var row = start; row < end; row++)
        {
            var (n, y) = (row / t.Height, row % t.Height);
            var src = QuantizedMemory.Base(ctx, s, n) + y * s.RowStride;
            var dst = ctx.Base(t, n) + y * t.RowStride;
            for (var x = 0; x < t.Width; x++)
                for (var c = 0; c < t.Channels; c++)
                    dst[x * t.PixelStride + (long)t.Physical(c) * t.ChannelStride] = (src[x * s.PixelStride + s.Physical(c)] - zero) * scale;
        }
    }
}

/// <summary>
/// uint8 → uint8 on another grid (or the same: a plain copy), through channel maps: a concatenation input that was
/// not written in place, a quantizer of an already quantized value. q' = saturate(round((q − z)·s / s') + z'), the
/// composition of DequantizeLinear and QuantizeLinear.
/// </summary>
internal sealed class RequantizeStep(string name, IReadOnlyList<Node> nodes, QuantizedView source, QuantizedView target) : Step(name, nodes)
{
    private readonly bool _same = source.Grid == target.Grid;

    public override string Describe() => _same ? $"copy {source.View.Channels} uint8 channels" : $"requantize {source.View.Channels} channels";

    public override IEnumerable<TensorView> Operands() => [source.View, target.View];

    private int Rows => target.View.Batch * target.View.Height;

    public override int Parts(int threads) => PartsFor((long)Rows * target.View.Width * target.View.Channels, threads, Rows);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        var (s, t) = (source.View, target.View);
        var (ss, sz, ts, tz) = (source.Scale, source.ZeroPoint, target.Scale, target.ZeroPoint);
        for (var row = start; row < end; row++)
        {
            var (n, y) = (row / t.Height, row % t.Height);
            var src = QuantizedMemory.Base(ctx, s, n) + y * s.RowStride;
            var dst = QuantizedMemory.Base(ctx, t, n) + y * t.RowStride;
            for (var x = 0; x < t.Width; x++)
                for (var c = 0; c < t.Channels; c++)
                {
                    var q = src[x * s.PixelStride + s.Physical(c)];
                    if (!_same)
                    {
                        var v = (q - sz) * ss;
                        q = (byte)Math.Clamp(MathF.Round(v / ts, MidpointRounding.ToEven) + tz, 0f, 255f);
                    }
                    dst[x * t.PixelStride + t.Physical(c)] = q;
                }
        }
    }
}
