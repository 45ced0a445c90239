using System.Runtime.CompilerServices;

namespace LightNets.Runtime.Kernels.Cpu.Gemm;

/// <summary>
/// The vector GEMM micro-kernels: up to 8 rows of A times one packed panel of B, accumulators initialized with the bias,
/// residual and activation applied on the way out. One body serves every panel width of both vector tiers through its
/// row type <c>TP</c> (<see cref="ITileRow{TSelf}"/>), and every row count through <c>TR</c> (<see cref="IRows"/>), so
/// that the JIT drops the unused rows' broadcasts and FMAs: a GEMM of 49 rows (a 7×7 feature map) runs as seven 7-row
/// tiles, not six 8-row tiles and a latency-bound single row. The kernel ids:
/// <list type="bullet">
/// <item>f32-gemm-8x32__v512: two 16-lane registers a row, 16 accumulators + 2 panel registers + 1 broadcast of 32;</item>
/// <item>f32-gemm-8x24__v512 (<see cref="WideNarrow"/>), 8x16__v512 and 8x8__v512: the last panel when N is not a multiple of 32;</item>
/// <item>f32-gemm-6x16__v256 and 6x8__v256: 12 accumulators + 2 + 1 of AVX2's 16 registers;</item>
/// <item>f32-gemm-6x16__v128 (<see cref="FourRegisters{TV, TS}"/>) and 6x8__v128: 24 accumulators + 4 + 1 of ARM64's
/// 32 registers (3 rows where there are only 16);</item>
/// <item>f32-gemv-1xW__&lt;isa&gt;: a single row, with K unrolled into four accumulators (<see cref="SingleRow"/>).</item>
/// </list>
/// The tiles are never inlined: dynamic PGO inlining them into their caller's loop doubled their time.
/// </summary>
internal static unsafe class GemmTile
{
    /// <summary>
    /// <paramref name="rows"/> (1 to 8; at most 6 for the V256 and V128 row types) of A, from <paramref name="a"/> (row r at
    /// a + r·lda, read through <paramref name="kIndex"/> unless it is null), times the panel at <paramref name="b"/> (K rows
    /// of its width) plus its <paramref name="bias"/>, into <paramref name="o"/>. The operands the K loop starts from are
    /// arguments, passed in registers: read from a struct the caller has just written, they made every tile wait for
    /// the store to forward (1–4% on short-K GEMMs); <paramref name="rows"/> comes last, as it only picks a branch.
    /// </summary>
    public static void Run<TAct, TK, TP>(int k, float* a, nint lda, int* kIndex, float* b, float* bias, in TileOutput o, int rows)
        where TAct : struct, IActivation where TK : struct, IKIndex where TP : struct, ITileRow<TP>
    {
        switch (rows)
        {
            case 8: Rows<TAct, TK, TP, Rows8>(k, a, lda, kIndex, b, bias, o); break;
            case 7: Rows<TAct, TK, TP, Rows7>(k, a, lda, kIndex, b, bias, o); break;
            case 6: Rows<TAct, TK, TP, Rows6>(k, a, lda, kIndex, b, bias, o); break;
            case 5: Rows<TAct, TK, TP, Rows5>(k, a, lda, kIndex, b, bias, o); break;
            case 4: Rows<TAct, TK, TP, Rows4>(k, a, lda, kIndex, b, bias, o); break;
            case 3: Rows<TAct, TK, TP, Rows3>(k, a, lda, kIndex, b, bias, o); break;
            case 2: Rows<TAct, TK, TP, Rows2>(k, a, lda, kIndex, b, bias, o); break;
            default: SingleRow<TAct, TK, TP>(k, a, kIndex, b, bias, o); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Rows<TAct, TK, TP, TR>(nint k, float* a, nint lda, int* kIndex, float* b, float* bias, in TileOutput o)
        where TAct : struct, IActivation where TK : struct, IKIndex where TP : struct, ITileRow<TP> where TR : struct, IRows
    {
        // Rows at or beyond TR.Count are never read: each use below is behind a test of the constant TR.Count.
        var a0 = a;
        var a1 = a + lda;
        var a2 = a + 2 * lda;
        var a3 = a + 3 * lda;
        var a4 = a + 4 * lda;
        var a5 = a + 5 * lda;
        var a6 = a + 6 * lda;
        var a7 = a + 7 * lda;

        var init = TP.Load(bias);
        TP c0 = init, c1 = init, c2 = init, c3 = init, c4 = init, c5 = init, c6 = init, c7 = init;
        for (nint p = 0; p < k; p++, b += TP.Width)
        {
            var col = TK.Column(kIndex, p);
            TP.MultiplyAdd(a0[col], b, ref c0);
            if (TR.Count > 1) TP.MultiplyAdd(a1[col], b, ref c1);
            if (TR.Count > 2) TP.MultiplyAdd(a2[col], b, ref c2);
            if (TR.Count > 3) TP.MultiplyAdd(a3[col], b, ref c3);
            if (TR.Count > 4) TP.MultiplyAdd(a4[col], b, ref c4);
            if (TR.Count > 5) TP.MultiplyAdd(a5[col], b, ref c5);
            if (TR.Count > 6) TP.MultiplyAdd(a6[col], b, ref c6);
            if (TR.Count > 7) TP.MultiplyAdd(a7[col], b, ref c7);
        }

        // The epilogue reads the destination into locals: read through the reference, its fields would be read again
        // after every row's stores, which the JIT cannot prove leave them unchanged.
        var c = o.C;
        var ldc = o.Ldc;
        var res = o.Residual;
        var ldr = o.Ldr;
        var columns = o.Columns;
        StoreRow<TAct, TP>(0, c, ldc, res, ldr, columns, c0);
        if (TR.Count > 1) StoreRow<TAct, TP>(1, c, ldc, res, ldr, columns, c1);
        if (TR.Count > 2) StoreRow<TAct, TP>(2, c, ldc, res, ldr, columns, c2);
        if (TR.Count > 3) StoreRow<TAct, TP>(3, c, ldc, res, ldr, columns, c3);
        if (TR.Count > 4) StoreRow<TAct, TP>(4, c, ldc, res, ldr, columns, c4);
        if (TR.Count > 5) StoreRow<TAct, TP>(5, c, ldc, res, ldr, columns, c5);
        if (TR.Count > 6) StoreRow<TAct, TP>(6, c, ldc, res, ldr, columns, c6);
        if (TR.Count > 7) StoreRow<TAct, TP>(7, c, ldc, res, ldr, columns, c7);
    }

    /// <summary>
    /// act(acc + residual row r) into row r of C: whole registers, unless the row ends a part-filled last panel. Row r
    /// of C is c + r·ldc; of the residual res + r·ldr, none when res is null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TAct, TP>(int r, float* c, nint ldc, float* res, nint ldr, int columns, TP acc)
        where TAct : struct, IActivation where TP : struct, ITileRow<TP>
    {
        if (columns == TP.Width)
        {
            if (res != null) acc = TP.Add(acc, TP.Load(res + r * ldr));
            TP.Store(c + r * ldc, TP.Activate<TAct>(acc));
        }
        else TP.StorePartial<TAct>(c + r * ldc, res == null ? null : res + r * ldr, columns, acc);
    }

    /// <summary>
    /// One row against one panel: the FC layer at batch 1 and the lone last row of a GEMM. K is unrolled by four into
    /// independent accumulators, so that the loop is bound by loading B, not by the FMA latency chain of a single row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void SingleRow<TAct, TK, TP>(nint k, float* a, int* kIndex, float* b, float* bias, in TileOutput o)
        where TAct : struct, IActivation where TK : struct, IKIndex where TP : struct, ITileRow<TP>
    {
        TP c0 = TP.Load(bias), c1 = TP.Zero, c2 = TP.Zero, c3 = TP.Zero;
        nint p = 0;
        for (; p + 4 <= k; p += 4, b += 4 * TP.Width)
        {
            // Panel addresses as locals: passed as expressions, they made the JIT evaluate A's element into a register
            // first (argument order) instead of broadcasting it straight from memory.
            var b1 = b + TP.Width;
            var b2 = b + 2 * TP.Width;
            var b3 = b + 3 * TP.Width;
            TP.MultiplyAdd(a[TK.Column(kIndex, p)], b, ref c0);
            TP.MultiplyAdd(a[TK.Column(kIndex, p + 1)], b1, ref c1);
            TP.MultiplyAdd(a[TK.Column(kIndex, p + 2)], b2, ref c2);
            TP.MultiplyAdd(a[TK.Column(kIndex, p + 3)], b3, ref c3);
        }
        for (; p < k; p++, b += TP.Width) TP.MultiplyAdd(a[TK.Column(kIndex, p)], b, ref c0);
        StoreRow<TAct, TP>(0, o.C, 0, o.Residual, 0, o.Columns, TP.Add(TP.Add(c0, c1), TP.Add(c2, c3)));
    }
}
