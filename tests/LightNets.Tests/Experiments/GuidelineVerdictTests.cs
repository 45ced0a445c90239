using LightNets.Experiments;

namespace LightNets.Tests.Experiments;

/// <summary>
/// The protocol and the §11 decision rules on synthetic measurements: the paper's own figures, fed in as if measured
/// here, must satisfy every hard check; a configuration that breaks an ordering must fail exactly that check; the
/// noise band comes from the twins; outlier rounds are dropped; "faster" needs ⌈2R/3⌉ rounds.
/// </summary>
public class GuidelineVerdictTests
{
    private static readonly ProtocolSettings Settings = ProtocolSettings.Full;

    /// <summary>
    /// Measurements in which every configuration runs at <paramref name="throughput"/> images/s, times a per-round
    /// drift shared by all configurations and a small per-configuration jitter (deterministic).
    /// </summary>
    private static GuidelineMeasurements Synthetic(IEnumerable<GuidelineTable> tables, Func<GuidelineCell, double> throughput, int rounds = 7,
        Func<GuidelineCell, int, double>? perturb = null)
    {
        var cells = new Dictionary<CellKey, CellMeasurement>();
        foreach (var cell in tables.SelectMany(t => t.Cells))
        {
            var times = Enumerable.Range(0, rounds).Select(r =>
            {
                var drift = 1 + 0.05 * Math.Sin(r);
                var jitter = 1 + 0.002 * Math.Cos(r * 7 + cell.Row * 3 + cell.Column);
                return drift * jitter * (perturb?.Invoke(cell, r) ?? 1) / throughput(cell);
            }).ToArray();
            cells[cell.Key] = new CellMeasurement(cell.Key, 10, times, times, 0, 1);
        }
        return new GuidelineMeasurements(cells, [], 1, GuidelineStacks.PaperSize);
    }

    /// <summary>The paper's figure of a cell; ours-only rows (duplicates, fused) run like their reference.</summary>
    private static double PaperLike(GuidelineCell c)
    {
        if (c.PaperImagesPerSecond is { } p) return p;
        var t = c.Table;
        return c.Fused && c.Table.Id == Guideline.G4
            ? t.Rows[t.RowIndex("no/no")].Paper![c.Column] // fused: ReLU/Add cost nothing
            : t.Rows[0].Paper![c.Column];
    }

    private static TableVerdict[] Judge(GuidelineMode mode, GuidelineMeasurements m) =>
        GuidelineTables.For(mode).Select(t => GuidelineChecks.Judge(new GuidelineAnalysis(t, m, Settings))).ToArray();

    [Fact]
    public void The_papers_arm_figures_satisfy_every_hard_check()
    {
        var tables = GuidelineTables.For(GuidelineMode.Arm);
        foreach (var v in Judge(GuidelineMode.Arm, Synthetic(tables, PaperLike)))
        {
            Assert.True(v.Holds == true, v.Line());
            Assert.All(v.Checks.Where(c => c.Hard), c => Assert.True(c.Holds == true, $"{c.Id}: {c.Summary}"));
            Assert.Contains("HOLDS", v.Line());
            Assert.All(v.Checks.Where(c => c.Hard), c => Assert.Null(c.Why));
        }
    }

    [Fact]
    public void Paper_ratios_are_the_papers()
    {
        var m = Synthetic(GuidelineTables.For(GuidelineMode.Arm), PaperLike);
        var g1 = new GuidelineAnalysis(GuidelineTables.G1(GuidelineMode.Arm), m, Settings);
        Assert.Equal(57.6 / 76.2, g1.Cell(3, 0).PaperRatio!.Value, 9);
        Assert.InRange(g1.Cell(3, 0).Raw.Median, 57.6 / 76.2 - 0.005, 57.6 / 76.2 + 0.005); // within-round ratios cancel the drift
        Assert.Equal(76.2, g1.Cell(0, 0).ImagesPerSecond, 0);
    }

