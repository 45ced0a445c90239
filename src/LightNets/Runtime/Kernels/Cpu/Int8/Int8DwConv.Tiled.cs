using System.Runtime.CompilerServices;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

public static unsafe partial class Int8DwConv
{
    /// <summary>A window width and horizontal stride known to the JIT, so the tile code below unrolls completely.</summary>
    private interface IWindow
    {
        static abstract int KW { get; }
        static abstract int Stride { get; }

        /// <summary>Whether the register-blocked tiles serve this window (else the per-pixel loops).</summary>
        static abstract bool Specialized { get; }
    }

    private readonly struct K3S1 : IWindow { public static int KW => 3; public static int Stride => 1; public static bool Specialized => true; }
    private readonly struct K3S2 : IWindow { public static int KW => 3; public static int Stride => 2; public static bool Specialized => true; }
    private readonly struct K5S1 : IWindow { public static int KW => 5; public static int Stride => 1; public static bool Specialized => true; }
    private readonly struct K5S2 : IWindow { public static int KW => 5; public static int Stride => 2; public static bool Specialized => true; }
    private readonly struct AnyWindow : IWindow { public static int KW => 0; public static int Stride => 0; public static bool Specialized => false; }

    /// <summary>Output pixels per tile, and whether the tile may reach past the left or right edge (then columns are checked).</summary>
    private interface ITile
    {
        static abstract int Pixels { get; }
        static abstract bool Clipped { get; }
    }

    private readonly struct P7 : ITile { public static int Pixels => 7; public static bool Clipped => false; }
    private readonly struct P7Clipped : ITile { public static int Pixels => 7; public static bool Clipped => true; }
    private readonly struct P4Clipped : ITile { public static int Pixels => 4; public static bool Clipped => true; }
    private readonly struct P1Clipped : ITile { public static int Pixels => 1; public static bool Clipped => true; }

    /// <summary>What a tile shares with the rest of its row's channel block.</summary>
    private readonly struct TileArgs<TI, TF>(TI comp, TI za, int rows) where TI : unmanaged where TF : unmanaged
    {
        public readonly TI Comp = comp;
        public readonly TI ZeroPoint = za;
        public readonly int Rows = rows;
    }

