using System.Runtime.CompilerServices;

namespace LightNets.Runtime.Kernels.Cpu;

public static unsafe partial class DwConv
{
    /// <summary>Output pixels per register tile in the interior of a row.</summary>
    private const int Tile = 4;

    /// <summary>
    /// One generic body for every tier (<typeparamref name="TS"/>) and activation (<typeparamref name="TAct"/>).
    /// <para>
    /// Each output row is split into a left border, an interior and a right border. In the interior every tap column
    /// of the window is inside the image, so <see cref="TileBlock"/> computes <see cref="Tile"/> adjacent output pixels
    /// of one channel block with no bounds checks: each weight register is loaded once and feeds
    /// <see cref="Tile"/> independent fused multiply-add chains, which hides the FMA latency and needs 1 + 1/Tile loads
    /// per FMA. Borders (and the last interior pixels that do not fill a tile) go through <see cref="PixelBlock"/>,
    /// which clips the window's columns. Rows are clipped the same way for both, so the zero padding is never
    /// materialized and never multiplied.
    /// </para>
    /// <para>
    /// The channel loop is innermost: one tile reads its input pixels and writes its output pixels whole, which walks
    /// memory in address order (what the prefetchers and write-combining want for the large, cache-missing layers),
    /// while the packed weights of all channels (KH·KW·C floats, ≤ 96 KB) stay in L1/L2.
    /// </para>
    /// </summary>
    private static void GenericRows<TV, TS, TAct>(in Args a)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation
    {
        var s = a.S;

        // Interior columns: ox·StrideW − PadLeft ≥ 0 and ox·StrideW − PadLeft + KW ≤ W.
        var oxLo = Math.Min((s.PadLeft + s.StrideW - 1) / s.StrideW, s.OW);
        var span = s.W - s.KW + s.PadLeft;
        var oxHi = span < 0 ? oxLo : Math.Clamp(span / s.StrideW + 1, oxLo, s.OW);
        var group = GroupChannels(s.KH * s.KW, TS.Count);

        for (var oy = a.RowStart; oy < a.RowEnd; oy++)
        {
            var taps = TapRows(a, oy);
            for (var c0 = 0; c0 < s.C; c0 += group)
            {
                var row = new RowPointers(taps.Input + c0, taps.Weights + c0, taps.Output + c0, taps.Rows, c0, Math.Min(group, s.C - c0));
                var rows = row.Rows;
                var ox = 0;
                for (; ox < oxLo; ox++) Pixel<TV, TS, TAct>(a, row, ox);
                for (; ox + Tile <= oxHi; ox += Tile)
                {
                    var input = row.Input + (ox * s.StrideW - s.PadLeft) * a.InPixel;
                    var output = row.Output + ox * a.OutPixel;
                    var c = 0;
                    for (; c + TS.Count <= row.Channels; c += TS.Count)
                        GenericTileBlock<TV, TS, TAct, FullBlock<TV, TS>>(a, default, input + c, row.Weights + c, row.C0 + c, output + c, rows);
                    if (c < row.Channels)
                        GenericTileBlock<TV, TS, TAct, TailBlock<TV, TS>>(a, new(row.Channels - c), input + c, row.Weights + c, row.C0 + c, output + c, rows);
                }
                for (; ox < s.OW; ox++) Pixel<TV, TS, TAct>(a, row, ox);
            }
        }
    }

    /// <summary>
    /// The tap rows of output row <paramref name="oy"/> that fall inside the image: pointers to the first one (input
    /// row, column 0; packed weight row) and to the output row, and how many there are (0 when the window lies wholly
    /// in the padding, leaving the bias).
    /// </summary>
    private static RowPointers TapRows(in Args a, int oy)
    {
        var s = a.S;
        var iy = oy * s.StrideH - s.PadTop;
        var kyLo = Math.Max(0, -iy);
        var rows = Math.Max(0, Math.Min(s.KH, s.H - iy) - kyLo);
        return new RowPointers(a.Input + (iy + kyLo) * a.InRow, a.Weights + kyLo * a.WeightRow, a.Output + oy * s.OW * a.OutPixel, rows, 0, s.C);
    }

    /// <summary>
    /// Channels per group: a row is swept once per group of channels whose packed weights (taps × group floats) fit
    /// in 8 KB, so that they stay in L1 for the whole sweep instead of streaming from L2 for every pixel (a 5×5 kernel
    /// over 960 channels has 96 KB of weights). A multiple of the register width, so only the last group has a tail.
    /// Sweeping a row's input pixels whole (rather than one narrow channel group over the whole image, which keeps the
    /// shared input rows in L1 but strides through memory) measured faster on every MobileNet/ShuffleNet shape here.
    /// </summary>
    private static int GroupChannels(int taps, int lanes) => Math.Max(lanes, 8192 / sizeof(float) / taps / lanes * lanes);

