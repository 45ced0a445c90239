using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;

namespace LightNets.Training.Kernels.Cpu.Gemm;

internal readonly struct Rows1 : IRows { public static int Count => 1; }

/// <summary>
/// The micro-kernels of the weight-gradient product C[n1, n2] = Σ_p A[p, n1]ᵀ·B[p, n2] (kernel ids
/// f32-gemm-tn-8x32__v512, -6x16__v256, -4xN__scalar), where p runs over pixels: up to 8 rows of C (8 consecutive
/// columns of A, e.g. output channels of dY) times one panel of B's columns (e.g. input channels of X), both read in
/// place, row p of A at a + p·lda and of B at b + p·ldb. Per p: one broadcast of each of A's 8 consecutive values and
/// the panel's one or two vector loads of B's row, feeding 8 or 16 fused multiply-adds — the inference tile's register
/// plan (<see cref="ITileRow{TSelf}"/>), with B streamed from the activations instead of a packed panel. The
/// accumulators start at zero; the sum over p is added to C (<c>accumulate</c>) or replaces it. Every element is one
/// FMA chain over p in order, so the result does not depend on how C is tiled.
/// <para>
/// A full-width load of B's row may read up to 7 floats past the panel's last valid column (the padded width); the
/// caller copies a last panel whose width is not a multiple of 8 into scratch (see <see cref="TrainGemm"/>) so that no
/// load leaves B's buffer.
/// </para>
/// </summary>
internal static unsafe class ReductionTile
{
    public static void Run<TP>(int rows, nint k, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, int columns, bool accumulate)
        where TP : struct, ITileRow<TP>
    {
        switch (rows)
        {
            case 8: Rows<TP, Rows8>(k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            case 7: Rows<TP, Rows7>(k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            case 6: Rows<TP, Rows6>(k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            case 5: Rows<TP, Rows5>(k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            case 4: Rows<TP, Rows4>(k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            case 3: Rows<TP, Rows3>(k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            case 2: Rows<TP, Rows2>(k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            default: Rows<TP, Rows1>(k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Rows<TP, TR>(nint k, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, int columns, bool accumulate)
        where TP : struct, ITileRow<TP> where TR : struct, IRows
    {
        TP c0 = TP.Zero, c1 = TP.Zero, c2 = TP.Zero, c3 = TP.Zero, c4 = TP.Zero, c5 = TP.Zero, c6 = TP.Zero, c7 = TP.Zero;
        for (nint p = 0; p < k; p++, a += lda, b += ldb)
        {
            TP.MultiplyAdd(a[0], b, ref c0);
            if (TR.Count > 1) TP.MultiplyAdd(a[1], b, ref c1);
            if (TR.Count > 2) TP.MultiplyAdd(a[2], b, ref c2);
            if (TR.Count > 3) TP.MultiplyAdd(a[3], b, ref c3);
            if (TR.Count > 4) TP.MultiplyAdd(a[4], b, ref c4);
            if (TR.Count > 5) TP.MultiplyAdd(a[5], b, ref c5);
            if (TR.Count > 6) TP.MultiplyAdd(a[6], b, ref c6);
            if (TR.Count > 7) TP.MultiplyAdd(a[7], b, ref c7);
        }
        StoreRow(c, columns, accumulate, c0);
        if (TR.Count > 1) StoreRow(c + ldc, columns, accumulate, c1);
        if (TR.Count > 2) StoreRow(c + 2 * ldc, columns, accumulate, c2);
        if (TR.Count > 3) StoreRow(c + 3 * ldc, columns, accumulate, c3);
        if (TR.Count > 4) StoreRow(c + 4 * ldc, columns, accumulate, c4);
        if (TR.Count > 5) StoreRow(c + 5 * ldc, columns, accumulate, c5);
        if (TR.Count > 6) StoreRow(c + 6 * ldc, columns, accumulate, c6);
        if (TR.Count > 7) StoreRow(c + 7 * ldc, columns, accumulate, c7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TP>(float* dst, int columns, bool accumulate, TP acc) where TP : struct, ITileRow<TP>
    {
        if (columns == TP.Width)
        {
            if (accumulate) acc = TP.Add(acc, TP.Load(dst));
            TP.Store(dst, acc);
        }
        else TP.StorePartial<IdentityActivation>(dst, accumulate ? dst : null, columns, acc);
    }

    /// <summary>The portable tier: the same sums, one output at a time, with a rounded product then a sum (no FMA call).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Scalar(int rows, nint k, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, int columns, bool accumulate)
    {
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < columns; j++)
            {
                var acc = 0f;
                float* ap = a + r, bp = b + j;
                for (nint p = 0; p < k; p++, ap += lda, bp += ldb) acc += *ap * *bp;
                ref var dst = ref c[r * ldc + j];
                dst = accumulate ? dst + acc : acc;
            }
        }
    }

    /// <summary>
    /// Rows per tile on a tier (8 of 32 AVX-512 registers' accumulators as 16; 6 × 2 of AVX2's 16; 6 × 4 of the 32
    /// 128-bit registers of ARM64, 3 × 4 where there are 16; 4 scalar).
    /// </summary>
    public static int TileRows(Isa isa) => isa switch
    {
        Isa.V512 => 8,
        Isa.V256 => 6,
        Isa.V128 => Simd128.Registers >= 32 ? 6 : 3,
        _ => 4,
    };

    /// <summary>One tile of <paramref name="rows"/> rows and a panel of <paramref name="width"/> columns (a multiple of 8 on the vector tiers).</summary>
    public static void Tile(Isa isa, int width, int rows, nint k, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, int columns,
        bool accumulate)
    {
        switch (isa, width)
        {
            case (Isa.V512, 32): Run<TwoRegisters<Vector512<float>, Simd512>>(rows, k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            case (Isa.V512, 24): Run<WideNarrow>(rows, k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            case (Isa.V512, 16): Run<OneRegister<Vector512<float>, Simd512>>(rows, k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            case (Isa.V256, 16): Run<TwoRegisters<Vector256<float>, Simd256>>(rows, k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            case (Isa.V512 or Isa.V256, 8): Run<OneRegister<Vector256<float>, Simd256>>(rows, k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            case (Isa.V128, 16): Run<FourRegisters<Vector128<float>, Simd128>>(rows, k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            case (Isa.V128, 8): Run<TwoRegisters<Vector128<float>, Simd128>>(rows, k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
            default: Scalar(rows, k, a, lda, b, ldb, c, ldc, columns, accumulate); break;
        }
    }
}
