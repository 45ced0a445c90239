using System.Numerics;
using System.Runtime.CompilerServices;

namespace LightNets.Training.Engine.Steps;

/// <summary>
/// The engine's own element-wise loops (residual adds, channel copies, dropout masks, layout changes): memory-bound
/// work too small to deserve kernel twins. Plain loops over spans, the same in every precision.
/// </summary>
internal static class Elementwise
{
    public static int Size<T>() where T : unmanaged => Unsafe.SizeOf<T>();

    /// <summary>sums[j] = Σ_r x[r·c + j]: a bias gradient, or a broadcast operand's.</summary>
    public static void SumRows<T>(ReadOnlySpan<T> x, int c, Span<T> sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        sums.Clear();
        for (var r = 0; r < x.Length / c; r++)
        for (var j = 0; j < c; j++)
            sums[j] += x[r * c + j];
    }

    /// <summary>dst = src, or dst += src when <paramref name="accumulate"/>.</summary>
    public static void CopyOrAdd<T>(ReadOnlySpan<T> src, Span<T> dst, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!accumulate)
        {
            src.CopyTo(dst);
            return;
        }
        for (var i = 0; i < dst.Length; i++) dst[i] += src[i];
    }

    /// <summary>
    /// Copies a block of channels between two row-major [rows, width] tensors: dst[r, dstStart + j] (+)= src[r, srcStart + j]
    /// for j &lt; count (Concat forward and backward).
    /// </summary>
    public static void CopyChannels<T>(int rows, int count, ReadOnlySpan<T> src, int srcWidth, int srcStart,
        Span<T> dst, int dstWidth, int dstStart, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var r = 0; r < rows; r++)
            CopyOrAdd(src.Slice(r * srcWidth + srcStart, count), dst.Slice(r * dstWidth + dstStart, count), accumulate);
    }
}
