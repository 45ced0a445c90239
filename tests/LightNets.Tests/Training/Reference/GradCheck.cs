namespace LightNets.Tests.Training.Reference;

/// <summary>
/// Central finite differences in double: the check every backward rule passes. For a scalar loss L(p) the numeric
/// gradient is (L(p + h·eᵢ) − L(p − h·eᵢ)) / 2h, whose error is O(h²) (truncation) plus O(ε·|L|/h) (rounding); with
/// h = 1e-5 and values of order 1 both are near 1e-11, far below <see cref="Tolerance"/>.
/// </summary>
internal static class GradCheck
{
    /// <summary>The largest relative error accepted between an analytic gradient and the finite differences.</summary>
    public const double Tolerance = 1e-6;

    public const double Step = 1e-5;

    /// <summary>Uniform values in [lo, hi) from a fixed seed.</summary>
    public static double[] Random(int count, int seed, double lo = -1, double hi = 1)
    {
        var rng = new Random(seed);
        var v = new double[count];
        for (var i = 0; i < v.Length; i++) v[i] = lo + (hi - lo) * rng.NextDouble();
        return v;
    }

    /// <summary>Σ r·y: the scalar loss whose gradient with respect to y is r (the dy every check feeds backward).</summary>
    public static double Dot(ReadOnlySpan<double> r, ReadOnlySpan<double> y)
    {
        if (r.Length != y.Length) throw new ArgumentException($"lengths {r.Length} and {y.Length} differ");
        var s = 0.0;
        for (var i = 0; i < r.Length; i++) s += r[i] * y[i];
        return s;
    }

    /// <summary>The numeric gradient of <paramref name="loss"/> with respect to every element of <paramref name="p"/> (restored after).</summary>
    public static double[] Numeric(double[] p, Func<double> loss, double step = Step)
    {
        var g = new double[p.Length];
        for (var i = 0; i < p.Length; i++)
        {
            var keep = p[i];
            p[i] = keep + step;
            var up = loss();
            p[i] = keep - step;
            var down = loss();
            p[i] = keep;
            g[i] = (up - down) / (2 * step);
        }
        return g;
    }

    /// <summary>
    /// Asserts |analytic − numeric| ≤ <see cref="Tolerance"/>·max(|analytic|, |numeric|, 10⁻³·max|numeric|) element by
    /// element: relative for every component except those a thousand times smaller than the largest, where the finite
    /// differences' own absolute error would dominate. Returns the worst relative error seen.
    /// </summary>
    public static double AssertClose(string what, ReadOnlySpan<double> analytic, ReadOnlySpan<double> numeric)
    {
        Assert.Equal(numeric.Length, analytic.Length);
        var scale = 0.0;
        foreach (var v in numeric) scale = Math.Max(scale, Math.Abs(v));
        Assert.True(scale > 0, $"{what}: the numeric gradient is all zero, so the check proves nothing");
        var worst = 0.0;
        for (var i = 0; i < numeric.Length; i++)
        {
            var denominator = Math.Max(Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric[i])), 1e-3 * scale);
            var error = Math.Abs(analytic[i] - numeric[i]) / denominator;
            Assert.True(error <= Tolerance,
                $"{what}[{i}]: analytic {analytic[i]:R} vs numeric {numeric[i]:R}, relative error {error:E2} > {Tolerance:E0}");
            worst = Math.Max(worst, error);
        }
        return worst;
    }

    /// <summary>A buffer full of NaN: a backward rule that must overwrite its output cannot leave any of it behind.</summary>
    public static double[] Poisoned(long count)
    {
        var v = new double[count];
        v.AsSpan().Fill(double.NaN);
        return v;
    }
}
