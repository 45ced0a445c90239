using System.Globalization;

namespace LightNets.Experiments;

/// <summary>One column's outcome of a check: held (true), failed (false) or not judged (null), with the numbers behind it.</summary>
public sealed record ColumnOutcome(string Column, bool? Holds, string Value);

/// <summary>
/// One acceptance check of docs/GUIDELINES-SPEC.md §11. Hard checks are the paper's ARM orderings, judged in the ARM-like mode;
/// everything else (and every check in the GPU-like mode) is soft: reported, never enforced.
/// </summary>
public sealed record CheckResult(string Id, bool Hard, string Rule, IReadOnlyList<ColumnOutcome> Columns, bool? Holds, string Summary)
{
    /// <summary>Why a failed check failed, in terms of what was measured (filled in by <see cref="GuidelineChecks"/>).</summary>
    public string? Why { get; init; }
}

/// <summary>A table's analysis and its checks: the verdict on whether the paper's ordering holds on this machine.</summary>
public sealed record TableVerdict(GuidelineAnalysis Analysis, IReadOnlyList<CheckResult> Checks)
{
    public GuidelineTable Table => Analysis.Table;

    /// <summary>The checks the verdict rests on: the hard ones in the ARM-like mode, the ordering checks (H ids, judged soft) in the GPU-like mode.</summary>
    public IEnumerable<CheckResult> Deciding => Checks.Where(c => c.Id.StartsWith('H'));

    /// <summary>True when every deciding check held, false when one failed, null when one could not be judged and none failed.</summary>
    public bool? Holds => Deciding.Any(c => c.Holds == false) ? false : Deciding.All(c => c.Holds == true) ? true : null;

    /// <summary>One line: the table, whether the paper's ordering holds here, each check, the noise band.</summary>
    public string Line()
    {
        var t = Table;
        var status = Holds switch { true => "HOLDS", false => "DOES NOT HOLD", null => "NOT JUDGED" };
        var kind = t.Mode == GuidelineMode.Arm ? "hard" : "soft, GPU-like";
        var checks = string.Join("; ", Checks.Where(c => c.Holds is not null || c.Hard).Select(c => $"{c.Id} {Mark(c.Holds)} {c.Summary}"));
        var bands = string.Join(" / ", Analysis.Columns.Select(c => Pct(c.Epsilon)));
        return $"{t.Id} ({t.PaperTable}, {t.Platform} columns): the paper's ordering {status} here ({kind} checks) — {checks}; noise band ε = {bands} ({Analysis.Columns[0].EpsilonSource})";
    }

    public static string Mark(bool? holds) => holds switch { true => "✓", false => "✗", null => "–" };
    public static string Pct(double v) => double.IsNaN(v) ? "n/a" : (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}

/// <summary>The checks of §11 per table (F-checks are tests; H5/S5 belong to whole networks, see <c>lightnets compare</c>).</summary>
public static class GuidelineChecks
{
    /// <summary>Judges one table; <paramref name="otherMode"/> (the same table in the other mode, same run) enables S2.3 and S3.4.</summary>
    public static TableVerdict Judge(GuidelineAnalysis a, GuidelineAnalysis? otherMode = null)
    {
        var hard = a.Table.Mode == GuidelineMode.Arm;
        var checks = a.Table.Id switch
        {
            Guideline.G1 => G1(a, hard),
            Guideline.G2 => G2(a, hard, otherMode),
            Guideline.G3 => G3(a, hard, otherMode),
            _ => G4(a, hard),
        };
        return new TableVerdict(a, checks.Select(c => c.Holds == false ? c with { Why = GuidelineExplanations.Why(a, c) } : c).ToArray());
    }

    private static IEnumerable<CheckResult> G1(GuidelineAnalysis a, bool hard)
    {
        const int reference = 0, worst = 3;
        yield return PerColumn(a, "H1.1", hard, "in each column, 1:1 is not slower than any other ratio (FLOPs-normalized)", "lowest 1:1 ÷ other", c =>
        {
            var others = Enumerable.Range(1, 3).Select(x => (x, ok: a.NotSlower(reference, x, c, normalized: true), r: a.Ratio(reference, x, c, true).Median)).ToArray();
            var min = others.MinBy(o => o.r);
            return (others.All(o => o.ok), $"{F(min.r)} ({a.Table.Rows[min.x].Label})");
        });
        yield return PerColumn(a, "H1.2", hard, "in each column, 1:12 is slower than 1:1 with a median ratio ≤ 0.95", "1:12 ÷ 1:1", c =>
        {
            var r = a.Ratio(worst, reference, c).Median;
            return (a.Faster(reference, worst, c) && r <= 0.95, $"{F(r)} [paper {F(a.Cell(worst, c).PaperRatio)}]");
        });
        var columns = Enumerable.Range(0, a.Table.Columns.Count).Select(c =>
        {
            var rho = Stats.Spearman([1, 2, 6, 12], Enumerable.Range(0, 4).Select(x => a.Ratio(x, reference, c, true).Median).ToArray());
            return new ColumnOutcome(a.Table.Columns[c], double.IsNaN(rho) ? null : rho <= -0.8, $"ρ = {F(rho)}");
        }).ToArray();
        var agree = columns.Count(o => o.Holds == true);
        yield return new CheckResult("S1.3", false, "Spearman ρ(imbalance, normalized throughput) ≤ −0.8 in at least 2 of 3 columns",
            columns, agree >= 2, $"{agree}/3 columns ({string.Join(", ", columns.Select(o => o.Value))})");
    }

