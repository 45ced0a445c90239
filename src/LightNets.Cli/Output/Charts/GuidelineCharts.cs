using LightNets.Experiments;
using ScottPlot;

namespace LightNets.Cli.Output.Charts;

/// <summary>
/// One chart per table and mode: for every configuration, the paper's throughput and ours, each divided by the
/// reference row of the same column, as grouped bars (here with the min–max over rounds, and the column's noise band
/// shaded around 1). Table 4 adds the fused ablation as a third bar.
/// </summary>
internal static class GuidelineCharts
{
    public static string FileName(GuidelineTable t) => $"g{(int)t.Id}-{t.Mode.ToString().ToLowerInvariant()}.png";

    public static string Write(TableVerdict verdict, string directory, int threads)
    {
        var a = verdict.Analysis;
        var t = a.Table;
        var rows = Enumerable.Range(0, t.Rows.Count).Where(r => t.Rows[r].Role != RowRole.Duplicate && !t.Rows[r].Fused).ToArray();
        var fused = t.Rows.Any(r => r.Fused);
        var barsPerRow = fused ? 3 : 2;
        const double barWidth = 0.8;
        var slot = barsPerRow * barWidth + 0.5;
        var group = rows.Length * slot + 1.2;
        var reference = t.Rows[t.ReferenceOf(0)].Label;
        var plot = ChartStyle.NewPlot(
            $"{t.PaperTable} ({t.Id}): {t.Title} — paper's {t.Platform} columns vs LightNets here",
            $"{t.RowHeader}, grouped by column ({(t.Id is Guideline.G1 or Guideline.G2 ? "channel multiplier" : "block width c")})",
            $"throughput ÷ {reference} (same column)");

        var paperBars = new List<Bar>();
        var hereBars = new List<Bar>();
        var fusedBars = new List<Bar>();
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        List<double> ex = [], ey = [], eLow = [], eHigh = [];
        var top = 1.2;
        for (var c = 0; c < t.Columns.Count; c++)
        {
            var x0 = c * group;
            var eps = a.Columns[c].Epsilon;
            var band = plot.Add.Rectangle(x0 - 0.6, x0 + rows.Length * slot - 0.2, 1 - eps, 1 + eps);
            band.FillStyle.Color = Colors.Gray.WithAlpha(0.18);
            band.LineStyle.Width = 0;
            for (var i = 0; i < rows.Length; i++)
            {
                var cell = a.Cell(rows[i], c);
                var x = x0 + i * slot;
                if (cell.PaperRatio is { } pr) paperBars.Add(new Bar { Position = x, Value = pr, FillColor = ChartStyle.Paper, Size = barWidth });
                var here = cell.Raw.Median;
                hereBars.Add(new Bar { Position = x + barWidth, Value = here, FillColor = ChartStyle.Palette[0], Size = barWidth });
                ex.Add(x + barWidth);
                ey.Add(here);
                eLow.Add(here - cell.Raw.Min);
                eHigh.Add(cell.Raw.Max - here);
                top = Math.Max(top, Math.Max(cell.Raw.Max, cell.PaperRatio ?? 0));
                if (fused)
                {
                    var f = a.Cell(t.RowIndex(t.Rows[rows[i]].Label, fused: true), c);
                    fusedBars.Add(new Bar { Position = x + 2 * barWidth, Value = f.Raw.Median, FillColor = ChartStyle.Palette[4], Size = barWidth });
                    top = Math.Max(top, f.Raw.Max);
                }
                ticks.AddMajor(x + (barsPerRow - 1) * barWidth / 2, t.Rows[rows[i]].Label.Replace("-fragment-", "-frag\n"));
            }
        }
        for (var c = 0; c < t.Columns.Count; c++)
        {
            // Column names above each group: the bottom axis carries the row labels.
            var label = plot.Add.Text(t.Columns[c], c * group + (rows.Length * slot - 1) / 2, top * 1.12);
            label.LabelFontSize = 15;
            label.LabelBold = true;
            label.LabelAlignment = Alignment.LowerCenter;
        }
        var paper = plot.Add.Bars(paperBars);
        paper.LegendText = $"paper ({(t.Mode == GuidelineMode.Arm ? "ARM: Snapdragon 810, 1 thread" : "GPU: GTX 1080Ti")})";
        var ours = plot.Add.Bars(hereBars);
        ours.LegendText = $"LightNets here ({threads} thread{(threads == 1 ? "" : "s")}, median; whiskers min–max over rounds)";
        if (fused)
        {
            var fb = plot.Add.Bars(fusedBars);
            fb.LegendText = "LightNets here, ReLU/Add fused into the convolutions (÷ fused yes/yes)";
        }
        var errors = new ScottPlot.Plottables.ErrorBar(ex, ey, null, null, eHigh, eLow);
        plot.Add.Plottable(errors);
        errors.LineWidth = 1.5f;
        errors.Color = Colors.Black;
        var one = plot.Add.HorizontalLine(1, 1, Colors.Black, LinePattern.Dashed);
        one.LegendText = "reference = 1 (grey band: noise band ±ε of the column)";
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.SetLimits(-1, t.Columns.Count * group - 1.4, 0, top * 1.32);
        // Below the data, so that it never hides a bar or a column name.
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.FontSize = 12;
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        return ChartStyle.Save(plot, Path.Combine(directory, FileName(t)), 1200, 620);
    }
}
