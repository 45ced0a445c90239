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
    /// A window 3 or 5 columns wide at horizontal stride 1 or 2 (every depthwise layer of MobileNetV2/V3 and the
    /// ShuffleNets), with register-blocked tiles of 7 output pixels.
    /// <para>
    /// Why 7: every spatial size of these networks at 224×224 input is a multiple of 7 (112, 56, 28, 14, 7), so rows
    /// split into whole tiles, and 7 independent accumulator chains per channel block cover the FMA latency. Rows not
    /// a multiple of the tile width end with a tile moved back to finish exactly at OW, recomputing a few pixels rather
    /// than needing more tile widths; rows narrower than 7 use tiles of 4, and rows narrower than 4 single pixels.
    /// Tiles that reach into the left or right padding run a variant that checks each input column against the
    /// image; interior tiles run without checks.
    /// </para>
    /// <para>
    /// Loop order: output row, channel group (<see cref="GroupChannels"/>), tile, channel block. A tile reads its input
    /// pixels and writes its output pixels whole, so memory is walked in address order, which is what the hardware
    /// prefetchers need on the large layers. (A narrow channel group swept down the whole image keeps the shared input
    /// rows in L1, but strides through memory; it measured 10–25 % slower on the 56×56 and 112×112 layers here.)
    /// </para>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TiledRows<TV, TS, TAct, TW>(in Args a)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation where TW : struct, IWindow
    {
        var s = a.S;
        var group = GroupChannels(s.KH * s.KW, TS.Count);
        var pixels = s.OW >= Wide.Pixels ? Wide.Pixels : s.OW >= NarrowClipped.Pixels ? NarrowClipped.Pixels : 1;
        var columns = (pixels - 1) * TW.Stride + TW.KW;
        for (var oy = a.RowStart; oy < a.RowEnd; oy++)
        {
            var row = TapRows(a, oy);
            for (var c0 = 0; c0 < s.C; c0 += group)
            {
                var channels = Math.Min(group, s.C - c0);
                var weights = row.Weights + c0;
                for (var ox = 0; ox < s.OW; ox += pixels)
                {
                    var start = Math.Min(ox, s.OW - pixels);
                    // Tile column i reads input column ix0 + i, which exists for i in [iLo, iHi).
                    var ix0 = start * TW.Stride - s.PadLeft;
                    int iLo = Math.Max(0, -ix0), iHi = s.W - ix0;
                    var input = row.Input + ix0 * a.InPixel + c0;
                    var output = row.Output + start * a.OutPixel + c0;
                    var clipped = iLo > 0 || iHi < columns;
                    if (pixels == Wide.Pixels && !clipped)
                        TileGroup<TV, TS, TAct, TW, Wide>(a, input, weights, c0, channels, output, row.Rows, iLo, iHi);
                    else if (pixels == Wide.Pixels)
                        TileGroup<TV, TS, TAct, TW, WideClipped>(a, input, weights, c0, channels, output, row.Rows, iLo, iHi);
                    else if (pixels == NarrowClipped.Pixels)
                        TileGroup<TV, TS, TAct, TW, NarrowClipped>(a, input, weights, c0, channels, output, row.Rows, iLo, iHi);
                    else
                        TileGroup<TV, TS, TAct, TW, SingleClipped>(a, input, weights, c0, channels, output, row.Rows, iLo, iHi);
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
    /// <c>TT.Pixels</c> adjacent output pixels of the channel block at <paramref name="c"/>.
    /// <para>
    /// Register blocking: per tap row the KW weight registers are loaded once; then each of the
    /// (Pixels − 1)·Stride + KW input columns the tile touches is loaded once and multiplied into every accumulator
    /// whose window holds it. For 3×3 stride 1 that is 3 + 9 loads for 21 FMAs per tap row, against 21 + 3 when every
    /// tap is loaded per pixel. The seventeen <see cref="Column"/> calls cover the widest tile (5 wide, stride 2:
    /// 6·2 + 5 columns); the JIT folds the calls past the tile's last column, the taps outside the window, and the
    /// accumulators past <c>TT.Pixels</c>, so each instantiation is straight-line code. (They are written out because
    /// the JIT does not unroll loops.)
    /// </para>
    /// <para>
    /// <paramref name="input"/> is the first valid tap row at input column ix0 = ox·Stride − PadLeft, which a clipped
    /// tile may place left of the image; its columns outside [<paramref name="iLo"/>, <paramref name="iHi"/>) are
    /// padding and are skipped. <paramref name="weights"/> is the packed weight row of that tap row.
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

    /// <summary>
    /// The accumulators of one tile. Passed to and returned from <see cref="Column"/> by value: the JIT promotes the
    /// fields to registers, where <c>ref</c> parameters would have pinned seven vectors to the stack.
    /// </summary>
    private struct Accumulators<TV>(TV init) where TV : unmanaged
    {
        public TV A0 = init, A1 = init, A2 = init, A3 = init, A4 = init, A5 = init, A6 = init;
    }
}
