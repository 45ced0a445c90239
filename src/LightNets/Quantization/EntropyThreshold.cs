namespace LightNets.Quantization;

/// <summary>
/// TensorRT's entropy calibration (Migacz, "8-bit Inference with TensorRT", GTC 2017): for each candidate number i of
/// histogram bins kept, P is the histogram cut at i with the clipped tail added to its last bin, Q is P merged into
/// <see cref="Levels"/> levels and spread back over the bins that were not empty; the i with the smallest KL(P‖Q) wins.
/// </summary>
internal static class EntropyThreshold
{
    /// <summary>Quantization levels of the magnitude (int8: 128).</summary>
    public const int Levels = 128;

    /// <summary>The number of bins (from the bottom) to keep: the threshold is that many bin widths.</summary>
    public static int Find(ReadOnlySpan<long> histogram)
    {
        var bins = histogram.Length;
        if (bins <= Levels) return bins;
        var p = new double[bins];
        var q = new double[bins];
        // suffix[i]: the values beyond the first i bins, which clipping at i puts into bin i − 1.
        var suffix = new double[bins + 1];
        for (var j = bins - 1; j >= 0; j--) suffix[j] = suffix[j + 1] + histogram[j];
        var (best, bestDivergence) = (bins, double.PositiveInfinity);
        for (var i = Levels; i <= bins; i++)
        {
            for (var j = 0; j < i; j++) p[j] = histogram[j];
            p[i - 1] += suffix[i];
            // Q: the first i bins (without the clipped values: clipping must cost) merged into Levels groups, each
            // group's count spread evenly over the bins where P is not empty.
            for (var level = 0; level < Levels; level++)
            {
                var start = (int)((long)level * i / Levels);
                var end = (int)((long)(level + 1) * i / Levels);
                double sum = 0;
                var nonEmpty = 0;
                for (var j = start; j < end; j++)
                {
                    sum += histogram[j];
                    if (p[j] != 0) nonEmpty++;
                }
                for (var j = start; j < end; j++) q[j] = p[j] != 0 ? sum / nonEmpty : 0;
            }
            var divergence = KullbackLeibler(p.AsSpan(0, i), q.AsSpan(0, i));
            if (divergence < bestDivergence) (best, bestDivergence) = (i, divergence);
        }
        return best;
    }

    private static double KullbackLeibler(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        double sp = 0, sq = 0;
        for (var j = 0; j < p.Length; j++)
        {
            sp += p[j];
            sq += q[j];
        }
        if (sp == 0 || sq == 0) return double.PositiveInfinity;
        double d = 0;
        for (var j = 0; j < p.Length; j++)
        {
            if (p[j] == 0) continue;
            var pj = p[j] / sp;
            // A value Q gives no mass to costs what a tiny ε would (the usual smoothing), not infinity.
            var qj = Math.Max(q[j] / sq, 1e-12);
            d += pj * Math.Log(pj / qj);
        }
        return d;
    }
}
