using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu.Int8;

namespace LightNets.Runtime.Plan.Steps.Int8;

/// <summary>
/// An int8 k×k convolution that is neither 1×1 nor depthwise (the 3×3/2 stem): tiles of output pixels unfolded into
/// uint8 rows of K = kh·kw·C_in codes in (ky, kx, c) order (each tap a run of the NHWC pixel's channels), padding
/// filled with the input's zero point (the real value 0), then the int8 GEMM on the tile with the fused epilogue.
/// </summary>
internal sealed class Int8Im2ColStep : Step
{
    private const int RowsPerTile = 256;

    private readonly QuantizedView _input;
    private readonly QuantizedView _output;
    private readonly Conv2dOp _op;
    private readonly PackedInt8Matrix _weights;
    private readonly Requantize _epilogue;
    private readonly int _threads, _k;
    private readonly string _description;

    // codes: the weights' int8 codes in PyTorch's [C_out][C_in][kh][kw] order. forced: the GEMM path to pack for, else
    // the fastest exact one for these weights (Int8Caps.BestFor: the stem's K = 28, N = 32 runs ~1.4× faster on the
    // 512-bit vpmaddubsw tiles than on 256-bit VNNI on Zen 5).
    public Int8Im2ColStep(string name, IReadOnlyList<Node> nodes, string description, QuantizedView input, QuantizedView output, Conv2dOp op,
        sbyte[] codes, Requantize epilogue, Int8Isa? forced, int threads) : base(name, nodes)
    {
        (_input, _output, _op, _epilogue, _threads, _description) = (input, output, op, epilogue, threads, description);
        var (cin, cout, taps) = (input.View.Channels, output.View.Channels, op.KernelH * op.KernelW);
        // Rows of K = kh·kw·C_in codes padded to whole groups of four (the stem's 27 to 28) with zero weights, so the GEMM
        // never takes its byte-by-byte path for a partial last group; the pad column's code is anything (times 0).
        _k = (taps * cin + 3) & ~3;
        // Reordered to the unfolded rows' (ky, kx, c) order.
        var reordered = new sbyte[cout * _k];
        for (var o = 0; o < cout; o++)
            for (var c = 0; c < cin; c++)
                for (var t = 0; t < taps; t++)
                    reordered[o * _k + t * cin + c] = codes[(o * cin + c) * taps + t];
        _weights = forced is { } isa ? PackedInt8Matrix.Pack(reordered, cout, _k, isa) : PackedInt8Matrix.Pack(reordered, cout, _k);
    }

    public override string Describe() => _description;

    public override IEnumerable<TensorView> Operands() => [_input.View, _output.View];

    private int MaxParts => 2 * _threads;

    // 16 bytes of slack per part: a tile's last row may be written with a 16-byte store (see Unfold).
    public override long ScratchFloats => QuantizedMemory.Floats((long)MaxParts * (RowsPerTile * _k + 16));

    private int Rows => _output.View.Batch * _output.View.Height;

