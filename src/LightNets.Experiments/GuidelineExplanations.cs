using System.Globalization;

namespace LightNets.Experiments;

/// <summary>
/// Says why a check failed in terms of what was measured: the two configurations' FLOPs-normalized speeds, their
/// memory traffic, the spread over rounds and the noise band, so that a reader can tell "the effect is smaller than
/// the noise here" from "the effect has the other sign here" (§11: rule out the implementation first).
/// </summary>
internal static class GuidelineExplanations
{
    public static string Why(GuidelineAnalysis a, CheckResult check)
    {
        var failed = check.Columns.Select((o, c) => (o, c)).Where(p => p.o.Holds == false).Select(p => p.c).ToArray();
        if (failed.Length == 0) return "";
        var parts = failed.Select(c => Column(a, check.Id, c)).Where(s => s.Length > 0);
        return string.Join(" ", parts);
    }

    private static string Column(GuidelineAnalysis a, string id, int c)
    {
        var t = a.Table;
        var col = t.Columns[c];
        var eps = a.Columns[c].Epsilon;
        switch (id)
        {
            case "H1.1":
            {
                var worst = Enumerable.Range(1, 3).MinBy(x => a.Ratio(0, x, c, normalized: true).Median);
                return Pair(a, c, worst, 0, $"{col}: {t.Rows[worst].Label} vs 1:1") + Bound(a, c, 0, worst);
            }
            case "H1.2" or "S1.3":
                return Pair(a, c, 3, 0, $"{col}: 1:12 vs 1:1") + Bound(a, c, 0, 3);
            case "H2.2":
            {
                var step = Enumerable.Range(1, 3).MaxBy(g => a.Ratio(g, g - 1, c).Median);
                return Pair(a, c, step, step - 1, $"{col}: {t.Rows[step].Label} vs {t.Rows[step - 1].Label}") + Bound(a, c, step - 1, step);
            }
            case "H2.1" or "S2.3":
                return Pair(a, c, 3, 0, $"{col}: g=8 vs g=1") + Bound(a, c, 0, 3);
            case "H3.2":
            {
                var ratios = string.Join(", ", Enumerable.Range(1, 4).Select(x => $"{t.Rows[x].Label} {F(a.Ratio(x, 0, c).Median)}"));
                return $"{col}: throughput ÷ 1-fragment = {ratios}. The parallel blocks pay for reading their input once per branch and for the" +
                       $" Concat copies ({N(a.Cell(4, c).Cost.ConcatElements)} elements per image), but the series blocks lose nothing on one thread, so the mean stays within the noise band (±{P(eps)})." +
                       " " + Column(a, "H3.1", c);
            }
            case "S3.3":
                return string.Join(" ", new[] { (1, 3), (2, 4) }.Where(p => !a.Faster(p.Item1, p.Item2, c))
                    .Select(p => Pair(a, c, p.Item1, p.Item2, $"{col}: {t.Rows[p.Item1].Label} vs {t.Rows[p.Item2].Label}")));
            case "H3.1" or "S3.4":
            {
                var worst = Enumerable.Range(1, 4).MinBy(x => a.Ratio(0, x, c).Median);
                var convsWorst = ConvsPerStack(t.Rows[worst].Stacks[c]);
                var convsOne = ConvsPerStack(t.Rows[0].Stacks[c]);
                var perConvWorst = a.Cell(worst, c).Cost.MemoryAccess * 4.0 / 1024 / convsWorst;
                var perConvOne = a.Cell(0, c).Cost.MemoryAccess * 4.0 / 1024 / convsOne;
                return Pair(a, c, worst, 0, $"{col}: {t.Rows[worst].Label} vs 1-fragment") +
                       $" With one thread there is no parallelism to lose, and the {convsWorst / StackSpec.Blocks} convolutions of a fragmented block each touch" +
                       $" {N((long)perConvWorst)} KiB against {N((long)perConvOne)} KiB for the one of the 1-fragment block, so they stay closer in the cache hierarchy.";
            }
            case "S4.3a":
            {
                int yy = t.RowIndex("yes/yes"), yn = t.RowIndex("yes/no"), ny = t.RowIndex("no/yes");
                return $"{col}: removing the shortcut gives {F(a.Ratio(yn, yy, c).Median)}, removing the ReLUs {F(a.Ratio(ny, yy, c).Median)}" +
                       $" ({N(a.Cell(yy, c).Cost.AddElements)} Add against {N(a.Cell(yy, c).Cost.ReluElements)} ReLU elements per image).";
            }
            case "S4.3b":
            {
                int fyy = t.RowIndex("yes/yes", fused: true), fny = t.RowIndex("no/yes", fused: true);
                int yy = t.RowIndex("yes/yes"), ny = t.RowIndex("no/yes");
                var fused = a.Ratio(fny, fyy, c);
                return $"{col}: fused no/yes ÷ fused yes/yes = {F(fused.Median)} [{F(fused.Min)}–{F(fused.Max)}] against {F(a.Ratio(ny, yy, c).Median)} unfused:" +
                       $" in the convolutions' epilogues the ReLUs lose most of their cost, but not all of it within the noise band (±{P(eps)}).";
            }
            default:
            {
                int yy = t.RowIndex("yes/yes"), nn = t.RowIndex("no/no");
                var cost = a.Cell(yy, c).Cost;
                var share = 1 - 1 / a.Ratio(nn, yy, c).Median;
                return Pair(a, c, nn, yy, $"{col}: no/no vs yes/yes") +
                    $" The ReLU and Add passes ({N(cost.ReluElements)} + {N(cost.AddElements)} elements per image) take {P(share)} of the unit's time here" +
                    $" (the paper: {P(1 - 1 / (a.Cell(nn, c).PaperRatio ?? double.NaN))}); the noise band is {P(eps)}.";
            }
        }
    }

