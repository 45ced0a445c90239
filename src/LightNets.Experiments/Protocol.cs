namespace LightNets.Experiments;

/// <summary>
/// The measurement protocol of docs/GUIDELINES-SPEC.md §10 for a noisy 2-core machine: untimed warm-up passes, R rounds in
/// which every configuration runs once in a rotated order, n timed runs per configuration and round (enough for
/// <see cref="TargetSeconds"/> of work, at least <see cref="MinIterations"/>, at most <see cref="MaxIterations"/>), the
/// median run as the round's statistic, rounds dropped whose reference time is off the median by more than
/// <see cref="OutlierTolerance"/>.
/// </summary>
public sealed record ProtocolSettings
{
    /// <summary>Rounds R (the spec asks for at least 5, recommends 7).</summary>
    public int Rounds { get; init; } = 7;

    public int MinIterations { get; init; } = 5;

    /// <summary>The paper ran every network 100 times.</summary>
    public int MaxIterations { get; init; } = 100;

    /// <summary>Timed work per configuration and round.</summary>
    public double TargetSeconds { get; init; } = 0.25;

    /// <summary>Untimed passes over every configuration after its first call (tier-1 JIT code, warm caches; §10 asks for at least 2).</summary>
    public int WarmupPasses { get; init; } = 2;

    /// <summary>A round whose reference time is further than this from the median reference time is dropped.</summary>
    public double OutlierTolerance { get; init; } = 0.25;

    /// <summary>Fewer kept rounds than this and a column is reported as too noisy to judge.</summary>
    public int MinKeptRounds { get; init; } = 3;

    /// <summary>The floor of the noise band ε.</summary>
    public double MinNoiseBand { get; init; } = 0.02;

    /// <summary>The full protocol: 7 rounds, ≥ 0.25 s of timed work per configuration and round.</summary>
    public static ProtocolSettings Full { get; } = new();

    /// <summary>
    /// <c>--quick</c>: the spec's minimum of 5 rounds and 5 runs, with less timed work per round; ratios stay within-round
    /// medians, so only their spread grows.
    /// </summary>
    public static ProtocolSettings Quick { get; } = new() { Rounds = 5, TargetSeconds = 0.05 };

    /// <summary>Timed runs per round for a configuration that takes <paramref name="secondsPerRun"/>.</summary>
    public int Iterations(double secondsPerRun) =>
        secondsPerRun <= 0 || double.IsNaN(secondsPerRun)
            ? MaxIterations
            : (int)Math.Clamp(Math.Ceiling(TargetSeconds / secondsPerRun), MinIterations, MaxIterations);
}

/// <summary>The order in which a round runs the configurations.</summary>
public static class RoundSchedule
{
    /// <summary>
    /// Round <paramref name="round"/>'s order over groups (the tables) of the given sizes: the groups rotated to start at
    /// group r mod G, and inside each group the configurations rotated to start at r mod K (§10), so that slow drift
    /// within a round never lines up with one configuration.
    /// </summary>
    public static IReadOnlyList<(int Group, int Item)> Order(int round, IReadOnlyList<int> groupSizes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        var order = new List<(int, int)>();
        var groups = groupSizes.Count;
        for (var gi = 0; gi < groups; gi++)
        {
            var g = (gi + round) % groups;
            var k = groupSizes[g];
            for (var i = 0; i < k; i++) order.Add((g, (i + round) % k));
        }
        return order;
    }
}

/// <summary>Small statistics used by the protocol and the verdicts.</summary>
public static class Stats
{
    /// <summary>The median (the mean of the two middle values for an even count); NaN for none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Spearman's rank correlation, ties given their average rank; NaN when either side is constant.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException("the two samples differ in length");
        var rx = Ranks(x);
        var ry = Ranks(y);
        double mx = rx.Average(), my = ry.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < rx.Length; i++)
        {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx) * (rx[i] - mx);
            syy += (ry[i] - my) * (ry[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    private static double[] Ranks(IReadOnlyList<double> v)
    {
        var order = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]]) j++;
            for (var k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return ranks;
    }
}
