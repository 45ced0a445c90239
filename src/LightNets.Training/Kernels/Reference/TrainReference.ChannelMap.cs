using System.Numerics;

namespace LightNets.Training.Kernels.Reference;

public static partial class TrainReference
{
    /// <summary>
    /// One channel mapping covers Concat (each input gathered into its channel range), Split and Slice (a range
    /// gathered out) and channel shuffle (a permutation): y[r, j] = x[r, map[j]] for rows r = N·H·W, j &lt; cout,
    /// x [rows, cin]. A map may repeat or skip input channels.
    /// </summary>
    public static void GatherChannels<T>(int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckMap(rows, cin, cout, map, x, y, nameof(x), nameof(y));
        for (var r = 0; r < rows; r++)
        for (var j = 0; j < cout; j++)
            y[r * cout + j] = x[r * cin + map[j]];
    }

    /// <summary>
    /// The gradient of <see cref="GatherChannels{T}"/>: dx[r, map[j]] += dy[r, j]. ACCUMULATES into
    /// <paramref name="dx"/> (a value feeding several consumers sums their gradients); the caller zeroes it first.
    /// </summary>
    public static void ScatterAddChannels<T>(int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckMap(rows, cin, cout, map, dx, dy, nameof(dx), nameof(dy));
        for (var r = 0; r < rows; r++)
        for (var j = 0; j < cout; j++)
            dx[r * cin + map[j]] += dy[r * cout + j];
    }

    private static void CheckMap<T>(int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<T> wide, ReadOnlySpan<T> mapped,
        string wideName, string mappedName)
    {
        KernelArgs.Positive(rows, nameof(rows));
        KernelArgs.Positive(cin, nameof(cin));
        KernelArgs.Positive(cout, nameof(cout));
        KernelArgs.Length(map, cout, nameof(map));
        foreach (var m in map)
        {
            if ((uint)m >= (uint)cin) throw new ArgumentException($"channel map entry {m} is outside the {cin} input channels", nameof(map));
        }
        KernelArgs.Length(wide, (long)rows * cin, wideName);
        KernelArgs.Length(mapped, (long)rows * cout, mappedName);
    }
}
