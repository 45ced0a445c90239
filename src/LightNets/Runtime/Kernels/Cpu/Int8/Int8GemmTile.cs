using System.Runtime.CompilerServices;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>A micro-kernel's row count as a type, so that each count compiles to its own loop without the unused rows.</summary>
internal interface IRowCount
{
    static abstract int Count { get; }
}

internal readonly struct R1 : IRowCount { public static int Count => 1; }
internal readonly struct R2 : IRowCount { public static int Count => 2; }
internal readonly struct R3 : IRowCount { public static int Count => 3; }
internal readonly struct R4 : IRowCount { public static int Count => 4; }
internal readonly struct R5 : IRowCount { public static int Count => 5; }
internal readonly struct R6 : IRowCount { public static int Count => 6; }
internal readonly struct R7 : IRowCount { public static int Count => 7; }
internal readonly struct R8 : IRowCount { public static int Count => 8; }

/// <summary>Registers per row (the panel width in registers) as a type, 1 to 3.</summary>
internal interface IRegisterCount
{
    static abstract int Count { get; }
}

internal readonly struct X1 : IRegisterCount { public static int Count => 1; }
internal readonly struct X2 : IRegisterCount { public static int Count => 2; }
internal readonly struct X3 : IRegisterCount { public static int Count => 3; }

