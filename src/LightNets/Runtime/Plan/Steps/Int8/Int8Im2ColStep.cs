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
    private readonly Int8Isa _isa;
    private readonly int _threads, _k;
    private readonly string _description;

    // codes: the weights' int8 codes in PyTorch's [C_out][C_in][kh][kw] order.
    public Int8Im2ColStep(string name, IReadOnlyList<Node> nodes, string description, QuantizedView input, QuantizedView output, Conv2dOp op,
        sbyte[] codes, Requantize epilogue, Int8Isa isa, int threads) : base(name, nodes)
    {
        (_input, _output, _op, _epilogue, _isa, _threads, _description) = (input, output, op, epilogue, isa, threads, description);
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
        _weights = PackedInt8Matrix.Pack(reordered, cout, _k, isa);
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
        var (cin, zero) = (v.Channels, (byte)_input.ZeroPoint);
        // A tap row's kw pixels are one run of kw·C_in bytes when the pixels are packed and the window lies inside the
        // image: one small copy per tap row (the stem's 9 bytes) instead of one per tap.
        var run = op.KernelW * cin;
        var packed = v.PixelStride == cin && op.DilationW == 1;
        // A run of at most 16 bytes is moved by one 16-byte load and store where the load stays inside the image: the
        // store's excess lands where the next tap row (or the next pixel, or the tile's slack) is written afterwards.
        var imageBytes = (long)(v.Height - 1) * v.RowStride + (long)v.Width * v.PixelStride;
        for (var r = 0; r < count; r++)
        {
            var ox = ox0 + r;
            var d = dst + (long)r * _k;
            var ix0 = ox * op.StrideW - op.Padding.Left;
            var inside = packed && ix0 >= 0 && ix0 + op.KernelW <= v.Width;
            for (var ky = 0; ky < op.KernelH; ky++)
            {
                var iy = oy * op.StrideH - op.Padding.Top + ky * op.DilationH;
                if (iy < 0 || iy >= v.Height)
                {
                    new Span<byte>(d, run).Fill(zero);
                    d += run;
                    continue;
                }
                var row = image + iy * v.RowStride;
                if (inside && run <= 16 && (iy * v.RowStride + (long)ix0 * cin + 16) <= imageBytes)
                {
                    Vector128.Store(Vector128.Load(row + (long)ix0 * cin), d);
                    d += run;
                    continue;
                }
                if (inside)
                {
                    CopySmall(row + (long)ix0 * cin, d, run);
                    d += run;
                    continue;
                }
                for (var kx = 0; kx < op.KernelW; kx++, d += cin)
                {
                    var ix = ix0 + kx * op.DilationW;
                    if (ix < 0 || ix >= v.Width) new Span<byte>(d, cin).Fill(zero);
                    else new ReadOnlySpan<byte>(row + (long)ix * v.PixelStride, cin).CopyTo(new Span<byte>(d, cin));
                }
            }
            for (var end = dst + (long)(r + 1) * _k; d < end; d++) *d = zero; // the pad column
        }
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