    private static IEnumerable<CheckResult> G2(GuidelineAnalysis a, bool hard, GuidelineAnalysis? other)
    {
        yield return PerColumn(a, "H2.1", hard, "in each column, g=1 is faster than g=8 and thr(8)/thr(1) ≤ 0.90", "g=8 ÷ g=1", c =>
        {
            var r = a.Ratio(3, 0, c).Median;
            return (a.Faster(0, 3, c) && a.Faster(0, 3, c, normalized: true) && r <= 0.90, $"{F(r)} [paper {F(a.Cell(3, c).PaperRatio)}]");
        });
        yield return PerColumn(a, "H2.2", hard, "non-increasing within noise: thr(g) ≤ thr(g/2)·(1+ε) for g = 2, 4, 8 (raw and FLOPs-normalized)", "largest thr(g) ÷ thr(g/2)", c =>
        {
            var steps = Enumerable.Range(1, 3).Select(g => Math.Max(a.Ratio(g, g - 1, c).Median, a.Ratio(g, g - 1, c, true).Median)).ToArray();
            return (steps.All(s => s <= 1 + a.Columns[c].Epsilon), $"{F(steps.Max())}");
        });
        yield return CrossMode(a, other, "S2.3", "the g=8 penalty in the GPU-like mode is at least as large as in the ARM-like mode",
            (arm, gpu, c) => (gpu.Ratio(3, 0, c).Median <= arm.Ratio(3, 0, c).Median, $"g=8 ÷ g=1: GPU-like {F(gpu.Ratio(3, 0, c).Median)}, ARM-like {F(arm.Ratio(3, 0, c).Median)}"));
    }

    private static IEnumerable<CheckResult> G3(GuidelineAnalysis a, bool hard, GuidelineAnalysis? other)
    {
        yield return PerColumn(a, "H3.1", hard, "in each column, 1-fragment is not slower than any fragmented block (raw and FLOPs-normalized)", "lowest 1-fragment ÷ other", c =>
        {
            var worst = Enumerable.Range(1, 4).Select(x => (x, r: Math.Min(a.Ratio(0, x, c).Median, a.Ratio(0, x, c, true).Median))).MinBy(o => o.r);
            var ok = Enumerable.Range(1, 4).All(x => a.NotSlower(0, x, c) && a.NotSlower(0, x, c, normalized: true));
            return (ok, $"{F(worst.r)} ({a.Table.Rows[worst.x].Label})");
        });
        {
            const int c = 0;
            var mean = Enumerable.Range(1, 4).Average(x => a.Ratio(x, 0, c).Median);
            var paper = Enumerable.Range(1, 4).Average(x => a.Cell(x, c).PaperRatio ?? double.NaN);
            var judged = !a.Columns[c].TooNoisy && !double.IsNaN(mean);
            var holds = judged ? mean < 1 - a.Columns[c].Epsilon : (bool?)null;
            yield return new CheckResult("H3.2", hard, $"in the smallest-c column, the mean of the four blocks' thr/thr(1-fragment) is < 1−ε",
                [new ColumnOutcome(a.Table.Columns[c], holds, $"mean {F(mean)}")], holds, $"{a.Table.Columns[c]}: mean {F(mean)} vs 1−ε = {F(1 - a.Columns[c].Epsilon)} (paper {F(paper)})");
        }
        yield return PerColumn(a, "S3.3", false, "parallel blocks are slower than series blocks with the same k", "2s ÷ 2p, 4s ÷ 4p", c =>
        {
            var two = a.Faster(1, 3, c);
            var four = a.Faster(2, 4, c);
            return (two && four, $"{F(a.Ratio(1, 3, c).Median)}, {F(a.Ratio(2, 4, c).Median)}");
        });
        yield return CrossMode(a, other, "S3.4", "the fragmentation penalty thr(1-fragment)/thr(4-parallel) is larger in the GPU-like mode",
            (arm, gpu, c) => (gpu.Ratio(0, 4, c).Median > arm.Ratio(0, 4, c).Median, $"GPU-like {F(gpu.Ratio(0, 4, c).Median)}, ARM-like {F(arm.Ratio(0, 4, c).Median)}"));
    }

