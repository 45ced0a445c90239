using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu.Gemm;

/// <summary>AVX-512 GEMM micro-kernels (kernel ids f32-gemm-MRx32__v512).</summary>
internal static unsafe class GemmTileV512
{
    /// <summary>
    /// C[r, 0..nValid) = act(Σ_k A[r, k]·B[k, ·] + bias (+ R[r, ·])) for r &lt; rows ≤ 8, one 32-column panel.
    /// Rows beyond <paramref name="rows"/> re-read row 0 so that no load leaves A; their results are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x32<TAct>(int k, float* a, nint lda, float* b, float* bias, float* c, nint ldc,
        float* res, nint ldr, int rows, int nValid) where TAct : struct, IActivation
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
        var bias1 = Vector512.Load(bias + 16);
        Vector512<float> c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
        Vector512<float> c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1, c60 = bias0, c61 = bias1, c70 = bias0, c71 = bias1;

        for (nint p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            b += 32;
            var x = Vector512.Create(a0[p]);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[p]);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[p]);
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[p]);
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[p]);
            c40 = Avx512F.FusedMultiplyAdd(x, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[p]);
            c50 = Avx512F.FusedMultiplyAdd(x, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[p]);
            c60 = Avx512F.FusedMultiplyAdd(x, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[p]);
            c70 = Avx512F.FusedMultiplyAdd(x, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
        }

        Store<TAct>(c, ldc, res, ldr, 0, rows, nValid, c00, c01);
        Store<TAct>(c, ldc, res, ldr, 1, rows, nValid, c10, c11);
        Store<TAct>(c, ldc, res, ldr, 2, rows, nValid, c20, c21);
        Store<TAct>(c, ldc, res, ldr, 3, rows, nValid, c30, c31);
        Store<TAct>(c, ldc, res, ldr, 4, rows, nValid, c40, c41);
        Store<TAct>(c, ldc, res, ldr, 5, rows, nValid, c50, c51);
        Store<TAct>(c, ldc, res, ldr, 6, rows, nValid, c60, c61);
        Store<TAct>(c, ldc, res, ldr, 7, rows, nValid, c70, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TAct>(float* c, nint ldc, float* res, nint ldr, int r, int rows, int nValid,
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
        var m0 = Mask(nValid);
        var m1 = Mask(nValid - 16);
        if (res != null)
        {
            v0 += Avx512F.MaskLoad(res + r * ldr, m0, Vector512<float>.Zero);
            v1 += Avx512F.MaskLoad(res + r * ldr + 16, m1, Vector512<float>.Zero);
        }
        Avx512F.MaskStore(dst, m0, TAct.Apply(v0));
        Avx512F.MaskStore(dst + 16, m1, TAct.Apply(v1));
    }

    /// <summary>All-ones lanes for the first <paramref name="count"/> of 16 (clamped to 0..16), as a float mask vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Mask(int count)
    {
        var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        return Vector512.LessThan(lanes, Vector512.Create(count)).AsSingle();
    }
}
