using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LightNets.Training.Engine.Steps;

/// <summary>
/// The engine's small serial element-wise helpers (bias and broadcast-operand sums; the big loops are <see cref="EngineLoops{T}"/>):
/// memory-bound work too simple to deserve kernel twins. Sums and copies use <see cref="Vector{T}"/> where the float
/// type has it; each element's result is the same single IEEE operation either way, so the vector path changes no bit.
/// </summary>
internal static class Elementwise
{
    public static int Size<T>() where T : unmanaged => Unsafe.SizeOf<T>();

    /// <summary>dst[i] = a[i] + b[i].</summary>
    public static void Add<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var va = MemoryMarshal.Cast<T, Vector<T>>(a);
            var vb = MemoryMarshal.Cast<T, Vector<T>>(b);
            var vd = MemoryMarshal.Cast<T, Vector<T>>(dst);
            for (var v = 0; v < vd.Length; v++) vd[v] = va[v] + vb[v];
            i = vd.Length * Vector<T>.Count;
        }
        for (; i < dst.Length; i++) dst[i] = a[i] + b[i];
    }

    /// <summary>sums[j] = Σ_r x[r·c + j]: a bias gradient, or a broadcast operand's.</summary>
    public static void SumRows<T>(ReadOnlySpan<T> x, int c, Span<T> sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        sums.Clear();
        for (var r = 0; r < x.Length / c; r++) Add(sums, x.Slice(r * c, c), sums);
    }
}
