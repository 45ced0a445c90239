using System.Runtime.CompilerServices;

namespace LightNets.Runtime.Kernels.Cpu;

public static unsafe partial class DwConv
{
    /// <summary>Output pixels per tile of the generic path.</summary>
    private const int GenericTile = 4;

    /// <summary>
    /// Any window and stride (7×7, 1×k, stride 3, …): the taps are runtime loops. Each output row of each channel group
    /// is split where the window's columns stop being clipped: the interior goes through <see cref="GenericTileBlock"/>,
    /// four output pixels per channel block with no bounds checks, where each weight register feeds four independent
    /// fused multiply-add chains (1 + 1/4 loads per FMA); the borders and the interior's last pixels go through
    /// <see cref="PixelBlock"/>, which clips the window's columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            var row = TapRows(a, oy);
            for (var c0 = 0; c0 < s.C; c0 += group)
            {
                var channels = Math.Min(group, s.C - c0);
                var ox = 0;
                for (; ox < oxLo; ox++) Pixel<TV, TS, TAct>(a, row, ox, c0, channels);
                for (; ox + GenericTile <= oxHi; ox += GenericTile)
                {
                    var input = row.Input + (ox * s.StrideW - s.PadLeft) * a.InPixel;
                    var output = row.Output + ox * a.OutPixel;
                    int c = c0, end = c0 + channels;
                    for (; c + TS.Count <= end; c += TS.Count)
                        GenericTileBlock<TV, TS, TAct, FullBlock<TV, TS>>(a, default, input + c, row.Weights + c, c, output + c, row.Rows);
                    if (c < end)
                        GenericTileBlock<TV, TS, TAct, TailBlock<TV, TS>>(a, new(end - c), input + c, row.Weights + c, c, output + c, row.Rows);
                }
                for (; ox < s.OW; ox++) Pixel<TV, TS, TAct>(a, row, ox, c0, channels);
            }
        }
    }

    /// <summary>One output pixel over channels [c0, c0 + channels), with the window's columns clipped to the image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pixel<TV, TS, TAct>(in Args a, in TapRowSpan row, int ox, int c0, int channels)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation
    {
        var ix = ox * a.S.StrideW - a.S.PadLeft;
        var kxLo = Math.Max(0, -ix);
        var cols = Math.Max(0, Math.Min(a.S.KW, a.S.W - ix) - kxLo);
        var input = row.Input + (ix + kxLo) * a.InPixel;
        var weights = row.Weights + kxLo * a.Tap;
        var output = row.Output + ox * a.OutPixel;
        int c = c0, end = c0 + channels;
        for (; c + TS.Count <= end; c += TS.Count)
            PixelBlock<TV, TS, TAct, FullBlock<TV, TS>>(a, default, input + c, weights + c, c, output + c, row.Rows, cols);
        if (c < end)
            PixelBlock<TV, TS, TAct, TailBlock<TV, TS>>(a, new(end - c), input + c, weights + c, c, output + c, row.Rows, cols);
    }

    /// <summary>
    /// <see cref="GenericTile"/> adjacent interior output pixels of the channel block at <paramref name="c"/>:
    /// <paramref name="input"/> is the first valid tap row's leftmost column for the first pixel, <paramref name="weights"/>
    /// the matching packed tap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GenericTileBlock<TV, TS, TAct, TB>(in Args a, TB block, float* input, float* weights, int c,
        float* output, int rows)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation where TB : struct, IChannelBlock<TV>
    {
        nint inRow = a.InRow, inPixel = a.InPixel, step = (nint)a.S.StrideW * a.InPixel, tap = a.Tap, weightRow = a.WeightRow;
        var kw = a.S.KW;
        var acc0 = a.Bias == null ? TS.Zero : block.Load(a.Bias + c);
        TV acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (var r = 0; r < rows; r++, input += inRow, weights += weightRow)
        {
            var p = input;
            var w = weights;
            for (var kx = 0; kx < kw; kx++, p += inPixel, w += tap)
            {
                var wv = TS.Load(w);
                acc0 = TS.MultiplyAdd(block.Load(p), wv, acc0);
                acc1 = TS.MultiplyAdd(block.Load(p + step), wv, acc1);
                acc2 = TS.MultiplyAdd(block.Load(p + 2 * step), wv, acc2);
                acc3 = TS.MultiplyAdd(block.Load(p + 3 * step), wv, acc3);
            }
        }
        nint o = a.OutPixel;
        block.Store(output, TS.Activate<TAct>(acc0));
        block.Store(output + o, TS.Activate<TAct>(acc1));
        block.Store(output + 2 * o, TS.Activate<TAct>(acc2));
        block.Store(output + 3 * o, TS.Activate<TAct>(acc3));
    }

    /// <summary>One output pixel of the channel block at <paramref name="c"/> over a clipped rows × cols window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PixelBlock<TV, TS, TAct, TB>(in Args a, TB block, float* input, float* weights, int c,
        float* output, int rows, int cols)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation where TB : struct, IChannelBlock<TV>
    {
        nint inRow = a.InRow, inPixel = a.InPixel, tap = a.Tap, weightRow = a.WeightRow;
        var acc = a.Bias == null ? TS.Zero : block.Load(a.Bias + c);
        for (var r = 0; r < rows; r++, input += inRow, weights += weightRow)
        {
            var p = input;
            var w = weights;
            for (var kx = 0; kx < cols; kx++, p += inPixel, w += tap) acc = TS.MultiplyAdd(block.Load(p), TS.Load(w), acc);
        }
        block.Store(output, TS.Activate<TAct>(acc));
    }
}
