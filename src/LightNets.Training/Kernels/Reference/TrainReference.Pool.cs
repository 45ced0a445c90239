using System.Numerics;

namespace LightNets.Training.Kernels.Reference;

public static partial class TrainReference
{
    /// <summary>
    /// Max pooling: y[n, oy, ox, c] = the largest x[n, iy, ix, c] over the window cells inside the image (padding is
    /// skipped, never read as 0 or −∞), and argmax[n, oy, ox, c] = the flat NHWC index into x of that cell. Ties go to
    /// the FIRST maximum in row-major window order, and a NaN wins (PyTorch: a cell is taken when
    /// <c>val &gt; max || isnan(val)</c>); a window of −∞ only keeps its first cell.
    /// </summary>
    public static void MaxPoolForward<T>(in PoolShape p, ReadOnlySpan<T> x, Span<T> y, Span<int> argmax)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        p.Validate();
        KernelArgs.Length(x, p.InputLength, nameof(x));
        KernelArgs.Length<T>(y, p.OutputLength, nameof(y));
        KernelArgs.Length<int>(argmax, p.OutputLength, nameof(argmax));
        for (var n = 0; n < p.N; n++)
        for (var oy = 0; oy < p.OutH; oy++)
        for (var ox = 0; ox < p.OutW; ox++)
        for (var c = 0; c < p.C; c++)
        {
            var best = T.NegativeInfinity;
            var at = -1;
            for (var ky = 0; ky < p.KH; ky++)
            {
                var iy = oy * p.StrideH - p.PadTop + ky;
                if (iy < 0 || iy >= p.H) continue;
                for (var kx = 0; kx < p.KW; kx++)
                {
                    var ix = ox * p.StrideW - p.PadLeft + kx;
                    if (ix < 0 || ix >= p.W) continue;
                    var i = ((n * p.H + iy) * p.W + ix) * p.C + c;
                    if (at < 0 || x[i] > best || T.IsNaN(x[i]))
                    {
                        best = x[i];
                        at = i;
                        if (T.IsNaN(best)) goto found;
                    }
                }
            }
            found:
            var o = ((n * p.OutH + oy) * p.OutW + ox) * p.C + c;
            y[o] = best;
            argmax[o] = at;
        }
    }

    /// <summary>
    /// The gradient of max pooling: dx[argmax[o]] += dy[o] for every output o, every other dx 0 (overlapping windows
    /// that share a maximum add up). Overwrites <paramref name="dx"/>.
    /// </summary>
    public static void MaxPoolBackward<T>(in PoolShape p, ReadOnlySpan<T> dy, ReadOnlySpan<int> argmax, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        p.Validate();
        KernelArgs.Length(dy, p.OutputLength, nameof(dy));
        KernelArgs.Length(argmax, p.OutputLength, nameof(argmax));
        KernelArgs.Length<T>(dx, p.InputLength, nameof(dx));
        dx.Clear();
        for (var o = 0; o < dy.Length; o++)
        {
            var i = argmax[o];
            if ((uint)i >= (uint)dx.Length) throw new ArgumentException($"argmax[{o}] = {i} is outside the input", nameof(argmax));
            dx[i] += dy[o];
        }
    }

    /// <summary>
    /// Average pooling: y[n, oy, ox, c] = (Σ of x over the window cells inside the image) / D, with D the number of
    /// those cells, or with <paramref name="countIncludePad"/> the number of window cells inside the PADDED input
    /// (−PadTop ≤ iy &lt; H + PadBottom, likewise columns: KH·KW except where ceil mode lets a window hang past the
    /// padding, which PyTorch clips).
    /// </summary>
    public static void AvgPoolForward<T>(in PoolShape p, bool countIncludePad, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        p.Validate();
        KernelArgs.Length(x, p.InputLength, nameof(x));
        KernelArgs.Length<T>(y, p.OutputLength, nameof(y));
        for (var n = 0; n < p.N; n++)
        for (var oy = 0; oy < p.OutH; oy++)
        for (var ox = 0; ox < p.OutW; ox++)
        {
            var divisor = T.CreateChecked(AvgDivisor(p, countIncludePad, oy, ox));
            for (var c = 0; c < p.C; c++)
            {
                var sum = T.Zero;
                for (var ky = 0; ky < p.KH; ky++)
                {
                    var iy = oy * p.StrideH - p.PadTop + ky;
                    if (iy < 0 || iy >= p.H) continue;
                    for (var kx = 0; kx < p.KW; kx++)
                    {
                        var ix = ox * p.StrideW - p.PadLeft + kx;
                        if (ix >= 0 && ix < p.W) sum += x[((n * p.H + iy) * p.W + ix) * p.C + c];
                    }
                }
                y[((n * p.OutH + oy) * p.OutW + ox) * p.C + c] = sum / divisor;
            }
        }
    }

    /// <summary>
    /// The gradient of average pooling: every in-image cell of output o's window gets dy[o] / D (D as in
    /// <see cref="AvgPoolForward{T}"/>), summed over the windows that hold it. Overwrites <paramref name="dx"/>.
    /// </summary>
    public static void AvgPoolBackward<T>(in PoolShape p, bool countIncludePad, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        p.Validate();
        KernelArgs.Length(dy, p.OutputLength, nameof(dy));
        KernelArgs.Length<T>(dx, p.InputLength, nameof(dx));
        dx.Clear();
        for (var n = 0; n < p.N; n++)
        for (var oy = 0; oy < p.OutH; oy++)
        for (var ox = 0; ox < p.OutW; ox++)
        {
            var divisor = T.CreateChecked(AvgDivisor(p, countIncludePad, oy, ox));
            for (var c = 0; c < p.C; c++)
            {
                var share = dy[((n * p.OutH + oy) * p.OutW + ox) * p.C + c] / divisor;
                for (var ky = 0; ky < p.KH; ky++)
                {
                    var iy = oy * p.StrideH - p.PadTop + ky;
                    if (iy < 0 || iy >= p.H) continue;
                    for (var kx = 0; kx < p.KW; kx++)
                    {
                        var ix = ox * p.StrideW - p.PadLeft + kx;
                        if (ix >= 0 && ix < p.W) dx[((n * p.H + iy) * p.W + ix) * p.C + c] += share;
                    }
                }
            }
        }
    }

    /// <summary>y[n, j] = Σ_p x[n, p, j] / hw: the mean over the hw pixels of each image, output [N, C].</summary>
    public static void GlobalAvgPoolForward<T>(int n, int hw, int c, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckGlobal(n, hw, c, x, y, nameof(x), nameof(y));
        var count = T.CreateChecked(hw);
        for (var i = 0; i < n; i++)
        for (var j = 0; j < c; j++)
        {
            var sum = T.Zero;
            for (var p = 0; p < hw; p++) sum += x[(i * hw + p) * c + j];
            y[i * c + j] = sum / count;
        }
    }

    /// <summary>dx[n, p, j] = dy[n, j] / hw for every pixel p. Overwrites <paramref name="dx"/>.</summary>
    public static void GlobalAvgPoolBackward<T>(int n, int hw, int c, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckGlobal(n, hw, c, dx, dy, nameof(dx), nameof(dy));
        var count = T.CreateChecked(hw);
        for (var i = 0; i < n; i++)
        for (var p = 0; p < hw; p++)
        for (var j = 0; j < c; j++)
            dx[(i * hw + p) * c + j] = dy[i * c + j] / count;
    }

    /// <summary>The divisor of average-pooling window (oy, ox), as <see cref="AvgPoolForward{T}"/> defines it.</summary>
    private static int AvgDivisor(in PoolShape p, bool countIncludePad, int oy, int ox)
    {
        int y0 = oy * p.StrideH - p.PadTop, x0 = ox * p.StrideW - p.PadLeft;
        int lowY = countIncludePad ? -p.PadTop : 0, highY = countIncludePad ? p.H + p.PadBottom : p.H;
        int lowX = countIncludePad ? -p.PadLeft : 0, highX = countIncludePad ? p.W + p.PadRight : p.W;
        var rows = Math.Min(y0 + p.KH, highY) - Math.Max(y0, lowY);
        var cols = Math.Min(x0 + p.KW, highX) - Math.Max(x0, lowX);
        return rows * cols;
    }

    private static void CheckGlobal<T>(int n, int hw, int c, ReadOnlySpan<T> planes, ReadOnlySpan<T> pooled, string planesName, string pooledName)
    {
        KernelArgs.Positive(n, nameof(n));
        KernelArgs.Positive(hw, nameof(hw));
        KernelArgs.Positive(c, nameof(c));
        KernelArgs.Length(planes, (long)n * hw * c, planesName);
        KernelArgs.Length(pooled, (long)n * c, pooledName);
    }
}
