using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LightNets.Runtime.Kernels.Cpu.Gemm;

/// <summary>
/// One row of a GEMM tile's accumulators, and equally one k-row of a packed B panel: a panel width of floats held in one
/// or two vector registers. <see cref="GemmTile"/> is written once over this type; value-type generics make the JIT
/// compile it once per implementation, with every member below inlined and the fields of every row kept in registers.
/// </summary>
internal unsafe interface ITileRow<TSelf> where TSelf : struct, ITileRow<TSelf>
{
    /// <summary>Columns: the width of the packed panel this row type computes.</summary>
    static abstract int Width { get; }

    static abstract TSelf Zero { get; }

    static abstract TSelf Load(float* p);

    /// <summary>
    /// acc += a·b, <paramref name="a"/> broadcast to every column: one FMA per register. It updates
    /// <paramref name="acc"/> in place rather than returning a new row so that, once inlined, each FMA writes the
    /// accumulator it reads (a returned row made the JIT write the broadcast register and copy it back).
    /// </summary>
    static abstract void MultiplyAdd(float a, float* b, ref TSelf acc);

    static abstract TSelf Add(TSelf x, TSelf y);

    static abstract TSelf Activate<TAct>(TSelf x) where TAct : IActivation;

    /// <summary>All <see cref="Width"/> columns.</summary>
    static abstract void Store(float* dst, TSelf x);

    /// <summary>
    /// act(acc + residual) into the first <paramref name="columns"/> (1 to <see cref="Width"/> − 1) floats at
    /// <paramref name="dst"/> (the last panel of an N it does not fill), no residual when it is null; the memory of the
    /// other columns is not accessed.
    /// </summary>
    static abstract void StorePartial<TAct>(float* dst, float* residual, int columns, TSelf acc) where TAct : IActivation;
}

