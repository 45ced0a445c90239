using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu.Int8;
using CodeGrid = LightNets.Runtime.Kernels.Cpu.Int8.QuantParams;

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

    public override int Parts(int threads) =>
        source.PixelStride == 1 && source.Map is null
            ? PartsFor((long)Rows * source.Width * source.Channels, threads, source.Batch) // NCHW: whole images per part
            : PartsFor((long)Rows * source.Width * source.Channels, threads, Rows);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts, source.PixelStride == 1 && source.Map is null ? source.Height : 1);
        var (scale, zero) = (target.Scale, target.ZeroPoint);
        var s = source;
        var t = target.View;
        var grid = new CodeGrid(scale, zero);
        if (t.Map is null && s.Map is null && s.ChannelStride == 1)
        {
            for (var row = start; row < end; row++)
            {
                var (n, y) = (row / s.Height, row % s.Height);
                Int8Elementwise.Quantize(ctx.Base(s, n) + y * s.RowStride, s.PixelStride, QuantizedMemory.Base(ctx, t, n) + y * t.RowStride, t.PixelStride,
                    s.Width, s.Channels, grid, ctx.Isa);
            }
            return;
        }
        if (t.Map is null && s.Map is null && s.PixelStride == 1 && s.RowStride == s.Width && s.ChannelStride == (long)s.Height * s.Width)
        {
            // The caller's NCHW image: whole images per part when the rows are cut at image boundaries, else row by row below.
            if (start % s.Height == 0 && end % s.Height == 0)
            {
                for (var n = start / s.Height; n < end / s.Height; n++)
                    Int8Elementwise.QuantizeNchw(ctx.Base(s, n), s.Height * s.Width, s.Channels, QuantizedMemory.Base(ctx, t, n), t.PixelStride, grid, ctx.Isa);
                return;
            }
        }
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
        if (s.Map is null && t.Map is null && t.ChannelStride == 1)
        {
            for (var row = start; row < end; row++)
            {
                var (n, y) = (row / t.Height, row % t.Height);
                Int8Elementwise.Dequantize(QuantizedMemory.Base(ctx, s, n) + y * s.RowStride, s.PixelStride, new CodeGrid(scale, zero),
                    ctx.Base(t, n) + y * t.RowStride, t.PixelStride, t.Width, t.Channels, ctx.Isa);
            }
            return;
        }
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
/// not written in place, a quantizer of an already quantized value. The composition of DequantizeLinear and
/// QuantizeLinear is a function of the code alone, so it is a 256-entry table computed once.
/// </summary>
internal sealed class RequantizeStep : Step
{
    private readonly QuantizedView _source, _target;
    private readonly byte[]? _table;
    private readonly int[] _from, _to;
    private readonly bool _dense;
    private readonly ChannelGather? _gather; // into dense channels: runs copied, zipped runs unpacked (then looked up in place)

    public RequantizeStep(string name, IReadOnlyList<Node> nodes, QuantizedView source, QuantizedView target) : base(name, nodes)
    {
        (_source, _target) = (source, target);
        if (source.Grid != target.Grid)
        {
            _table = new byte[256];
            for (var q = 0; q < 256; q++) _table[q] = (byte)target.Grid.Quantize(source.Grid.Dequantize(q));
        }
        var c = target.View.Channels;
        _from = [.. Enumerable.Range(0, c).Select(source.View.Physical)];
        _to = [.. Enumerable.Range(0, c).Select(target.View.Physical)];
        _dense = source.View.Map is null && target.View.Map is null;
        if (!_dense && _to.Select((t, i) => t == i).All(x => x)) _gather = ChannelGather.For(_from);
    }

    public override string Describe() => _table is null ? $"copy {_source.View.Channels} uint8 channels" : $"requantize {_source.View.Channels} channels";

    public override IEnumerable<TensorView> Operands() => [_source.View, _target.View];

    private int Rows => _target.View.Batch * _target.View.Height;

    public override int Parts(int threads) => PartsFor((long)Rows * _target.View.Width * _target.View.Channels, threads, Rows);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        var (s, t) = (_source.View, _target.View);
        var c = t.Channels;
        fixed (byte* table = _table)
        fixed (int* from = _from)
        fixed (int* to = _to)
        {
            for (var row = start; row < end; row++)
            {
                var (n, y) = (row / t.Height, row % t.Height);
                var src = QuantizedMemory.Base(ctx, s, n) + y * s.RowStride;
                var dst = QuantizedMemory.Base(ctx, t, n) + y * t.RowStride;
                if (_dense && table is not null)
                {
                    Int8Elementwise.Lookup(src, s.PixelStride, dst, t.PixelStride, t.Width, c, table, ctx.Isa);
                    continue;
                }
                if (_gather is not null)
                {
                    Int8Gather.Run(_gather, src, s.PixelStride, dst, t.PixelStride, t.Width, ctx.Isa);
                    if (table is not null) Int8Elementwise.Lookup(dst, t.PixelStride, dst, t.PixelStride, t.Width, c, table, ctx.Isa);
                    continue;
                }
                for (var x = 0; x < t.Width; x++, src += s.PixelStride, dst += t.PixelStride)
                {
                    if (_dense) new ReadOnlySpan<byte>(src, c).CopyTo(new Span<byte>(dst, c));
                    else if (table is null)
                        for (var i = 0; i < c; i++) dst[to[i]] = src[from[i]];
                    else
                        for (var i = 0; i < c; i++) dst[to[i]] = table[src[from[i]]];
                }
            }
        }
    }
}
