using System.Numerics;

namespace LightNets.Training.Kernels.Reference;

public static partial class TrainReference
{
    /// <summary>Squeeze-and-excitation's channel scale: y[n, p, j] = x[n, p, j] · s[n, j] for the hw pixels p of image n.</summary>
    public static void ScaleChannelsForward<T>(int n, int hw, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> s, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckScale(n, hw, c, x, s, y, nameof(y));
        for (var i = 0; i < n; i++)
        for (var p = 0; p < hw; p++)
        for (var j = 0; j < c; j++)
            y[(i * hw + p) * c + j] = x[(i * hw + p) * c + j] * s[i * c + j];
    }

    /// <summary>
    /// The gradients of the channel scale: dx[n, p, j] = dy[n, p, j] · s[n, j] and ds[n, j] = Σ_p dy[n, p, j] · x[n, p, j].
    /// Overwrites both.
    /// </summary>
    public static void ScaleChannelsBackward<T>(int n, int hw, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> s, ReadOnlySpan<T> dy,
        Span<T> dx, Span<T> ds)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckScale(n, hw, c, x, s, dy, nameof(dy));
        KernelArgs.Length<T>(dx, x.Length, nameof(dx));
        KernelArgs.Length<T>(ds, s.Length, nameof(ds));
        for (var i = 0; i < n; i++)
        for (var j = 0; j < c; j++)
        {
            var sum = T.Zero;
            for (var p = 0; p < hw; p++)
            {
                var at = (i * hw + p) * c + j;
                dx[at] = dy[at] * s[i * c + j];
                sum += dy[at] * x[at];
            }
            ds[i * c + j] = sum;
        }
    }

    private static void CheckScale<T>(int n, int hw, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> s, ReadOnlySpan<T> output, string outputName)
    {
        KernelArgs.Positive(n, nameof(n));
        KernelArgs.Positive(hw, nameof(hw));
        KernelArgs.Positive(c, nameof(c));
        KernelArgs.Length(x, (long)n * hw * c, nameof(x));
        KernelArgs.Length(s, (long)n * c, nameof(s));
        KernelArgs.Length(output, (long)n * hw * c, outputName);
    }
}