    /// <summary>"X vs Y: throughput ratio m [min–max] over R rounds, noise band ±ε; a vs b GMAC/s at q× the memory access."</summary>
    private static string Pair(GuidelineAnalysis a, int c, int x, int y, string title)
    {
        var r = a.Ratio(x, y, c);
        var cx = a.Cell(x, c);
        var cy = a.Cell(y, c);
        return $"{title}: throughput ratio {F(r.Median)} [{F(r.Min)}–{F(r.Max)}] over {r.Rounds} rounds, noise band ±{P(a.Columns[c].Epsilon)};" +
               $" {F(cx.GigaMacsPerSecond, "0.0")} vs {F(cy.GigaMacsPerSecond, "0.0")} GMAC/s at {F((double)cx.Cost.MemoryAccess / cy.Cost.MemoryAccess)}× the memory access (theo. MAC).";
    }

    /// <summary>When the reference runs near the table's best FLOPs rate, it is bound by arithmetic: extra memory traffic then costs little.</summary>
    private static string Bound(GuidelineAnalysis a, int c, int reference, int other)
    {
        var best = a.Cells.Max(x => x.GigaMacsPerSecond);
        return a.Cell(reference, c).GigaMacsPerSecond >= 0.8 * best && a.Cell(other, c).GigaMacsPerSecond >= 0.8 * best
            ? $" Both run near this table's best rate ({F(best, "0.0")} GMAC/s): at this width the 1×1 convolutions are bound by arithmetic on this core, so the extra memory access costs little."
            : "";
    }

    private static int ConvsPerStack(StackSpec spec) => spec switch
    {
        PairStack => 2 * StackSpec.Blocks,
        FragmentStack f => f.Fragments * StackSpec.Blocks,
        BottleneckStack => 3 * StackSpec.Blocks,
        _ => StackSpec.Blocks,
    };

    private static string F(double v, string format = "0.00") => double.IsNaN(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);
    private static string P(double v) => double.IsNaN(v) ? "n/a" : (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
