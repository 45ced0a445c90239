using System.Runtime.Intrinsics;

namespace LightNets.Training.Kernels.Cpu;

/// <summary>
/// Small element-wise loops the fast kernels share. Each result element is one IEEE operation on the same inputs
/// whatever the vector width, so these are bit-identical on every tier.
/// </summary>
internal static unsafe class VectorMath
{
    /// <summary>dst[i] += src[i] for i &lt; n.</summary>
    public static void AddInPlace(float* dst, float* src, int n)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(dst + i) + Vector512.Load(src + i), dst + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(dst + i) + Vector256.Load(src + i), dst + i);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= n; i += 4) Vector128.Store(Vector128.Load(dst + i) + Vector128.Load(src + i), dst + i);
        }
        for (; i < n; i++) dst[i] += src[i];
    }
}
