using LightNets.Runtime.Kernels.Cpu.Int8;

namespace LightNets.Runtime.Kernels.Reference.Int8;

/// <summary>
/// Reference int8 GEMM (<c>i8-gemm__ref</c>), the twin of <see cref="Int8Gemm"/>: plain loops over the unpacked
/// weights, the definition of what the packed kernels compute.
/// </summary>
public static class Int8GemmReference
{
    /// <summary>
    /// For m &lt; M, n &lt; N: acc = Σ_{k &lt; K} (A[m·lda + k] − za) · W[n·K + k] in int32 (exact), then
    /// C[m·ldc + n] = <see cref="RequantizeReference.Apply"/>(q, channel + n, acc, R[m·ldr + n] when a residual is given).
    /// A is uint8, W int8 [N][K], C and R uint8.
    /// </summary>
    public static void Gemm(ReadOnlySpan<byte> a, int lda, int za, ReadOnlySpan<sbyte> w, int m, int n, int k,
        Requantize q, int channel, ReadOnlySpan<byte> residual, int ldr, Span<byte> c, int ldc)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                byte? r = residual.IsEmpty ? null : residual[i * ldr + j];
                c[i * ldc + j] = RequantizeReference.Apply(q, channel + j, Dot(a, i * lda, za, w, j * k, k), r);
            }
        }
    }

    /// <summary>The float-output form: C[m·ldc + n] = <see cref="RequantizeReference.Real"/>(q, channel + n, acc, r).</summary>
    public static void GemmFloat(ReadOnlySpan<byte> a, int lda, int za, ReadOnlySpan<sbyte> w, int m, int n, int k,
        Requantize q, int channel, ReadOnlySpan<byte> residual, int ldr, Span<float> c, int ldc)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                byte? r = residual.IsEmpty ? null : residual[i * ldr + j];
                c[i * ldc + j] = RequantizeReference.Real(q, channel + j, Dot(a, i * lda, za, w, j * k, k), r);
            }
        }
    }

    private static int Dot(ReadOnlySpan<byte> a, int aOffset, int za, ReadOnlySpan<sbyte> w, int wOffset, int k)
    {
        var acc = 0;
        for (var p = 0; p < k; p++) acc += (a[aOffset + p] - za) * w[wOffset + p];
        return acc;
    }
}
