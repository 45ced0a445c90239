using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu.Gemm;

/// <summary>
/// AVX2+FMA GEMM micro-kernels, kernel ids f32-gemm-6x16__v256 and f32-gemm-6x8__v256 (16 ymm registers: 12
/// accumulators, 2 panel vectors, 1 broadcast). Same contract as <see cref="GemmTileV512"/>.
/// </summary>
internal static unsafe class GemmTileV256
{
    public const int Rows = 6;

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Tile6x16<TAct, TK>(int k, float* a, nint lda, int* kIndex, float* b, float* bias, float* c, nint ldc,
        float* res, nint ldr, int rows, int nValid) where TAct : struct, IActivation where TK : struct, IKIndex
    {
        var a0 = a;
        var a1 = rows > 1 ? a + lda : a;
        var a2 = rows > 2 ? a + 2 * lda : a;
        var a3 = rows > 3 ? a + 3 * lda : a;
        var a4 = rows > 4 ? a + 4 * lda : a;
        var a5 = rows > 5 ? a + 5 * lda : a;
        var bias0 = Vector256.Load(bias);
        var bias1 = Vector256.Load(bias + 8);
        Vector256<float> c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
        Vector256<float> c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
        for (nint p = 0; p < k; p++)
        {
            var col = TK.Column(kIndex, p);
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            b += 16;
            var x = Vector256.Create(a0[col]);
            c00 = Fma.MultiplyAdd(x, b0, c00);
            c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[col]);
            c10 = Fma.MultiplyAdd(x, b0, c10);
            c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[col]);
            c20 = Fma.MultiplyAdd(x, b0, c20);
            c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[col]);
            c30 = Fma.MultiplyAdd(x, b0, c30);
            c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a4[col]);
            c40 = Fma.MultiplyAdd(x, b0, c40);
            c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a5[col]);
            c50 = Fma.MultiplyAdd(x, b0, c50);
            c51 = Fma.MultiplyAdd(x, b1, c51);
        }
        Store2<TAct>(c, ldc, res, ldr, 0, rows, nValid, c00, c01);
        Store2<TAct>(c, ldc, res, ldr, 1, rows, nValid, c10, c11);
        Store2<TAct>(c, ldc, res, ldr, 2, rows, nValid, c20, c21);
        Store2<TAct>(c, ldc, res, ldr, 3, rows, nValid, c30, c31);
        Store2<TAct>(c, ldc, res, ldr, 4, rows, nValid, c40, c41);
        Store2<TAct>(c, ldc, res, ldr, 5, rows, nValid, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Tile6x8<TAct, TK>(int k, float* a, nint lda, int* kIndex, float* b, float* bias, float* c, nint ldc,
        float* res, nint ldr, int rows, int nValid) where TAct : struct, IActivation where TK : struct, IKIndex
    {
        var a0 = a;
        var a1 = rows > 1 ? a + lda : a;
        var a2 = rows > 2 ? a + 2 * lda : a;
        var a3 = rows > 3 ? a + 3 * lda : a;
        var a4 = rows > 4 ? a + 4 * lda : a;
        var a5 = rows > 5 ? a + 5 * lda : a;
        var bias0 = Vector256.Load(bias);
        Vector256<float> c0 = bias0, c1 = bias0, c2 = bias0, c3 = bias0, c4 = bias0, c5 = bias0;
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
        }
        Store1<TAct>(c, ldc, res, ldr, 0, rows, nValid, c0);
        Store1<TAct>(c, ldc, res, ldr, 1, rows, nValid, c1);
        Store1<TAct>(c, ldc, res, ldr, 2, rows, nValid, c2);
        Store1<TAct>(c, ldc, res, ldr, 3, rows, nValid, c3);
        Store1<TAct>(c, ldc, res, ldr, 4, rows, nValid, c4);
        Store1<TAct>(c, ldc, res, ldr, 5, rows, nValid, c5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2<TAct>(float* c, nint ldc, float* res, nint ldr, int r, int rows, int nValid,
        Vector256<float> v0, Vector256<float> v1) where TAct : struct, IActivation
    {
        if (r >= rows) return;
        var dst = c + r * ldc;
        var rr = res == null ? null : res + r * ldr;
        if (nValid == 16)
        {
            if (rr != null)
            {
                v0 += Vector256.Load(rr);
                v1 += Vector256.Load(rr + 8);
            }
            TAct.Apply(v0).Store(dst);
            TAct.Apply(v1).Store(dst + 8);
            return;
        }
        StoreMasked<TAct>(dst, rr, nValid, v0);
        StoreMasked<TAct>(dst + 8, rr == null ? null : rr + 8, nValid - 8, v1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store1<TAct>(float* c, nint ldc, float* res, nint ldr, int r, int rows, int nValid, Vector256<float> v)
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
        StoreMasked<TAct>(c + r * ldc, rr, nValid, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMasked<TAct>(float* dst, float* res, int count, Vector256<float> v) where TAct : struct, IActivation
    {
        if (count <= 0) return;
        var m = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(count)).AsSingle();
        if (res != null) v += Avx.MaskLoad(res, m);
        Avx.MaskStore(dst, m, TAct.Apply(v));
    }
}