    private static IEnumerable<CheckResult> G4(GuidelineAnalysis a, bool hard)
    {
        var t = a.Table;
        int yy = t.RowIndex("yes/yes"), yn = t.RowIndex("yes/no"), ny = t.RowIndex("no/yes"), nn = t.RowIndex("no/no");
        yield return PerColumn(a, "H4.1", hard, "in each column, no/no is faster than yes/yes with a median ratio ≥ 1.05", "no/no ÷ yes/yes", c =>
        {
            var r = a.Ratio(nn, yy, c).Median;
            return (a.Faster(nn, yy, c) && r >= 1.05, $"{F(r)} [paper {F(a.Cell(nn, c).PaperRatio)}]");
        });
        yield return PerColumn(a, "H4.2", hard, "removing either op alone never slows the unit: thr(yes/no), thr(no/yes) ≥ thr(yes/yes)·(1−ε)", "yes/no, no/yes ÷ yes/yes", c =>
            (a.NotSlower(yn, yy, c) && a.NotSlower(ny, yy, c), $"{F(a.Ratio(yn, yy, c).Median)}, {F(a.Ratio(ny, yy, c).Median)}"));
        var shortcut = PerColumn(a, "S4.3a", false, "removing the shortcut gains more than removing ReLU", "yes/no vs no/yes", c =>
            (a.Ratio(yn, yy, c).Median > a.Ratio(ny, yy, c).Median, $"{F(a.Ratio(yn, yy, c).Median)} vs {F(a.Ratio(ny, yy, c).Median)}"));
        var agree = shortcut.Columns.Count(o => o.Holds == true);
        yield return shortcut with { Rule = shortcut.Rule + " (in most columns; paper: 5 of 6)", Holds = agree * 2 > shortcut.Columns.Count, Summary = $"{agree}/{shortcut.Columns.Count} columns ({shortcut.Summary})" };
        if (t.Rows.Any(r => r.Fused))
        {
            int fyy = t.RowIndex("yes/yes", fused: true), fny = t.RowIndex("no/yes", fused: true);
            yield return PerColumn(a, "S4.3b", false, "with ReLU fused into the convolutions, the ReLU gain shrinks to within ε", "fused no/yes ÷ fused yes/yes", c =>
            {
                var r = a.Ratio(fny, fyy, c).Median;
                return (Math.Abs(r - 1) <= a.Columns[c].Epsilon, $"{F(r)}");
            });
        }
    }

    /// <summary>A check judged column by column; it holds when every judged column holds.</summary>
    private static CheckResult PerColumn(GuidelineAnalysis a, string id, bool hard, string rule, string subject, Func<int, (bool Holds, string Value)> judge)
    {
        var columns = Enumerable.Range(0, a.Table.Columns.Count).Select(c =>
        {
            if (a.Columns[c].TooNoisy) return new ColumnOutcome(a.Table.Columns[c], null, "too few rounds kept");
            var (holds, value) = judge(c);
            return new ColumnOutcome(a.Table.Columns[c], holds, value);
        }).ToArray();
        bool? all = columns.Any(o => o.Holds == false) ? false : columns.All(o => o.Holds == true) ? true : null;
        var summary = $"{subject}: " + string.Join(", ", columns.Select(o => $"{o.Column} {TableVerdict.Mark(o.Holds)} {o.Value}"));
        return new CheckResult(id, hard, rule, columns, all, summary);
    }

    private static CheckResult CrossMode(GuidelineAnalysis a, GuidelineAnalysis? other, string id, string rule,
        Func<GuidelineAnalysis, GuidelineAnalysis, int, (bool, string)> judge)
    {
        if (other is null)
            return new CheckResult(id, false, rule, [], null, "not judged: needs both modes in one run (--mode both)");
        var (arm, gpu) = a.Table.Mode == GuidelineMode.Arm ? (a, other) : (other, a);
        var columns = Enumerable.Range(0, a.Table.Columns.Count).Select(c =>
        {
            var (holds, value) = judge(arm, gpu, c);
            return new ColumnOutcome(a.Table.Columns[c], holds, value);
        }).ToArray();
        var agree = columns.Count(o => o.Holds == true);
        return new CheckResult(id, false, rule, columns, agree == columns.Length, $"{agree}/{columns.Length} columns ({string.Join("; ", columns.Select(o => o.Value))})");
    }

    /// <summary>A ratio with two decimals.</summary>
    public static string F(double? v) => v is null || double.IsNaN(v.Value) ? "n/a" : v.Value.ToString("0.00", CultureInfo.InvariantCulture);
}