    /// <summary>
    /// <c>TT.Pixels</c> adjacent output pixels of one channel block (kernel ids <c>u8-dwconv-3x3s1__v512</c> …). Per tap
    /// row the KW weight registers are loaded once, then each of the (Pixels − 1)·Stride + KW input columns the tile
    /// touches is loaded once and multiplied into every accumulator whose window holds it: for 3×3 stride 1 that is
    /// 9 column loads for 21 products per tap row. The seventeen <see cref="Column"/> calls cover the widest tile (5 wide,
    /// stride 2: 6·2 + 5 columns); the JIT folds the ones past the tile and the taps outside the window (the JIT does not
    /// unroll loops, hence the calls written out). <paramref name="input"/> is the first tap row at input column
    /// ox·Stride − PadLeft, which a clipped tile may place left of the image: its columns outside
    /// [<paramref name="iLo"/>, <paramref name="iHi"/>) read as za.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TQ, TI, TF, TW, TB, TT>(in Args a, TB block, in TileArgs<TI, TF> t, byte* input, int* weights,
        int* accumulators, int iLo, int iHi)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF>
        where TW : struct, IWindow where TB : struct, IByteBlock<TI> where TT : struct, ITile
    {
        var acc = new Accumulators<TI>(t.Comp);
        var pixel = a.InPixel;
        var inRow = a.InRow;
        var tap = a.Tap;
        var weightRow = TW.KW * tap;
        var za = t.ZeroPoint;
        for (var r = 0; r < t.Rows; r++)
        {
            var w0 = TQ.LoadInts(weights);
            var w1 = TQ.LoadInts(weights + tap);
            var w2 = TQ.LoadInts(weights + 2 * tap);
            var w3 = TW.KW > 3 ? TQ.LoadInts(weights + 3 * tap) : w2;
            var w4 = TW.KW > 4 ? TQ.LoadInts(weights + 4 * tap) : w2;
            acc = Column<TQ, TI, TF, TW, TB, TT>(0, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(1, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(2, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(3, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(4, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(5, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(6, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(7, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(8, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(9, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(10, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(11, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(12, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(13, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(14, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(15, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            acc = Column<TQ, TI, TF, TW, TB, TT>(16, block, input, pixel, iLo, iHi, za, w0, w1, w2, w3, w4, acc);
            input += inRow;
            weights += weightRow;
        }
        // The accumulators go to the caller's epilogue through memory: written here, the epilogue took the method past
        // the JIT's inlining budget, and the calls left in place cost more than the whole tile.
        var lanes = TQ.Count;
        TQ.StoreInts(accumulators, acc.A0);
        if (TT.Pixels == 1) return;
        TQ.StoreInts(accumulators + lanes, acc.A1);
        TQ.StoreInts(accumulators + 2 * lanes, acc.A2);
        TQ.StoreInts(accumulators + 3 * lanes, acc.A3);
        if (TT.Pixels == 4) return;
        TQ.StoreInts(accumulators + 4 * lanes, acc.A4);
        TQ.StoreInts(accumulators + 5 * lanes, acc.A5);
        TQ.StoreInts(accumulators + 6 * lanes, acc.A6);
    }

    /// <summary>
    /// Input column <paramref name="i"/> of the tile (a JIT-time constant after inlining): loads it once (za when a
    /// clipped tile's column lies outside the image) and adds it, times tap kx = i − j·Stride, into accumulator j for
    /// every j whose window holds it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Accumulators<TI> Column<TQ, TI, TF, TW, TB, TT>(int i, TB block, byte* input, nint pixel, int iLo, int iHi, TI za,
        TI w0, TI w1, TI w2, TI w3, TI w4, Accumulators<TI> acc)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TW : struct, IWindow where TB : struct, IByteBlock<TI>
        where TT : struct, ITile
    {
        if (i >= (TT.Pixels - 1) * TW.Stride + TW.KW) return acc;
        var x = TT.Clipped && (i < iLo || i >= iHi) ? za : block.Load<TQ, TF>(input + i * pixel);
        acc.A0 = Tap<TQ, TI, TF, TW>(i, x, acc.A0, w0, w1, w2, w3, w4);
        if (TT.Pixels == 1) return acc;
        acc.A1 = Tap<TQ, TI, TF, TW>(i - TW.Stride, x, acc.A1, w0, w1, w2, w3, w4);
        acc.A2 = Tap<TQ, TI, TF, TW>(i - 2 * TW.Stride, x, acc.A2, w0, w1, w2, w3, w4);
        acc.A3 = Tap<TQ, TI, TF, TW>(i - 3 * TW.Stride, x, acc.A3, w0, w1, w2, w3, w4);
        if (TT.Pixels == 4) return acc;
        acc.A4 = Tap<TQ, TI, TF, TW>(i - 4 * TW.Stride, x, acc.A4, w0, w1, w2, w3, w4);
        acc.A5 = Tap<TQ, TI, TF, TW>(i - 5 * TW.Stride, x, acc.A5, w0, w1, w2, w3, w4);
        acc.A6 = Tap<TQ, TI, TF, TW>(i - 6 * TW.Stride, x, acc.A6, w0, w1, w2, w3, w4);
        return acc;
    }

    /// <summary>acc + x·w[kx] when kx is a tap of the window, else acc (folds to one multiply-add or nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TI Tap<TQ, TI, TF, TW>(int kx, TI x, TI acc, TI w0, TI w1, TI w2, TI w3, TI w4)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TW : struct, IWindow
    {
        if ((uint)kx >= (uint)TW.KW) return acc;
        var w = kx switch { 0 => w0, 1 => w1, 2 => w2, 3 => w3, _ => w4 };
        return TQ.Add(acc, TQ.MultiplySmall(x, w));
    }

    /// <summary>
    /// The accumulators of one tile, passed to and returned from <see cref="Column"/> by value: the JIT promotes the
    /// fields to registers, where <c>ref</c> parameters would pin them to the stack (as in the float kernel).
    /// </summary>
    private struct Accumulators<TI>(TI init) where TI : unmanaged
    {
        public TI A0 = init, A1 = init, A2 = init, A3 = init, A4 = init, A5 = init, A6 = init;
    }
}

/// <summary>
/// How a kernel reaches the channels of one register-wide block of bytes: all lanes (<see cref="FullBlock{TI}"/>)
/// or only the first C mod Count (<see cref="TailBlock{TI}"/>, neither reading nor writing beyond them).
/// </summary>
internal unsafe interface IByteBlock<TI> where TI : unmanaged
{
    TI Load<TQ, TF>(byte* p) where TF : unmanaged where TQ : IQuantSimd<TI, TF>;

    void Store<TQ, TF>(byte* p, TI v) where TF : unmanaged where TQ : IQuantSimd<TI, TF>;

    TF LoadFloats<TQ, TF>(float* p) where TF : unmanaged where TQ : IQuantSimd<TI, TF>;
}

internal readonly unsafe struct FullBlock<TI> : IByteBlock<TI> where TI : unmanaged
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TI Load<TQ, TF>(byte* p) where TF : unmanaged where TQ : IQuantSimd<TI, TF> => TQ.LoadBytes(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store<TQ, TF>(byte* p, TI v) where TF : unmanaged where TQ : IQuantSimd<TI, TF> => TQ.StoreBytes(p, v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TF LoadFloats<TQ, TF>(float* p) where TF : unmanaged where TQ : IQuantSimd<TI, TF> => TQ.Load(p);
}

internal readonly unsafe struct TailBlock<TI>(int lanes) : IByteBlock<TI> where TI : unmanaged
{
    private readonly int _lanes = lanes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TI Load<TQ, TF>(byte* p) where TF : unmanaged where TQ : IQuantSimd<TI, TF> => TQ.LoadBytesPartial(p, _lanes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store<TQ, TF>(byte* p, TI v) where TF : unmanaged where TQ : IQuantSimd<TI, TF> => TQ.StoreBytesPartial(p, v, _lanes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TF LoadFloats<TQ, TF>(float* p) where TF : unmanaged where TQ : IQuantSimd<TI, TF> => TQ.LoadPartial(p, _lanes);
}