/// <summary>One register per row: 16 columns with <see cref="Simd512"/>, 8 with <see cref="Simd256"/>.</summary>
internal unsafe struct OneRegister<TV, TS>(TV v) : ITileRow<OneRegister<TV, TS>>
    where TV : unmanaged where TS : ISimd<TV>
{
    private TV _v = v;

    public static int Width => TS.Count;

    public static OneRegister<TV, TS> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(TS.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static OneRegister<TV, TS> Load(float* p) => new(TS.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd(float a, float* b, ref OneRegister<TV, TS> acc) =>
        acc._v = TS.MultiplyAdd(TS.Broadcast(a), TS.Load(b), acc._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static OneRegister<TV, TS> Add(OneRegister<TV, TS> x, OneRegister<TV, TS> y) => new(TS.Add(x._v, y._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static OneRegister<TV, TS> Activate<TAct>(OneRegister<TV, TS> x) where TAct : IActivation => new(TS.Activate<TAct>(x._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* dst, OneRegister<TV, TS> x) => TS.Store(dst, x._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial<TAct>(float* dst, float* residual, int columns, OneRegister<TV, TS> acc) where TAct : IActivation =>
        TileStore.Partial<TV, TS, TAct>(dst, residual, columns, acc._v);
}

/// <summary>Two registers of one width per row: 32 columns with <see cref="Simd512"/>, 16 with <see cref="Simd256"/>.</summary>
internal unsafe struct TwoRegisters<TV, TS>(TV low, TV high) : ITileRow<TwoRegisters<TV, TS>>
    where TV : unmanaged where TS : ISimd<TV>
{
    private TV _low = low;
    private TV _high = high;

    public static int Width => 2 * TS.Count;

    public static TwoRegisters<TV, TS> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(TS.Zero, TS.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TwoRegisters<TV, TS> Load(float* p) => new(TS.Load(p), TS.Load(p + TS.Count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd(float a, float* b, ref TwoRegisters<TV, TS> acc)
    {
        var x = TS.Broadcast(a);
        acc._low = TS.MultiplyAdd(x, TS.Load(b), acc._low);
        acc._high = TS.MultiplyAdd(x, TS.Load(b + TS.Count), acc._high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TwoRegisters<TV, TS> Add(TwoRegisters<TV, TS> x, TwoRegisters<TV, TS> y) =>
        new(TS.Add(x._low, y._low), TS.Add(x._high, y._high));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TwoRegisters<TV, TS> Activate<TAct>(TwoRegisters<TV, TS> x) where TAct : IActivation =>
        new(TS.Activate<TAct>(x._low), TS.Activate<TAct>(x._high));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* dst, TwoRegisters<TV, TS> x)
    {
        TS.Store(dst, x._low);
        TS.Store(dst + TS.Count, x._high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial<TAct>(float* dst, float* residual, int columns, TwoRegisters<TV, TS> acc) where TAct : IActivation
    {
        TileStore.Partial<TV, TS, TAct>(dst, residual, columns, acc._low);
        TileStore.Partial<TV, TS, TAct>(dst + TS.Count, residual == null ? null : residual + TS.Count, columns - TS.Count, acc._high);
    }
}

/// <summary>
/// Four registers of one width per row: the 128-bit tier's 16-column panel (the packing of the 256-bit tier), so that
/// each broadcast of A feeds four FMAs. Six rows take 24 accumulators, four panel registers and a broadcast: 29 of the
/// 32 vector registers of ARM64 (and of x86 with AVX-512VL).
/// </summary>
internal unsafe struct FourRegisters<TV, TS>(TV r0, TV r1, TV r2, TV r3) : ITileRow<FourRegisters<TV, TS>>
    where TV : unmanaged where TS : ISimd<TV>
{
    private TV _r0 = r0;
    private TV _r1 = r1;
    private TV _r2 = r2;
    private TV _r3 = r3;

    public static int Width => 4 * TS.Count;

    public static FourRegisters<TV, TS> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(TS.Zero, TS.Zero, TS.Zero, TS.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FourRegisters<TV, TS> Load(float* p) =>
        new(TS.Load(p), TS.Load(p + TS.Count), TS.Load(p + 2 * TS.Count), TS.Load(p + 3 * TS.Count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd(float a, float* b, ref FourRegisters<TV, TS> acc)
    {
        var x = TS.Broadcast(a);
        acc._r0 = TS.MultiplyAdd(x, TS.Load(b), acc._r0);
        acc._r1 = TS.MultiplyAdd(x, TS.Load(b + TS.Count), acc._r1);
        acc._r2 = TS.MultiplyAdd(x, TS.Load(b + 2 * TS.Count), acc._r2);
        acc._r3 = TS.MultiplyAdd(x, TS.Load(b + 3 * TS.Count), acc._r3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FourRegisters<TV, TS> Add(FourRegisters<TV, TS> x, FourRegisters<TV, TS> y) =>
        new(TS.Add(x._r0, y._r0), TS.Add(x._r1, y._r1), TS.Add(x._r2, y._r2), TS.Add(x._r3, y._r3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FourRegisters<TV, TS> Activate<TAct>(FourRegisters<TV, TS> x) where TAct : IActivation =>
        new(TS.Activate<TAct>(x._r0), TS.Activate<TAct>(x._r1), TS.Activate<TAct>(x._r2), TS.Activate<TAct>(x._r3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* dst, FourRegisters<TV, TS> x)
    {
        TS.Store(dst, x._r0);
        TS.Store(dst + TS.Count, x._r1);
        TS.Store(dst + 2 * TS.Count, x._r2);
        TS.Store(dst + 3 * TS.Count, x._r3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial<TAct>(float* dst, float* residual, int columns, FourRegisters<TV, TS> acc) where TAct : IActivation
    {
        TileStore.Partial<TV, TS, TAct>(dst, residual, columns, acc._r0);
        TileStore.Partial<TV, TS, TAct>(dst + TS.Count, residual == null ? null : residual + TS.Count, columns - TS.Count, acc._r1);
        TileStore.Partial<TV, TS, TAct>(dst + 2 * TS.Count, residual == null ? null : residual + 2 * TS.Count, columns - 2 * TS.Count, acc._r2);
        TileStore.Partial<TV, TS, TAct>(dst + 3 * TS.Count, residual == null ? null : residual + 3 * TS.Count, columns - 3 * TS.Count, acc._r3);
    }
}

/// <summary>
/// A 16-lane and an 8-lane register per row: the AVX-512 tier's 24-column last panel, so that N = 24, 40, 72, 88, 120…
/// computes no padding column. Its own type rather than a pair of two register types because the 8-lane FMA reuses the
/// low half of the 16-lane broadcast instead of broadcasting A's element a second time.
/// </summary>
internal unsafe struct WideNarrow(Vector512<float> wide, Vector256<float> narrow) : ITileRow<WideNarrow>
{
    private Vector512<float> _wide = wide;
    private Vector256<float> _narrow = narrow;

    public static int Width => 24;

    public static WideNarrow Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Vector512<float>.Zero, Vector256<float>.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WideNarrow Load(float* p) => new(Simd512.Load(p), Simd256.Load(p + 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd(float a, float* b, ref WideNarrow acc)
    {
        var x = Simd512.Broadcast(a);
        acc._wide = Simd512.MultiplyAdd(x, Simd512.Load(b), acc._wide);
        acc._narrow = Simd256.MultiplyAdd(x.GetLower(), Simd256.Load(b + 16), acc._narrow);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WideNarrow Add(WideNarrow x, WideNarrow y) => new(Simd512.Add(x._wide, y._wide), Simd256.Add(x._narrow, y._narrow));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WideNarrow Activate<TAct>(WideNarrow x) where TAct : IActivation =>
        new(Simd512.Activate<TAct>(x._wide), Simd256.Activate<TAct>(x._narrow));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* dst, WideNarrow x)
    {
        Simd512.Store(dst, x._wide);
        Simd256.Store(dst + 16, x._narrow);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial<TAct>(float* dst, float* residual, int columns, WideNarrow acc) where TAct : IActivation
    {
        TileStore.Partial<Vector512<float>, Simd512, TAct>(dst, residual, columns, acc._wide);
        TileStore.Partial<Vector256<float>, Simd256, TAct>(dst + 16, residual == null ? null : residual + 16, columns - 16, acc._narrow);
    }
}

/// <summary>The epilogue of one accumulator register of a row that the last panel's columns do not fill.</summary>
internal static unsafe class TileStore
{
    /// <summary>
    /// act(v + residual) into the first <paramref name="count"/> lanes at <paramref name="dst"/>: all of them from
    /// Count on, masked below it, none from 0 down (the second register of a row whose valid columns end in the first).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Partial<TV, TS, TAct>(float* dst, float* residual, int count, TV v)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation
    {
        if (count >= TS.Count)
        {
            if (residual != null) v = TS.Add(v, TS.Load(residual));
            TS.Store(dst, TS.Activate<TAct>(v));
        }
        else if (count > 0)
        {
            // The mask straight from ISimd, not through TailBlock: one inlining level less, in a method whose inlining
            // budget is nearly spent (over it, a call here made the JIT spill accumulators inside the K loop).
            var mask = TS.MaskFor(count);
            if (residual != null) v = TS.Add(v, TS.LoadMasked(residual, mask));
            TS.StoreMasked(dst, mask, TS.Activate<TAct>(v));
        }
    }
}