/// <summary>
/// The int8 GEMM micro-kernel: up to 8 rows of A times one packed panel of up to 3 registers of columns, exact int32
/// accumulators starting from the panel's zero-point compensation (−za·colsum), written to a small buffer for the
/// epilogue. One body serves every path (<c>TD</c>, <see cref="IDot{TV, TA, TW}"/>), row count and
/// register count, specialized by the JIT; every use of row r or register x sits behind a test of the constants, so
/// the unused ones vanish. The kernel ids: <c>i8-gemm-&lt;rows&gt;x&lt;columns&gt;__&lt;isa&gt;</c>, e.g.
/// <c>i8-gemm-6x16__v256vnni</c>, <c>i8-gemm-8x32__v512</c>.
/// <para>
/// A is read 4 bytes at a time (one broadcast per row and group of 4 along K). When K is not a multiple of 4, the last
/// group's 1–3 bytes are read one by one into a zero-filled int: a 4-byte read there could run past the end of the
/// last row of A (the end of an arena region), and the padded weights make the missing bytes irrelevant anyway.
/// </para>
/// <para>
/// The accumulators go through memory to the epilogue (<see cref="Int8Gemm"/>): a handful of stores and forwarded
/// loads per tile, next to the K/4 dot steps per register, and it keeps one epilogue for every path.
/// </para>
/// </summary>
internal static unsafe class Int8GemmTile
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Run<TD, TV, TA, TW, TR, TX>(nint groups, int tail, byte* a, nint lda, sbyte* w, int* init, int* acc)
        where TV : unmanaged where TA : unmanaged where TW : unmanaged
        where TD : IDot<TV, TA, TW> where TR : IRowCount where TX : IRegisterCount
    {
        var lanes = TD.Lanes;
        var a0 = a;
        var a1 = a + lda;
        var a2 = a + 2 * lda;
        var a3 = a + 3 * lda;
        var a4 = a + 4 * lda;
        var a5 = a + 5 * lda;
        var a6 = a + 6 * lda;
        var a7 = a + 7 * lda;

        var i0 = TD.LoadInts(init);
        var i1 = TX.Count > 1 ? TD.LoadInts(init + lanes) : default;
        var i2 = TX.Count > 2 ? TD.LoadInts(init + 2 * lanes) : default;
        TV c00 = i0, c01 = i1, c02 = i2, c10 = i0, c11 = i1, c12 = i2, c20 = i0, c21 = i1, c22 = i2, c30 = i0, c31 = i1, c32 = i2;
        TV c40 = i0, c41 = i1, c42 = i2, c50 = i0, c51 = i1, c52 = i2, c60 = i0, c61 = i1, c62 = i2, c70 = i0, c71 = i1, c72 = i2;

        var step = (nint)TX.Count * lanes * 4;
        nint off = 0;
        TW w0, w1 = default, w2 = default;
        TA x;
        for (nint g = 0; g < groups; g++, off += 4, w += step)
        {
            w0 = TD.Load(w);
            if (TX.Count > 1) w1 = TD.Load(w + 4 * lanes);
            if (TX.Count > 2) w2 = TD.Load(w + 8 * lanes);
            x = TD.Broadcast(a0 + off);
            c00 = TD.DotAdd(c00, x, w0);
            if (TX.Count > 1) c01 = TD.DotAdd(c01, x, w1);
            if (TX.Count > 2) c02 = TD.DotAdd(c02, x, w2);
            if (TR.Count > 1)
            {
                x = TD.Broadcast(a1 + off);
                c10 = TD.DotAdd(c10, x, w0);
                if (TX.Count > 1) c11 = TD.DotAdd(c11, x, w1);
                if (TX.Count > 2) c12 = TD.DotAdd(c12, x, w2);
            }
            if (TR.Count > 2)
            {
                x = TD.Broadcast(a2 + off);
                c20 = TD.DotAdd(c20, x, w0);
                if (TX.Count > 1) c21 = TD.DotAdd(c21, x, w1);
                if (TX.Count > 2) c22 = TD.DotAdd(c22, x, w2);
            }
            if (TR.Count > 3)
            {
                x = TD.Broadcast(a3 + off);
                c30 = TD.DotAdd(c30, x, w0);
                if (TX.Count > 1) c31 = TD.DotAdd(c31, x, w1);
                if (TX.Count > 2) c32 = TD.DotAdd(c32, x, w2);
            }
            if (TR.Count > 4)
            {
                x = TD.Broadcast(a4 + off);
                c40 = TD.DotAdd(c40, x, w0);
                if (TX.Count > 1) c41 = TD.DotAdd(c41, x, w1);
                if (TX.Count > 2) c42 = TD.DotAdd(c42, x, w2);
            }
            if (TR.Count > 5)
            {
                x = TD.Broadcast(a5 + off);
                c50 = TD.DotAdd(c50, x, w0);
                if (TX.Count > 1) c51 = TD.DotAdd(c51, x, w1);
                if (TX.Count > 2) c52 = TD.DotAdd(c52, x, w2);
            }
            if (TR.Count > 6)
            {
                x = TD.Broadcast(a6 + off);
                c60 = TD.DotAdd(c60, x, w0);
                if (TX.Count > 1) c61 = TD.DotAdd(c61, x, w1);
                if (TX.Count > 2) c62 = TD.DotAdd(c62, x, w2);
            }
            if (TR.Count > 7)
            {
                x = TD.Broadcast(a7 + off);
                c70 = TD.DotAdd(c70, x, w0);
                if (TX.Count > 1) c71 = TD.DotAdd(c71, x, w1);
                if (TX.Count > 2) c72 = TD.DotAdd(c72, x, w2);
            }
        }
        if (tail != 0)
        {
            // The last, partial group of K: its 1–3 bytes read one at a time.
            w0 = TD.Load(w);
            if (TX.Count > 1) w1 = TD.Load(w + 4 * lanes);
            if (TX.Count > 2) w2 = TD.Load(w + 8 * lanes);
            x = TD.Broadcast(Tail(a0 + off, tail));
            c00 = TD.DotAdd(c00, x, w0);
            if (TX.Count > 1) c01 = TD.DotAdd(c01, x, w1);
            if (TX.Count > 2) c02 = TD.DotAdd(c02, x, w2);
            if (TR.Count > 1)
            {
                x = TD.Broadcast(Tail(a1 + off, tail));
                c10 = TD.DotAdd(c10, x, w0);
                if (TX.Count > 1) c11 = TD.DotAdd(c11, x, w1);
                if (TX.Count > 2) c12 = TD.DotAdd(c12, x, w2);
            }
            if (TR.Count > 2)
            {
                x = TD.Broadcast(Tail(a2 + off, tail));
                c20 = TD.DotAdd(c20, x, w0);
                if (TX.Count > 1) c21 = TD.DotAdd(c21, x, w1);
                if (TX.Count > 2) c22 = TD.DotAdd(c22, x, w2);
            }
            if (TR.Count > 3)
            {
                x = TD.Broadcast(Tail(a3 + off, tail));
                c30 = TD.DotAdd(c30, x, w0);
                if (TX.Count > 1) c31 = TD.DotAdd(c31, x, w1);
                if (TX.Count > 2) c32 = TD.DotAdd(c32, x, w2);
            }
            if (TR.Count > 4)
            {
                x = TD.Broadcast(Tail(a4 + off, tail));
                c40 = TD.DotAdd(c40, x, w0);
                if (TX.Count > 1) c41 = TD.DotAdd(c41, x, w1);
                if (TX.Count > 2) c42 = TD.DotAdd(c42, x, w2);
            }
            if (TR.Count > 5)
            {
                x = TD.Broadcast(Tail(a5 + off, tail));
                c50 = TD.DotAdd(c50, x, w0);
                if (TX.Count > 1) c51 = TD.DotAdd(c51, x, w1);
                if (TX.Count > 2) c52 = TD.DotAdd(c52, x, w2);
            }
            if (TR.Count > 6)
            {
                x = TD.Broadcast(Tail(a6 + off, tail));
                c60 = TD.DotAdd(c60, x, w0);
                if (TX.Count > 1) c61 = TD.DotAdd(c61, x, w1);
                if (TX.Count > 2) c62 = TD.DotAdd(c62, x, w2);
            }
            if (TR.Count > 7)
            {
                x = TD.Broadcast(Tail(a7 + off, tail));
                c70 = TD.DotAdd(c70, x, w0);
                if (TX.Count > 1) c71 = TD.DotAdd(c71, x, w1);
                if (TX.Count > 2) c72 = TD.DotAdd(c72, x, w2);
            }
        }

        var width = TX.Count * lanes;
        StoreRow<TD, TV, TA, TW, TX>(acc, lanes, c00, c01, c02);
        if (TR.Count > 1) StoreRow<TD, TV, TA, TW, TX>(acc + width, lanes, c10, c11, c12);
        if (TR.Count > 2) StoreRow<TD, TV, TA, TW, TX>(acc + 2 * width, lanes, c20, c21, c22);
        if (TR.Count > 3) StoreRow<TD, TV, TA, TW, TX>(acc + 3 * width, lanes, c30, c31, c32);
        if (TR.Count > 4) StoreRow<TD, TV, TA, TW, TX>(acc + 4 * width, lanes, c40, c41, c42);
        if (TR.Count > 5) StoreRow<TD, TV, TA, TW, TX>(acc + 5 * width, lanes, c50, c51, c52);
        if (TR.Count > 6) StoreRow<TD, TV, TA, TW, TX>(acc + 6 * width, lanes, c60, c61, c62);
        if (TR.Count > 7) StoreRow<TD, TV, TA, TW, TX>(acc + 7 * width, lanes, c70, c71, c72);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TD, TV, TA, TW, TX>(int* row, int lanes, TV x0, TV x1, TV x2)
        where TV : unmanaged where TA : unmanaged where TW : unmanaged where TD : IDot<TV, TA, TW> where TX : IRegisterCount
    {
        TD.StoreInts(row, x0);
        if (TX.Count > 1) TD.StoreInts(row + lanes, x1);
        if (TX.Count > 2) TD.StoreInts(row + 2 * lanes, x2);
    }

    /// <summary>The first <paramref name="n"/> (1–3) bytes at <paramref name="p"/>, zero-extended, reading nothing beyond.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Tail(byte* p, int n) =>
        n == 1 ? p[0] : n == 2 ? *(ushort*)p : *(ushort*)p | ((uint)p[2] << 16);
}
