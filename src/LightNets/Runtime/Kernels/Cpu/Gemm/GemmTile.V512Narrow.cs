using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu.Gemm;

/// <summary>
/// The AVX-512 tier's last-panel kernels for output widths that are not a multiple of 16: f32-gemm-8x24__v512 (a
/// 16-lane and an 8-lane register per row: N = 24, 40, 72, 88, 120… waste nothing) and f32-gemm-8x8__v512. The 8-lane
/// part uses 256-bit FMAs, which cost half a 512-bit one on this core. Same contract as <see cref="GemmTileV512"/>.
/// </summary>
internal static unsafe class GemmTileV512Narrow
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Tile8x24<TAct, TK>(int k, float* a, nint lda, int* kIndex, float* b, float* bias, float* c, nint ldc,
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
        var bias1 = Vector256.Load(bias + 16);
        Vector512<float> c00 = bias0, c10 = bias0, c20 = bias0, c30 = bias0, c40 = bias0, c50 = bias0, c60 = bias0, c70 = bias0;
        Vector256<float> c01 = bias1, c11 = bias1, c21 = bias1, c31 = bias1, c41 = bias1, c51 = bias1, c61 = bias1, c71 = bias1;
        for (nint p = 0; p < k; p++)
        {
            var col = TK.Column(kIndex, p);
            var b0 = Vector512.Load(b);
            var b1 = Vector256.Load(b + 16);
            b += 24;
            var x = Vector512.Create(a0[col]);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00);
            c01 = Fma.MultiplyAdd(x.GetLower(), b1, c01);
            x = Vector512.Create(a1[col]);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10);
            c11 = Fma.MultiplyAdd(x.GetLower(), b1, c11);
            x = Vector512.Create(a2[col]);
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20);
            c21 = Fma.MultiplyAdd(x.GetLower(), b1, c21);
            x = Vector512.Create(a3[col]);
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30);
            c31 = Fma.MultiplyAdd(x.GetLower(), b1, c31);
            x = Vector512.Create(a4[col]);
            c40 = Avx512F.FusedMultiplyAdd(x, b0, c40);
            c41 = Fma.MultiplyAdd(x.GetLower(), b1, c41);
            x = Vector512.Create(a5[col]);
            c50 = Avx512F.FusedMultiplyAdd(x, b0, c50);
            c51 = Fma.MultiplyAdd(x.GetLower(), b1, c51);
            x = Vector512.Create(a6[col]);
            c60 = Avx512F.FusedMultiplyAdd(x, b0, c60);
            c61 = Fma.MultiplyAdd(x.GetLower(), b1, c61);
            x = Vector512.Create(a7[col]);
            c70 = Avx512F.FusedMultiplyAdd(x, b0, c70);
            c71 = Fma.MultiplyAdd(x.GetLower(), b1, c71);
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Tile8x8<TAct, TK>(int k, float* a, nint lda, int* kIndex, float* b, float* bias, float* c, nint ldc,
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
        var bias0 = Vector256.Load(bias);
        Vector256<float> c0 = bias0, c1 = bias0, c2 = bias0, c3 = bias0, c4 = bias0, c5 = bias0, c6 = bias0, c7 = bias0;
        for (nint p = 0; p < k; p++)
        {
            var col = TK.Column(kIndex, p);
            var b0 = Vector256.Load(b);
            b += 8;
            c0 = Fma.MultiplyAdd(Vector256.Create(a0[col]), b0, c0);
            c1 = Fma.MultiplyAdd(Vector256.Create(a1[col]), b0, c1);
            c2 = Fma.MultiplyAdd(Vector256.Create(a2[col]), b0, c2);
            c3 = Fma.MultiplyAdd(Vector256.Create(a3[col]), b0, c3);
            c4 = Fma.MultiplyAdd(Vector256.Create(a4[col]), b0, c4);
            c5 = Fma.MultiplyAdd(Vector256.Create(a5[col]), b0, c5);
            c6 = Fma.MultiplyAdd(Vector256.Create(a6[col]), b0, c6);
            c7 = Fma.MultiplyAdd(Vector256.Create(a7[col]), b0, c7);
        }
        Store8<TAct>(c, ldc, res, ldr, 0, rows, nValid, c0);
        Store8<TAct>(c, ldc, res, ldr, 1, rows, nValid, c1);
        Store8<TAct>(c, ldc, res, ldr, 2, rows, nValid, c2);
        Store8<TAct>(c, ldc, res, ldr, 3, rows, nValid, c3);
        Store8<TAct>(c, ldc, res, ldr, 4, rows, nValid, c4);
        Store8<TAct>(c, ldc, res, ldr, 5, rows, nValid, c5);
        Store8<TAct>(c, ldc, res, ldr, 6, rows, nValid, c6);
        Store8<TAct>(c, ldc, res, ldr, 7, rows, nValid, c7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TAct>(float* c, nint ldc, float* res, nint ldr, int r, int rows, int nValid,
        Vector512<float> v0, Vector256<float> v1) where TAct : struct, IActivation
    {
        if (r >= rows) return;
        var dst = c + r * ldc;
        var rr = res == null ? null : res + r * ldr;
        if (nValid == 24)
        {
            if (rr != null)
            {
                v0 += Vector512.Load(rr);
                v1 += Vector256.Load(rr + 16);
            }
            TAct.Apply(v0).Store(dst);
            TAct.Apply(v1).Store(dst + 16);
            return;
        }
        var m0 = GemmTileV512.Mask(nValid);
        if (rr != null) v0 += Avx512F.MaskLoad(rr, m0, Vector512<float>.Zero);
        Avx512F.MaskStore(dst, m0, TAct.Apply(v0));
        StoreMasked8<TAct>(dst + 16, rr == null ? null : rr + 16, nValid - 16, v1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8<TAct>(float* c, nint ldc, float* res, nint ldr, int r, int rows, int nValid, Vector256<float> v)
        where TAct : struct, IActivation
    {
        if (r >= rows) return;
        var rr = res == null ? null : res + r * ldr;
        if (nValid == 8)
        {
            if (rr != null) v += Vector256.Load(rr);
            TAct.Apply(v).Store(c + r * ldc);
            return;
        }
        StoreMasked8<TAct>(c + r * ldc, rr, nValid, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMasked8<TAct>(float* dst, float* res, int count, Vector256<float> v) where TAct : struct, IActivation
    {
        if (count <= 0) return;
        var m = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(count)).AsSingle();
        if (res != null) v += Avx.MaskLoad(res, m);
        Avx.MaskStore(dst, m, TAct.Apply(v));
    }
}
