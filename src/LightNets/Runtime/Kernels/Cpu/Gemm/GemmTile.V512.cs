using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu.Gemm;

/// <summary>
/// AVX-512 GEMM micro-kernels, kernel ids f32-gemm-8x32__v512 and f32-gemm-8x16__v512: 8 rows of A times one packed
/// panel of B, accumulators initialized with the bias, residual and activation applied on the way out.
/// Rows beyond <c>rows</c> re-read row 0 so that no load leaves A; their results are not stored.
/// </summary>
internal static unsafe class GemmTileV512
{
    public const int Rows = 8;

    /// <summary>
    /// <typeparamref name="TR"/> rows (2 to 8) of A times one 32-column panel. The row count is a type so that the JIT
    /// drops the unused rows' broadcasts and FMAs: a GEMM of 49 rows (a 7×7 feature map) runs as seven 7-row tiles
    /// instead of six 8-row tiles and a latency-bound single row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Tile8x32<TAct, TK, TR>(int k, float* a, nint lda, int* kIndex, float* b, float* bias, float* c, nint ldc,
        float* res, nint ldr, int nValid) where TAct : struct, IActivation where TK : struct, IKIndex where TR : struct, IRows
    {
        var a0 = a;
        var a1 = a + lda;
        var a2 = a + 2 * lda;
        var a3 = a + 3 * lda;
        var a4 = a + 4 * lda;
        var a5 = a + 5 * lda;
        var a6 = a + 6 * lda;
        var a7 = a + 7 * lda;

        var bias0 = Vector512.Load(bias);
        var bias1 = Vector512.Load(bias + 16);
        Vector512<float> c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
        Vector512<float> c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1, c60 = bias0, c61 = bias1, c70 = bias0, c71 = bias1;

        for (nint p = 0; p < k; p++)
        {
            var col = TK.Column(kIndex, p);
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            b += 32;
            var x = Vector512.Create(a0[col]);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[col]);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            if (TR.Count > 2)
            {
                x = Vector512.Create(a2[col]);
                c20 = Avx512F.FusedMultiplyAdd(x, b0, c20);
                c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            }
            if (TR.Count > 3)
            {
                x = Vector512.Create(a3[col]);
                c30 = Avx512F.FusedMultiplyAdd(x, b0, c30);
                c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            }
            if (TR.Count > 4)
            {
                x = Vector512.Create(a4[col]);
                c40 = Avx512F.FusedMultiplyAdd(x, b0, c40);
                c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            }
            if (TR.Count > 5)
            {
                x = Vector512.Create(a5[col]);
                c50 = Avx512F.FusedMultiplyAdd(x, b0, c50);
                c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            }
            if (TR.Count > 6)
            {
                x = Vector512.Create(a6[col]);
                c60 = Avx512F.FusedMultiplyAdd(x, b0, c60);
                c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            }
            if (TR.Count > 7)
            {
                x = Vector512.Create(a7[col]);
                c70 = Avx512F.FusedMultiplyAdd(x, b0, c70);
                c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
            }
        }

        Store2<TAct>(c, ldc, res, ldr, 0, TR.Count, nValid, c00, c01);
        Store2<TAct>(c, ldc, res, ldr, 1, TR.Count, nValid, c10, c11);
        Store2<TAct>(c, ldc, res, ldr, 2, TR.Count, nValid, c20, c21);
        Store2<TAct>(c, ldc, res, ldr, 3, TR.Count, nValid, c30, c31);
        Store2<TAct>(c, ldc, res, ldr, 4, TR.Count, nValid, c40, c41);
        Store2<TAct>(c, ldc, res, ldr, 5, TR.Count, nValid, c50, c51);
        Store2<TAct>(c, ldc, res, ldr, 6, TR.Count, nValid, c60, c61);
        Store2<TAct>(c, ldc, res, ldr, 7, TR.Count, nValid, c70, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Tile8x16<TAct, TK>(int k, float* a, nint lda, int* kIndex, float* b, float* bias, float* c, nint ldc,
        float* res, nint ldr, int rows, int nValid) where TAct : struct, IActivation where TK : struct, IKIndex
    {
        var a0 = a;
        var a1 = rows > 1 ? a + lda : a;
        var a2 = rows > 2 ? a + 2 * lda : a;
        var a3 = rows > 3 ? a + 3 * lda : a;
        var a4 = rows > 4 ? a + 4 * lda : a;
        var a5 = rows > 5 ? a + 5 * lda : a;
        var a6 = rows > 6 ? a + 6 * lda : a;
        var a7 = rows > 7 ? a + 7 * lda : a;

        var bias0 = Vector512.Load(bias);
        Vector512<float> c0 = bias0, c1 = bias0, c2 = bias0, c3 = bias0, c4 = bias0, c5 = bias0, c6 = bias0, c7 = bias0;
        for (nint p = 0; p < k; p++)
        {
            var col = TK.Column(kIndex, p);
            var b0 = Vector512.Load(b);
            b += 16;
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a0[col]), b0, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[col]), b0, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a2[col]), b0, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a3[col]), b0, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a4[col]), b0, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a5[col]), b0, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a6[col]), b0, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a7[col]), b0, c7);
        }
        Store1<TAct>(c, ldc, res, ldr, 0, rows, nValid, c0);
        Store1<TAct>(c, ldc, res, ldr, 1, rows, nValid, c1);
        Store1<TAct>(c, ldc, res, ldr, 2, rows, nValid, c2);
        Store1<TAct>(c, ldc, res, ldr, 3, rows, nValid, c3);
        Store1<TAct>(c, ldc, res, ldr, 4, rows, nValid, c4);
        Store1<TAct>(c, ldc, res, ldr, 5, rows, nValid, c5);
        Store1<TAct>(c, ldc, res, ldr, 6, rows, nValid, c6);
        Store1<TAct>(c, ldc, res, ldr, 7, rows, nValid, c7);
    }

    /// <summary>
    /// One row against one 32-column panel (kernel id f32-gemv-1x32__v512): the FC layer at batch 1 and the last row of
    /// a tile. K is unrolled by four into independent accumulators, so that the loop is bound by loading B, not by the
    /// FMA latency chain of a single row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Tile1x32<TAct, TK>(int k, float* a, int* kIndex, float* b, float* bias, float* c, float* res, int nValid)
        where TAct : struct, IActivation where TK : struct, IKIndex
    {
        Vector512<float> c00 = Vector512.Load(bias), c01 = Vector512.Load(bias + 16);
        Vector512<float> c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        nint p = 0;
        for (; p + 4 <= k; p += 4)
        {
            var x0 = Vector512.Create(a[TK.Column(kIndex, p)]);
            var x1 = Vector512.Create(a[TK.Column(kIndex, p + 1)]);
            var x2 = Vector512.Create(a[TK.Column(kIndex, p + 2)]);
            var x3 = Vector512.Create(a[TK.Column(kIndex, p + 3)]);
            c00 = Avx512F.FusedMultiplyAdd(x0, Vector512.Load(b), c00);
            c01 = Avx512F.FusedMultiplyAdd(x0, Vector512.Load(b + 16), c01);
            c10 = Avx512F.FusedMultiplyAdd(x1, Vector512.Load(b + 32), c10);
            c11 = Avx512F.FusedMultiplyAdd(x1, Vector512.Load(b + 48), c11);
            c20 = Avx512F.FusedMultiplyAdd(x2, Vector512.Load(b + 64), c20);
            c21 = Avx512F.FusedMultiplyAdd(x2, Vector512.Load(b + 80), c21);
            c30 = Avx512F.FusedMultiplyAdd(x3, Vector512.Load(b + 96), c30);
            c31 = Avx512F.FusedMultiplyAdd(x3, Vector512.Load(b + 112), c31);
            b += 128;
        }
        for (; p < k; p++)
        {
            var x = Vector512.Create(a[TK.Column(kIndex, p)]);
            c00 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b), c00);
            c01 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 16), c01);
            b += 32;
        }
        Store2<TAct>(c, 0, res, 0, 0, 1, nValid, (c00 + c10) + (c20 + c30), (c01 + c11) + (c21 + c31));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2<TAct>(float* c, nint ldc, float* res, nint ldr, int r, int rows, int nValid,
        Vector512<float> v0, Vector512<float> v1) where TAct : struct, IActivation
    {
        if (r >= rows) return;
        var dst = c + r * ldc;
        if (nValid == 32)
        {
            if (res != null)
            {
                v0 += Vector512.Load(res + r * ldr);
                v1 += Vector512.Load(res + r * ldr + 16);
            }
            TAct.Apply(v0).Store(dst);
            TAct.Apply(v1).Store(dst + 16);
            return;
        }
        StoreMasked<TAct>(dst, res == null ? null : res + r * ldr, nValid, v0);
        StoreMasked<TAct>(dst + 16, res == null ? null : res + r * ldr + 16, nValid - 16, v1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store1<TAct>(float* c, nint ldc, float* res, nint ldr, int r, int rows, int nValid, Vector512<float> v)
        where TAct : struct, IActivation
    {
        if (r >= rows) return;
        if (nValid == 16)
        {
            if (res != null) v += Vector512.Load(res + r * ldr);
            TAct.Apply(v).Store(c + r * ldc);
            return;
        }
        StoreMasked<TAct>(c + r * ldc, res == null ? null : res + r * ldr, nValid, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMasked<TAct>(float* dst, float* res, int count, Vector512<float> v) where TAct : struct, IActivation
    {
        if (count <= 0) return;
        var m = Mask(count);
        if (res != null) v += Avx512F.MaskLoad(res, m, Vector512<float>.Zero);
        Avx512F.MaskStore(dst, m, TAct.Apply(v));
    }

    /// <summary>All-ones lanes for the first <paramref name="count"/> of 16 (clamped to 0..16), as a float mask vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Mask(int count) =>
        Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(count)).AsSingle();
}
