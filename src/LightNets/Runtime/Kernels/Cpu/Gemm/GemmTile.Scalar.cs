using System.Runtime.CompilerServices;

namespace LightNets.Runtime.Kernels.Cpu.Gemm;

/// <summary>
/// The portable GEMM tile (kernel id f32-gemm-4xNR__scalar): up to <see cref="Rows"/> rows of A (the granularity in
/// which callers split M) times a panel of any width, computed one output at a time: for each row, then each column, a
/// dot product over K with <see cref="MathF.FusedMultiplyAdd"/> (one rounding per step, as the vector tiles' FMAs). No
/// register blocking: this tier is the fallback, not a fast path.
/// </summary>
internal static unsafe class GemmTileScalar
{
    public const int Rows = 4;

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Tile<TAct, TK>(int k, float* a, nint lda, int* kIndex, float* b, float* bias, in TileOutput o, int rows,
        int panelWidth) where TAct : struct, IActivation where TK : struct, IKIndex
    {
        for (var r = 0; r < rows; r++)
        {
            var ar = a + r * lda;
            for (var n = 0; n < o.Columns; n++)
            {
                var acc = bias[n];
                var bp = b + n;
                for (nint p = 0; p < k; p++, bp += panelWidth)
                    acc = MathF.FusedMultiplyAdd(ar[TK.Column(kIndex, p)], *bp, acc);
                if (o.Residual != null) acc += o.Residual[r * o.Ldr + n];
                o.C[r * o.Ldc + n] = Activations.Apply(acc, TAct.Kind);
            }
        }
    }
}
