using System.Runtime.CompilerServices;

namespace LightNets.Runtime.Kernels.Cpu;

public static unsafe partial class DwConv
{
    /// <summary>A window width and horizontal stride known to the JIT, so the tile code below unrolls completely.</summary>
    private interface IWindow
    {
        static abstract int KW { get; }
        static abstract int Stride { get; }
    }

    private readonly struct K3S1 : IWindow { public static int KW => 3; public static int Stride => 1; }
    private readonly struct K3S2 : IWindow { public static int KW => 3; public static int Stride => 2; }
    private readonly struct K5S1 : IWindow { public static int KW => 5; public static int Stride => 1; }
    private readonly struct K5S2 : IWindow { public static int KW => 5; public static int Stride => 2; }

    /// <summary>
    /// Output pixels per tile, and whether the tile may reach past the left or right edge of the image (then each
    /// input column is checked against the image; interior tiles skip the checks).
    /// </summary>
    private interface ITile
    {
        static abstract int Pixels { get; }
        static abstract bool Clipped { get; }
    }

    private readonly struct Wide : ITile { public static int Pixels => 7; public static bool Clipped => false; }
    private readonly struct WideClipped : ITile { public static int Pixels => 7; public static bool Clipped => true; }
    private readonly struct NarrowClipped : ITile { public static int Pixels => 4; public static bool Clipped => true; }
    private readonly struct SingleClipped : ITile { public static int Pixels => 1; public static bool Clipped => true; }

    /// <summary>
    /// Rows for a window with a register-blocked tile (<typeparamref name="TW"/>). Each output row of each channel group
    /// is covered by tiles of 8 pixels (4 when the row is narrower, single pixels below 4); a last tile that would
    /// run past the row is moved back to end at OW, recomputing a few pixels rather than needing more tile widths.
    /// Tiles that reach into the left or right padding take the clipped variant.
    /// </summary>
    private static void TiledRows<TV, TS, TAct, TW>(in Args a)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation where TW : struct, IWindow
    {
        var s = a.S;
        var group = GroupChannels(s.KH * s.KW, TS.Count);
        var pixels = s.OW >= 7 ? 7 : s.OW >= 4 ? 4 : 1;
        var columns = (pixels - 1) * TW.Stride + TW.KW;
        for (var oy = a.RowStart; oy < a.RowEnd; oy++)
        {
            var row = TapRows(a, oy);
            for (var c0 = 0; c0 < s.C; c0 += group)
            {
                var channels = Math.Min(group, s.C - c0);
                for (var ox = 0; ox < s.OW; ox += pixels)
                {
                    var start = Math.Min(ox, s.OW - pixels);
                    var ix0 = start * TW.Stride - s.PadLeft;
                    int iLo = Math.Max(0, -ix0), iHi = s.W - ix0;
                    var input = row.Input + ix0 * a.InPixel + c0;
                    var output = row.Output + start * a.OutPixel + c0;
                    var clipped = iLo > 0 || iHi < columns;
                    if (pixels == 7 && !clipped)
                        TileGroup<TV, TS, TAct, TW, Wide>(a, input, row.Weights + c0, c0, channels, output, row.Rows, iLo, iHi);
                    else if (pixels == 7)
                        TileGroup<TV, TS, TAct, TW, WideClipped>(a, input, row.Weights + c0, c0, channels, output, row.Rows, iLo, iHi);
                    else if (pixels == 4)
                        TileGroup<TV, TS, TAct, TW, NarrowClipped>(a, input, row.Weights + c0, c0, channels, output, row.Rows, iLo, iHi);
                    else
                        TileGroup<TV, TS, TAct, TW, SingleClipped>(a, input, row.Weights + c0, c0, channels, output, row.Rows, iLo, iHi);
                }
            }
        }
    }