    /// <summary>One output pixel, the channels of one group, with the window's columns clipped to the image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pixel<TV, TS, TAct>(in Args a, in RowPointers row, int ox)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation
    {
        var ix = ox * a.S.StrideW - a.S.PadLeft;
        var kxLo = Math.Max(0, -ix);
        var cols = Math.Max(0, Math.Min(a.S.KW, a.S.W - ix) - kxLo);
        var input = row.Input + (ix + kxLo) * a.InPixel;
        var weights = row.Weights + kxLo * a.Tap;
        var output = row.Output + ox * a.OutPixel;
        var c = 0;
        for (; c + TS.Count <= row.Channels; c += TS.Count)
            PixelBlock<TV, TS, TAct, FullBlock<TV, TS>>(a, default, input + c, weights + c, row.C0 + c, output + c, row.Rows, cols);
        if (c < row.Channels)
            PixelBlock<TV, TS, TAct, TailBlock<TV, TS>>(a, new(row.Channels - c), input + c, weights + c, row.C0 + c, output + c, row.Rows, cols);
    }

    /// <summary>
    /// <see cref="Tile"/> adjacent interior output pixels of one channel block: <c>input</c> is the top-left tap of the
    /// first pixel's window (first valid row), <c>weights</c> the matching packed tap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GenericTileBlock<TV, TS, TAct, TB>(in Args a, TB block, float* input, float* weights, int c,
        float* output, int rows)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation where TB : struct, IChannelBlock<TV>
    {
        nint inRow = a.InRow, inPixel = a.InPixel, step = a.ColumnStep, tap = a.Tap, weightRow = a.WeightRow;
        var kw = a.S.KW;
        var acc0 = a.Bias == null ? TS.Zero : block.Load(a.Bias + c);
        TV acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (var r = 0; r < rows; r++)
        {
            var p = input;
            var w = weights;
            for (var kx = 0; kx < kw; kx++)
            {
                var wv = TS.Load(w);
                acc0 = TS.MultiplyAdd(block.Load(p), wv, acc0);
                acc1 = TS.MultiplyAdd(block.Load(p + step), wv, acc1);
                acc2 = TS.MultiplyAdd(block.Load(p + 2 * step), wv, acc2);
                acc3 = TS.MultiplyAdd(block.Load(p + 3 * step), wv, acc3);
                p += inPixel;
                w += tap;
            }
            input += inRow;
            weights += weightRow;
        }
        nint outPixel = a.OutPixel;
        block.Store(output, TS.Activate<TAct>(acc0));
        block.Store(output + outPixel, TS.Activate<TAct>(acc1));
        block.Store(output + 2 * outPixel, TS.Activate<TAct>(acc2));
        block.Store(output + 3 * outPixel, TS.Activate<TAct>(acc3));
    }

    /// <summary>One output pixel of one channel block over a clipped rows × cols window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PixelBlock<TV, TS, TAct, TB>(in Args a, TB block, float* input, float* weights, int c,
        float* output, int rows, int cols)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation where TB : struct, IChannelBlock<TV>
    {
        nint inRow = a.InRow, inPixel = a.InPixel, tap = a.Tap, weightRow = a.WeightRow;
        var acc = a.Bias == null ? TS.Zero : block.Load(a.Bias + c);
        for (var r = 0; r < rows; r++)
        {
            var p = input;
            var w = weights;
            for (var kx = 0; kx < cols; kx++)
            {
                acc = TS.MultiplyAdd(block.Load(p), TS.Load(w), acc);
                p += inPixel;
                w += tap;
            }
            input += inRow;
            weights += weightRow;
        }
        block.Store(output, TS.Activate<TAct>(acc));
    }

    /// <summary>
    /// One output row restricted to one channel group: its first valid input row, the matching weight row and output
    /// row (all offset to the group's first channel <see cref="C0"/>), the valid tap-row count and the group's width.
    /// </summary>
    private readonly struct RowPointers(float* input, float* weights, float* output, int rows, int c0, int channels)
    {
        public readonly float* Input = input;
        public readonly float* Weights = weights;
        public readonly float* Output = output;
        public readonly int Rows = rows;
        public readonly int C0 = c0;
        public readonly int Channels = channels;
    }
}