    public override int Parts(int threads) =>
        PartsFor((long)Rows * _output.View.Width * _k * _output.View.Channels, threads, Math.Min(Rows, MaxParts));

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        var scratch = (byte*)(ctx.Arena + ScratchOffset) + (long)part * (RowsPerTile * _k + 16);
        var (o, width) = (_output.View, _output.View.Width);
        for (var row = start; row < end; row++)
        {
            var (n, oy) = (row / o.Height, row % o.Height);
            for (var x = 0; x < width; x += RowsPerTile)
            {
                var count = Math.Min(RowsPerTile, width - x);
                Unfold(QuantizedMemory.Base(ctx, _input.View, n), scratch, oy, x, count);
                var args = new Int8GemmArgs
                {
                    A = scratch, Lda = _k, ZeroPointA = _input.ZeroPoint,
                    C = QuantizedMemory.Base(ctx, o, n) + oy * o.RowStride + (long)x * o.PixelStride, Ldc = o.PixelStride,
                };
                Int8Gemm.Run(_weights, args, _epilogue, 0, count, _weights.Isa);
            }
        }
    }

    private unsafe void Unfold(byte* image, byte* dst, int oy, int ox0, int count)
    {
        var (v, op) = (_input.View, _op);
        var zero = (byte)_input.ZeroPoint;
        // A tap row's kw pixels are one run of kw·C_in bytes when the pixels are packed: one small copy per tap row (the
        // stem's 9 bytes) instead of one per tap, for the pixels whose window lies inside the image.
        var run = op.KernelW * v.Channels;
        var packed = v.PixelStride == v.Channels && op.DilationW == 1;
        // The tap rows of this output row, or null where a row lies in the vertical padding; one check per call.
        var rows = stackalloc byte*[op.KernelH];
        var lastRow = -1;
        for (var ky = 0; ky < op.KernelH; ky++)
        {
            var iy = oy * op.StrideH - op.Padding.Top + ky * op.DilationH;
            rows[ky] = iy >= 0 && iy < v.Height ? image + iy * v.RowStride : null;
            if (rows[ky] != null) lastRow = iy;
        }
        // The pixels whose window lies inside the image, [first, last): a run of at most 16 bytes moves with one 16-byte
        // load and store where the load stays inside the image (the store's excess lands where the next tap row, the
        // pad column or the next pixel is written afterwards, in this order).
        var (first, last) = packed ? InsideRange(ox0, count) : (count, count);
        var wide = run <= 16 && first < last && lastRow >= 0
                   && (long)lastRow * v.RowStride + (long)((ox0 + last - 1) * op.StrideW - op.Padding.Left) * v.Channels + 16
                      <= (long)(v.Height - 1) * v.RowStride + (long)v.Width * v.PixelStride;
        // The interior first: its last 16-byte stores reach into the pixel after it, an edge pixel written afterwards.
        if (wide && op.KernelH == 3 && rows[0] != null && rows[1] != null && rows[2] != null)
        {
            // The stem's interior: three 16-byte moves and the pad column per pixel, nothing else tested.
            var step = (long)op.StrideW * v.Channels;
            var offset = (long)((ox0 + first) * op.StrideW - op.Padding.Left) * v.Channels;
            byte* s0 = rows[0] + offset, s1 = rows[1] + offset, s2 = rows[2] + offset;
            var d = dst + (long)first * _k;
            for (var r = first; r < last; r++, d += _k, s0 += step, s1 += step, s2 += step)
            {
                Vector128.Store(Vector128.Load(s0), d);
                Vector128.Store(Vector128.Load(s1), d + run);
                Vector128.Store(Vector128.Load(s2), d + 2 * run);
                for (var p = 3 * run; p < _k; p++) d[p] = zero;
            }
        }
        else
        {
            for (var r = first; r < last; r++)
            {
                var d = dst + (long)r * _k;
                var offset = (long)((ox0 + r) * op.StrideW - op.Padding.Left) * v.Channels;
                for (var ky = 0; ky < op.KernelH; ky++, d += run)
                {
                    if (rows[ky] == null) new Span<byte>(d, run).Fill(zero);
                    else if (wide) Vector128.Store(Vector128.Load(rows[ky] + offset), d);
                    else CopySmall(rows[ky] + offset, d, run);
                }
                for (var end = dst + (long)(r + 1) * _k; d < end; d++) *d = zero; // the pad column
            }
        }
        for (var r = 0; r < count; r++)
            if (r < first || r >= last) Edge(rows, dst + (long)r * _k, (ox0 + r) * op.StrideW - op.Padding.Left, zero);
    }

    /// <summary>One pixel whose window reaches into the padding (or any pixel of unpacked input): tap by tap.</summary>
    private unsafe void Edge(byte** rows, byte* d, int ix0, byte zero)
    {
        var (v, op) = (_input.View, _op);
        for (var ky = 0; ky < op.KernelH; ky++)
            for (var kx = 0; kx < op.KernelW; kx++, d += v.Channels)
            {
                var ix = ix0 + kx * op.DilationW;
                if (rows[ky] == null || ix < 0 || ix >= v.Width) new Span<byte>(d, v.Channels).Fill(zero);
                else new ReadOnlySpan<byte>(rows[ky] + (long)ix * v.PixelStride, v.Channels).CopyTo(new Span<byte>(d, v.Channels));
            }
        for (var p = op.KernelH * op.KernelW * v.Channels; p < _k; p++, d++) *d = zero; // the pad column
    }

    /// <summary>Of the <paramref name="count"/> pixels from <paramref name="ox0"/>, those [first, last) whose window's columns are all inside.</summary>
    private (int First, int Last) InsideRange(int ox0, int count)
    {
        var (op, width) = (_op, _input.View.Width);
        var first = 0;
        while (first < count && (ox0 + first) * op.StrideW - op.Padding.Left < 0) first++;
        var last = count;
        while (last > first && (ox0 + last - 1) * op.StrideW - op.Padding.Left + (op.KernelW - 1) * op.DilationW >= width) last--;
        return (first, last);
    }

    /// <summary>Copies <paramref name="n"/> bytes with two overlapping loads when n ≤ 16 (never reading outside [src, src + n)).</summary>
    private static unsafe void CopySmall(byte* src, byte* dst, int n)
    {
        if (n >= 8 && n <= 16)
        {
            var (head, tail) = (Unsafe.ReadUnaligned<ulong>(src), Unsafe.ReadUnaligned<ulong>(src + n - 8));
            Unsafe.WriteUnaligned(dst, head);
            Unsafe.WriteUnaligned(dst + n - 8, tail);
        }
        else if (n >= 4 && n < 8)
        {
            var (head, tail) = (Unsafe.ReadUnaligned<uint>(src), Unsafe.ReadUnaligned<uint>(src + n - 4));
            Unsafe.WriteUnaligned(dst, head);
            Unsafe.WriteUnaligned(dst + n - 4, tail);
        }
        else Unsafe.CopyBlockUnaligned(dst, src, (uint)n);
    }
}