    [Fact]
    public void A_broken_ordering_fails_its_check_in_its_column_and_says_why()
    {
        var tables = GuidelineTables.For(GuidelineMode.Arm);
        // ×4 column of G1: 1:12 as fast as 1:1.
        var m = Synthetic(tables, c => c.Table.Id == Guideline.G1 && c.Column == 2 && c.Row == 3 ? PaperLike(c.Table.Cell(0, 2)) : PaperLike(c));
        var g1 = Judge(GuidelineMode.Arm, m)[0];
        var h12 = g1.Checks.Single(c => c.Id == "H1.2");
        Assert.False(h12.Holds);
        Assert.Equal([true, true, false], h12.Columns.Select(c => c.Holds));
        Assert.Contains("×4: 1:12 vs 1:1", h12.Why);
        Assert.False(g1.Holds);
        Assert.Contains("DOES NOT HOLD", g1.Line());
        Assert.True(g1.Checks.Single(c => c.Id == "H1.1").Holds); // 1:1 is still not slower than any other ratio
    }

    [Fact]
    public void Noise_band_is_twice_the_median_twin_deviation_with_a_floor()
    {
        var tables = GuidelineTables.For(GuidelineMode.Arm);
        // G3's 1-fragment runs 5% slower than its twin G2 g=1 in every round: ε = 10%.
        var g2Table = GuidelineTables.G2(GuidelineMode.Arm);
        var m = Synthetic(tables, c => c.Table.Id == Guideline.G3 && c.Row == 0 ? PaperLike(g2Table.Cell(0, c.Column)) / 1.05 : PaperLike(c));
        var g3 = new GuidelineAnalysis(GuidelineTables.G3(GuidelineMode.Arm), m, Settings);
        var g2 = new GuidelineAnalysis(GuidelineTables.G2(GuidelineMode.Arm), m, Settings);
        Assert.All(g3.Columns, c => Assert.InRange(c.Epsilon, 2 * (1 - 1 / 1.05) - 0.012, 2 * (1 - 1 / 1.05) + 0.012)); // ± the jitter
        Assert.Equal(g3.Columns[0].Epsilon, g2.Columns[0].Epsilon);
        // G1's band comes from its duplicated reference, here identical but for jitter: the 2% floor.
        var g1 = new GuidelineAnalysis(GuidelineTables.G1(GuidelineMode.Arm), m, Settings);
        Assert.All(g1.Columns, c => Assert.Equal(0.02, c.Epsilon));
        Assert.Contains("1:1′", g1.Columns[0].EpsilonSource);
    }

    [Fact]
    public void A_wide_noise_band_keeps_a_small_effect_from_counting_as_faster()
    {
        var tables = GuidelineTables.For(GuidelineMode.Arm);
        // G4's duplicate is 8% off the reference (ε = 16%): the paper's 1.08 gain at c=128 is no longer "faster".
        var m = Synthetic(tables, c => c.Table.Id == Guideline.G4 && c.RowDef.Role == RowRole.Duplicate ? PaperLike(c) * 1.08 : PaperLike(c));
        var g4 = Judge(GuidelineMode.Arm, m)[3];
        var h41 = g4.Checks.Single(c => c.Id == "H4.1");
        Assert.Equal([true, true, false], h41.Columns.Select(c => c.Holds));
    }

    [Fact]
    public void Outlier_rounds_are_dropped_per_column()
    {
        var table = GuidelineTables.G2(GuidelineMode.Arm);
        // Round 2 of column ×1 ran everything twice as slow: the round is dropped, the ratios stay clean.
        var m = Synthetic([table, GuidelineTables.G3(GuidelineMode.Arm)], PaperLike, perturb: (c, r) => r == 2 && c.Column == 0 ? 2 : 1);
        var a = new GuidelineAnalysis(table, m, Settings);
        Assert.Equal([0, 1, 3, 4, 5, 6], a.Columns[0].KeptRounds);
        Assert.Equal(7, a.Columns[1].KeptRounds.Count);
        Assert.InRange(a.Cell(3, 0).Raw.Median, 27.8 / 40.0 - 0.005, 27.8 / 40.0 + 0.005);
        Assert.Equal(6, a.Cell(3, 0).Raw.Rounds);
    }

