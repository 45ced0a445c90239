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
/// accumulators starting from the panel's zero-point compensation (−za·colsum), then the epilogue straight from the
/// registers. One body serves every path (<c>TD</c>, <see cref="IDot{TV, TA, TW}"/>), row count and register count,
/// specialized by the JIT; every use of row r or register x sits behind a test of the constants, so the unused ones
/// vanish. The kernel ids: <c>i8-gemm-&lt;rows&gt;x&lt;columns&gt;__&lt;isa&gt;</c>, e.g. <c>i8-gemm-6x16__v256vnni</c>,
/// <c>i8-gemm-8x32__v512</c>.
/// <para>
/// A is read 4 bytes at a time (one broadcast per row and group of 4 along K). When K is not a multiple of 4, the last
/// group's 1–3 bytes of each row are read one by one into a zero-filled int: a 4-byte read there could run past the
/// end of the last row of A (the end of an arena region), and the padded weights make the missing bytes irrelevant
/// anyway. That group is a copy of the loop body after the loop: folding it into the loop (row pointers moved onto
/// the ints for the last iteration) made the register allocator store every accumulator to the stack in every
/// iteration.
/// </para>
/// <para>
/// The tile ends by storing its accumulators to the caller's stack (a few stores, forwarded to the epilogue's loads),
/// and the caller runs the epilogue (<see cref="IGemmOutput"/>, <see cref="Requantize"/>): written into the tile, the
/// epilogue took the JIT past its inlining budget for the larger tiles, the leftover calls made the register allocator
/// spill accumulators inside the K loop, and the 8×32 AVX-512 tile ran at a third of its speed. Apart, the epilogue
/// can also be wider than the tile (16 lanes after a VNNI tile of 8-lane registers). Counts are read into locals once
/// for the same reason: read through the type parameters at every use, they become calls when the budget runs out.
/// </para>
/// </summary>
internal static unsafe class Int8GemmTile
{
    // scratch: 8·48 ints of the caller's stack, for the last group's ints and then the accumulators for the epilogue
    // (a stackalloc here would be zeroed on every call).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Run<TD, TV, TA, TW, TR, TX>(nint groups, int tail, byte* a, nint lda, sbyte* w, int* init, int* scratch)
        where TV : unmanaged where TA : unmanaged where TW : unmanaged
        where TD : IDot<TV, TA, TW> where TR : IRowCount where TX : IRegisterCount
    {
        var lanes = TD.Lanes;
        var rc = TR.Count;
        var xc = TX.Count;
        var a0 = a;
        var a1 = a + lda;
        var a2 = a + 2 * lda;
        var a3 = a + 3 * lda;
        var a4 = a + 4 * lda;
        var a5 = a + 5 * lda;
        var a6 = a + 6 * lda;
        var a7 = a + 7 * lda;

        var i0 = TD.LoadInts(init);
        var i1 = xc > 1 ? TD.LoadInts(init + lanes) : default;
        var i2 = xc > 2 ? TD.LoadInts(init + 2 * lanes) : default;
        TV c00 = i0, c01 = i1, c02 = i2, c10 = i0, c11 = i1, c12 = i2, c20 = i0, c21 = i1, c22 = i2, c30 = i0, c31 = i1, c32 = i2;
        TV c40 = i0, c41 = i1, c42 = i2, c50 = i0, c51 = i1, c52 = i2, c60 = i0, c61 = i1, c62 = i2, c70 = i0, c71 = i1, c72 = i2;

        var step = (nint)xc * lanes * 4;
        nint off = 0;
        TW w0, w1 = default, w2 = default;
        TA x;
        for (nint g = 0; g < groups; g++, off += 4, w += step)
        {
            w0 = TD.Load(w);
            if (xc > 1) w1 = TD.Load(w + 4 * lanes);
            if (xc > 2) w2 = TD.Load(w + 8 * lanes);
            x = TD.Broadcast(a0 + off);
            c00 = TD.DotAdd(c00, x, w0);
            if (xc > 1) c01 = TD.DotAdd(c01, x, w1);
            if (xc > 2) c02 = TD.DotAdd(c02, x, w2);
            if (rc > 1)
            {
                x = TD.Broadcast(a1 + off);
                c10 = TD.DotAdd(c10, x, w0);
                if (xc > 1) c11 = TD.DotAdd(c11, x, w1);
                if (xc > 2) c12 = TD.DotAdd(c12, x, w2);
            }
            if (rc > 2)
            {
                x = TD.Broadcast(a2 + off);
                c20 = TD.DotAdd(c20, x, w0);
                if (xc > 1) c21 = TD.DotAdd(c21, x, w1);
                if (xc > 2) c22 = TD.DotAdd(c22, x, w2);
            }
            if (rc > 3)
            {
                x = TD.Broadcast(a3 + off);
                c30 = TD.DotAdd(c30, x, w0);
                if (xc > 1) c31 = TD.DotAdd(c31, x, w1);
                if (xc > 2) c32 = TD.DotAdd(c32, x, w2);
            }
            if (rc > 4)
            {
                x = TD.Broadcast(a4 + off);
                c40 = TD.DotAdd(c40, x, w0);
                if (xc > 1) c41 = TD.DotAdd(c41, x, w1);
                if (xc > 2) c42 = TD.DotAdd(c42, x, w2);
            }
            if (rc > 5)
            {
                x = TD.Broadcast(a5 + off);
                c50 = TD.DotAdd(c50, x, w0);
                if (xc > 1) c51 = TD.DotAdd(c51, x, w1);
                if (xc > 2) c52 = TD.DotAdd(c52, x, w2);
            }
            if (rc > 6)
            {
                x = TD.Broadcast(a6 + off);
                c60 = TD.DotAdd(c60, x, w0);
                if (xc > 1) c61 = TD.DotAdd(c61, x, w1);
                if (xc > 2) c62 = TD.DotAdd(c62, x, w2);
            }
            if (rc > 7)
            {
                x = TD.Broadcast(a7 + off);
                c70 = TD.DotAdd(c70, x, w0);
                if (xc > 1) c71 = TD.DotAdd(c71, x, w1);
                if (xc > 2) c72 = TD.DotAdd(c72, x, w2);
            }
        }
        if (tail != 0)
        {
            // The last, partial group: each row's 1–3 remaining bytes, read one by one into a zero-filled int.
            var slots = (uint*)scratch;
            for (var r = 0; r < rc; r++) slots[r] = Tail(a + r * lda + off, tail);
            w0 = TD.Load(w);
            if (xc > 1) w1 = TD.Load(w + 4 * lanes);
            if (xc > 2) w2 = TD.Load(w + 8 * lanes);
            x = TD.Broadcast(slots[0]);
            c00 = TD.DotAdd(c00, x, w0);
            if (xc > 1) c01 = TD.DotAdd(c01, x, w1);
            if (xc > 2) c02 = TD.DotAdd(c02, x, w2);
            if (rc > 1)
            {
                x = TD.Broadcast(slots[1]);
                c10 = TD.DotAdd(c10, x, w0);
                if (xc > 1) c11 = TD.DotAdd(c11, x, w1);
                if (xc > 2) c12 = TD.DotAdd(c12, x, w2);
            }
            if (rc > 2)
            {
                x = TD.Broadcast(slots[2]);
                c20 = TD.DotAdd(c20, x, w0);
                if (xc > 1) c21 = TD.DotAdd(c21, x, w1);
                if (xc > 2) c22 = TD.DotAdd(c22, x, w2);
            }
            if (rc > 3)
            {
                x = TD.Broadcast(slots[3]);
                c30 = TD.DotAdd(c30, x, w0);
                if (xc > 1) c31 = TD.DotAdd(c31, x, w1);
                if (xc > 2) c32 = TD.DotAdd(c32, x, w2);
            }
            if (rc > 4)
            {
                x = TD.Broadcast(slots[4]);
                c40 = TD.DotAdd(c40, x, w0);
                if (xc > 1) c41 = TD.DotAdd(c41, x, w1);
                if (xc > 2) c42 = TD.DotAdd(c42, x, w2);
            }
            if (rc > 5)
            {
                x = TD.Broadcast(slots[5]);
                c50 = TD.DotAdd(c50, x, w0);
                if (xc > 1) c51 = TD.DotAdd(c51, x, w1);
                if (xc > 2) c52 = TD.DotAdd(c52, x, w2);
            }
            if (rc > 6)
            {
                x = TD.Broadcast(slots[6]);
                c60 = TD.DotAdd(c60, x, w0);
                if (xc > 1) c61 = TD.DotAdd(c61, x, w1);
                if (xc > 2) c62 = TD.DotAdd(c62, x, w2);
            }
            if (rc > 7)
            {
                x = TD.Broadcast(slots[7]);
                c70 = TD.DotAdd(c70, x, w0);
                if (xc > 1) c71 = TD.DotAdd(c71, x, w1);
                if (xc > 2) c72 = TD.DotAdd(c72, x, w2);
            }
        }

        var width = xc * lanes;
        var acc = scratch;
        StoreRow<TD, TV, TA, TW>(acc + 0 * width, lanes, xc, c00, c01, c02);
        if (rc > 1) StoreRow<TD, TV, TA, TW>(acc + 1 * width, lanes, xc, c10, c11, c12);
        if (rc > 2) StoreRow<TD, TV, TA, TW>(acc + 2 * width, lanes, xc, c20, c21, c22);
        if (rc > 3) StoreRow<TD, TV, TA, TW>(acc + 3 * width, lanes, xc, c30, c31, c32);
        if (rc > 4) StoreRow<TD, TV, TA, TW>(acc + 4 * width, lanes, xc, c40, c41, c42);
        if (rc > 5) StoreRow<TD, TV, TA, TW>(acc + 5 * width, lanes, xc, c50, c51, c52);
        if (rc > 6) StoreRow<TD, TV, TA, TW>(acc + 6 * width, lanes, xc, c60, c61, c62);
        if (rc > 7) StoreRow<TD, TV, TA, TW>(acc + 7 * width, lanes, xc, c70, c71, c72);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TD, TV, TA, TW>(int* row, int lanes, int xc, TV x0, TV x1, TV x2)
        where TV : unmanaged where TA : unmanaged where TW : unmanaged where TD : IDot<TV, TA, TW>
    {
        TD.StoreInts(row, x0);
        if (xc > 1) TD.StoreInts(row + lanes, x1);
        if (xc > 2) TD.StoreInts(row + 2 * lanes, x2);
    }

    /// <summary>The first <paramref name="n"/> (1–3) bytes at <paramref name="p"/>, zero-extended, reading nothing beyond.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Tail(byte* p, int n) =>
        n == 1 ? p[0] : n == 2 ? *(ushort*)p : *(ushort*)p | ((uint)p[2] << 16);
}

/// <summary>A boolean as a type (whether a residual is added), so the JIT compiles each case without the other's code.</summary>
internal interface IFlag
{
    static abstract bool Value { get; }
}

internal readonly struct Yes : IFlag { public static bool Value => true; }

internal readonly struct No : IFlag { public static bool Value => false; }