    /// <summary>One tile over the channels [c0, c0 + channels) of a group: whole registers, then the masked tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileGroup<TV, TS, TAct, TW, TT>(in Args a, float* input, float* weights, int c0, int channels,
        float* output, int rows, int iLo, int iHi)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation where TW : struct, IWindow where TT : struct, ITile
    {
        var main = channels - channels % TS.Count;
        if (main > 0)
            TileBlocks<TV, TS, TAct, FullBlock<TV, TS>, TW, TT>(a, default, input, weights, c0, main, output, rows, iLo, iHi);
        if (main < channels)
            TileBlocks<TV, TS, TAct, TailBlock<TV, TS>, TW, TT>(a, new(channels - main), input + main, weights + main, c0 + main,
                TS.Count, output + main, rows, iLo, iHi);
    }

    /// <summary>
    /// The tile for the channel blocks in [c0, c0 + channels), a multiple of the register width. Not inlined: each
    /// instantiation is a root method of its own, so the JIT's inlining budget covers the whole unrolled tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TileBlocks<TV, TS, TAct, TB, TW, TT>(in Args a, TB block, float* input, float* weights, int c0, int channels,
        float* output, int rows, int iLo, int iHi)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation where TB : struct, IChannelBlock<TV>
        where TW : struct, IWindow where TT : struct, ITile
    {
        for (var c = 0; c < channels; c += TS.Count)
            TileBlock<TV, TS, TAct, TB, TW, TT>(a, block, input + c, weights + c, c0 + c, output + c, rows, iLo, iHi);
    }

    /// <summary>
    /// <c>TT.Pixels</c> adjacent output pixels of one channel block for a KW ∈ {3, 5}, stride ∈ {1, 2} window.
    /// <para>
    /// Register blocking: per tap row the KW weight registers are loaded once, then the input columns the tile
    /// touches, (Pixels − 1)·Stride + KW of them, are each loaded once and multiplied into every accumulator whose
    /// window contains them. For 3×3 stride 1 and 8 pixels that is 13 loads for 24 FMAs, against 32 loads when each
    /// tap is loaded per pixel, and eight independent accumulator chains cover the FMA latency. Everything below
    /// <see cref="Column"/> is unrolled by the JIT: the loops are over JIT-time constants, and taps outside the
    /// window fold away.
    /// </para>
    /// <para>
    /// <c>input</c> points at the first valid tap row, column ix0 = ox·Stride − PadLeft (possibly negative for a clipped
    /// tile: columns i with ix0 + i outside [0, W), i.e. outside [<paramref name="iLo"/>, <paramref name="iHi"/>), are skipped).
    /// </para>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileBlock<TV, TS, TAct, TB, TW, TT>(in Args a, TB block, float* input, float* weights, int c,
        float* output, int rows, int iLo, int iHi)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation where TB : struct, IChannelBlock<TV>
        where TW : struct, IWindow where TT : struct, ITile
    {
        nint pixel = a.InPixel, inRow = a.InRow, tap = a.Tap, weightRow = a.WeightRow;
        var b = a.Bias == null ? TS.Zero : block.Load(a.Bias + c);
        var acc = new Accumulators<TV>(b);
        for (var r = 0; r < rows; r++)
        {
            var w0 = TS.Load(weights);
            var w1 = TS.Load(weights + tap);
            var w2 = TS.Load(weights + 2 * tap);
            var w3 = TW.KW > 3 ? TS.Load(weights + 3 * tap) : TS.Zero;
            var w4 = TW.KW > 4 ? TS.Load(weights + 4 * tap) : TS.Zero;
            acc = Column<TV, TS, TB, TW, TT>(0, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(1, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(2, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(3, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(4, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(5, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(6, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(7, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(8, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(9, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(10, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(11, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(12, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(13, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(14, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(15, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            acc = Column<TV, TS, TB, TW, TT>(16, block, input, pixel, iLo, iHi, w0, w1, w2, w3, w4, acc);
            input += inRow;
            weights += weightRow;
        }
        nint o = a.OutPixel;
        block.Store(output, TS.Activate<TAct>(acc.A0));
        if (TT.Pixels == 1) return;
        block.Store(output + o, TS.Activate<TAct>(acc.A1));
        block.Store(output + 2 * o, TS.Activate<TAct>(acc.A2));
        block.Store(output + 3 * o, TS.Activate<TAct>(acc.A3));
        if (TT.Pixels == 4) return;
        block.Store(output + 4 * o, TS.Activate<TAct>(acc.A4));
        block.Store(output + 5 * o, TS.Activate<TAct>(acc.A5));
        block.Store(output + 6 * o, TS.Activate<TAct>(acc.A6));
    }

    /// <summary>
    /// Input column <paramref name="i"/> of the tile (a JIT-time constant after inlining): loads it once and adds it,
    /// times tap kx = i − j·Stride, into accumulator j for every j whose window holds it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Accumulators<TV> Column<TV, TS, TB, TW, TT>(int i, TB block, float* input, nint pixel, int iLo, int iHi,
        TV w0, TV w1, TV w2, TV w3, TV w4, Accumulators<TV> acc)
        where TV : unmanaged where TS : ISimd<TV> where TB : struct, IChannelBlock<TV> where TW : struct, IWindow where TT : struct, ITile
    {
        if (i >= (TT.Pixels - 1) * TW.Stride + TW.KW) return acc;
        if (TT.Clipped && (i < iLo || i >= iHi)) return acc;
        var x = block.Load(input + i * pixel);
        acc.A0 = Tap<TV, TS, TW>(i, x, acc.A0, w0, w1, w2, w3, w4);
        if (TT.Pixels == 1) return acc;
        acc.A1 = Tap<TV, TS, TW>(i - TW.Stride, x, acc.A1, w0, w1, w2, w3, w4);
        acc.A2 = Tap<TV, TS, TW>(i - 2 * TW.Stride, x, acc.A2, w0, w1, w2, w3, w4);
        acc.A3 = Tap<TV, TS, TW>(i - 3 * TW.Stride, x, acc.A3, w0, w1, w2, w3, w4);
        if (TT.Pixels == 4) return acc;
        acc.A4 = Tap<TV, TS, TW>(i - 4 * TW.Stride, x, acc.A4, w0, w1, w2, w3, w4);
        acc.A5 = Tap<TV, TS, TW>(i - 5 * TW.Stride, x, acc.A5, w0, w1, w2, w3, w4);
        acc.A6 = Tap<TV, TS, TW>(i - 6 * TW.Stride, x, acc.A6, w0, w1, w2, w3, w4);
        return acc;
    }

    /// <summary>acc + x·w[kx] when kx is a tap of the window, else acc (folds to one FMA or nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Tap<TV, TS, TW>(int kx, TV x, TV acc, TV w0, TV w1, TV w2, TV w3, TV w4)
        where TV : unmanaged where TS : ISimd<TV> where TW : struct, IWindow => kx switch
    {
        0 => TS.MultiplyAdd(x, w0, acc),
        1 => TS.MultiplyAdd(x, w1, acc),
        2 => TS.MultiplyAdd(x, w2, acc),
        3 when TW.KW > 3 => TS.MultiplyAdd(x, w3, acc),
        4 when TW.KW > 4 => TS.MultiplyAdd(x, w4, acc),
        _ => acc,
    };

    /// <summary>The accumulators of one tile, passed by value so that the JIT keeps them in registers.</summary>
    private struct Accumulators<TV>(TV init) where TV : unmanaged
    {
        public TV A0 = init, A1 = init, A2 = init, A3 = init, A4 = init, A5 = init, A6 = init;
    }
}