    [Fact]
    public void Faster_needs_two_thirds_of_the_rounds_above_one()
    {
        var table = GuidelineTables.G4(GuidelineMode.Arm);
        double[] nnOverYy = [1.2, 1.2, 1.2, 0.9, 0.9]; // median 1.2 but only 3 of 5 rounds above 1 (needs 4)
        var m = Synthetic([table], PaperLike, rounds: 5,
            perturb: (c, r) => c.Row == table.RowIndex("no/no") ? PaperLike(c) / PaperLike(table.Cell(0, c.Column)) / nnOverYy[r] : 1);
        var a = new GuidelineAnalysis(table, m, Settings);
        var nn = table.RowIndex("no/no");
        Assert.Equal(1.2, a.Ratio(nn, 0, 0).Median, 2);
        Assert.Equal(3, a.Ratio(nn, 0, 0).RoundsAboveOne);
        Assert.False(a.Faster(nn, 0, 0));
        Assert.True(a.NotSlower(nn, 0, 0));
    }

    [Fact]
    public void Cross_mode_checks_need_both_modes()
    {
        var tables = GuidelineTables.For(GuidelineMode.Arm).Concat(GuidelineTables.For(GuidelineMode.Gpu)).ToArray();
        var m = Synthetic(tables, PaperLike);
        var arm = new GuidelineAnalysis(GuidelineTables.G2(GuidelineMode.Arm), m, Settings);
        var gpu = new GuidelineAnalysis(GuidelineTables.G2(GuidelineMode.Gpu), m, Settings);
        Assert.Null(GuidelineChecks.Judge(arm).Checks.Single(c => c.Id == "S2.3").Holds);
        var s23 = GuidelineChecks.Judge(gpu, arm).Checks.Single(c => c.Id == "S2.3");
        Assert.True(s23.Holds, s23.Summary); // the paper: GPU 0.26/0.35/0.53 vs ARM 0.70/0.74/0.78
        Assert.False(s23.Hard);
        // The GPU-like mode judges the same orderings, all soft.
        Assert.All(GuidelineChecks.Judge(gpu, arm).Checks, c => Assert.False(c.Hard));
    }

    [Fact]
    public void Rounds_rotate_tables_and_configurations()
    {
        Assert.Equal([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)], RoundSchedule.Order(0, [3, 2]));
        Assert.Equal([(1, 1), (1, 0), (0, 1), (0, 2), (0, 0)], RoundSchedule.Order(1, [3, 2]));
        Assert.Equal([(0, 2), (0, 0), (0, 1), (1, 0), (1, 1)], RoundSchedule.Order(2, [3, 2]));
    }

    [Fact]
    public void Iterations_aim_at_the_target_time_within_bounds()
    {
        Assert.Equal(5, Settings.Iterations(1.0));
        Assert.Equal(25, Settings.Iterations(0.01));
        Assert.Equal(100, Settings.Iterations(0.0001));
        Assert.True(ProtocolSettings.Quick.Rounds >= 5);
    }

    [Fact]
    public void Statistics()
    {
        Assert.Equal(2, Stats.Median([3, 1, 2]));
        Assert.Equal(2.5, Stats.Median([4, 1, 2, 3]));
        Assert.Equal(-1, Stats.Spearman([1, 2, 6, 12], [4, 3, 2, 1]), 12);
        Assert.Equal(1, Stats.Spearman([1, 2, 3], [10, 20, 30]), 12);
        Assert.Equal(Math.Sqrt(0.75), Stats.Spearman([1, 2, 3], [1, 1, 2]), 12); // ties share their average rank
    }
}
