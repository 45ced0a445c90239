namespace LightNets.Quantization;

/// <summary>
/// What calibration saw of one activation: its extremes (first pass) and, for the percentile and entropy methods, a
/// histogram of the values over [Min, Max] and one of |x| over [0, max |x|] (second pass, once the extremes are known).
/// </summary>
public sealed class ActivationStatistics
{
    private long[]? _signed, _magnitude;

    public ActivationStatistics(string value) => Value = value;

    /// <summary>The graph value these statistics are of.</summary>
    public string Value { get; }

    public float Min { get; private set; } = float.PositiveInfinity;

    public float Max { get; private set; } = float.NegativeInfinity;

    public long Count { get; private set; }

    /// <summary>Values that were NaN or infinite (left out of the statistics).</summary>
    public long NonFinite { get; private set; }

    public bool HasHistograms => _signed is not null;

    /// <summary>First pass: the extremes.</summary>
    public void Observe(ReadOnlySpan<float> values)
    {
        var (min, max) = (Min, Max);
        long bad = 0;
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                bad++;
                continue;
            }
            if (v < min) min = v;
            if (v > max) max = v;
        }
        (Min, Max) = (min, max);
        Count += values.Length - bad;
        NonFinite += bad;
    }

    /// <summary>Second pass: histograms of <paramref name="bins"/> bins over the extremes the first pass found.</summary>
    public void Histogram(ReadOnlySpan<float> values, int bins)
    {
        if (Count == 0) return;
        _signed ??= new long[bins];
        _magnitude ??= new long[bins];
        var (lo, span) = (Min, Max - Min);
        var amax = MathF.Max(MathF.Abs(Min), MathF.Abs(Max));
        var signedScale = span > 0 ? bins / span : 0f;
        var magnitudeScale = amax > 0 ? bins / amax : 0f;
        foreach (var v in values)
        {
            if (!float.IsFinite(v)) continue;
            _signed[Math.Clamp((int)((v - lo) * signedScale), 0, bins - 1)]++;
            _magnitude[Math.Clamp((int)(MathF.Abs(v) * magnitudeScale), 0, bins - 1)]++;
        }
    }

    /// <summary>The range the method chooses, always holding 0 (so that 0 has an exact code, as padding needs).</summary>
    public (float Lo, float Hi) Range(QuantizeOptions options)
    {
        if (Count == 0) return (0, 0);
        var (lo, hi) = options.Method switch
        {
            CalibrationMethod.MinMax => (Min, Max),
            CalibrationMethod.Percentile => PercentileRange(options.Percentile),
            CalibrationMethod.Entropy => EntropyRange(),
            _ => throw new ArgumentOutOfRangeException(nameof(options)),
        };
        return (MathF.Min(lo, 0), MathF.Max(hi, 0));
    }

    private (float, float) PercentileRange(double percentile)
    {
        var h = _signed ?? throw new InvalidOperationException("the percentile method needs the second calibration pass");
        var total = h.Sum();
        var width = (Max - Min) / h.Length;
        // The bins holding the lowest and highest (100 − p) % of the values are clipped.
        var tail = (long)Math.Floor(total * (100 - percentile) / 100);
        int first = 0, last = h.Length - 1;
        for (long seen = 0; first < last && seen + h[first] <= tail; first++) seen += h[first];
        for (long seen = 0; last > first && seen + h[last] <= tail; last--) seen += h[last];
        return (first == 0 ? Min : Min + first * width, last == h.Length - 1 ? Max : Min + (last + 1) * width);
    }

    private (float, float) EntropyRange()
    {
        var h = _magnitude ?? throw new InvalidOperationException("the entropy method needs the second calibration pass");
        var amax = MathF.Max(MathF.Abs(Min), MathF.Abs(Max));
        var threshold = EntropyThreshold.Find(h) * amax / h.Length;
        return (MathF.Max(Min, -threshold), MathF.Min(Max, threshold));
    }
}
