using LightNets.Experiments.Advice;
using ScottPlot;

namespace LightNets.Cli.Output.Charts;

/// <summary>
/// The ShuffleNetV2 paper's Fig. 2 for the user's network: every layer's share of the measured time (each op as its
/// own pass) against its share of the FLOPs, one colour per guideline. On the diagonal a layer costs what its FLOPs
/// say; above it, it costs more: element-wise ops sit on the time axis, unbalanced or grouped convolutions above it.
/// </summary>
internal static class AdviceChart
{
    private const int Width = 1100, Height = 720;

    private static readonly (GuidelineTag Tag, string Label, Color Color)[] Series =
    [
        (GuidelineTag.G1, "G1 unbalanced 1×1 conv", ChartStyle.Palette[1]),
        (GuidelineTag.G2, "G2 group conv (unbalanced ones also G1)", ChartStyle.Palette[4]),
        (GuidelineTag.G3, "G3 parallel fragment", ChartStyle.Palette[3]),
        (GuidelineTag.G4, "G4 element-wise, depthwise, data movement", ChartStyle.Palette[2]),
        (GuidelineTag.Dense, "dense conv (no guideline broken)", ChartStyle.Palette[0]),
        (GuidelineTag.Unattributed, "not attributed (pooling, FC, ...)", ChartStyle.Paper),
    ];

    public static string Write(AdviceResult r, string path)
    {
        var plot = ChartStyle.NewPlot($"{r.Graph.Name}: time share vs FLOPs share per layer, batch {r.Batch}, {r.Settings.Threads} thread(s)",
            "share of the MACs (FLOPs), %", "share of the measured time (each op as its own pass), %");
        var macs = (double)Math.Max(1, r.Macs);
        var total = Math.Max(r.TotalMicroseconds, 1e-9);
        double maxX = 1, maxY = 1;
        foreach (var (tag, label, color) in Series)
        {
            // Each layer under its primary tag, as in the summary table (a grouped unbalanced 1×1 conv is G2 here and in both findings).
            var ls = r.Layers.Where(l => l.Role.Primary == tag && (l.Microseconds > 0 || l.Macs > 0)).ToArray();
            if (ls.Length == 0) continue;
            var xs = ls.Select(l => 100 * l.Macs / macs).ToArray();
            var ys = ls.Select(l => 100 * l.Microseconds / total).ToArray();
            maxX = Math.Max(maxX, xs.Max());
            maxY = Math.Max(maxY, ys.Max());
            var points = plot.Add.ScatterPoints(xs, ys, color);
            points.MarkerSize = 8;
            var share = ls.Sum(l => l.Microseconds) / total;
            points.LegendText = $"{label}: {ls.Length} layer{(ls.Length == 1 ? "" : "s")}, {share * 100:0.#}% of time, {ls.Sum(l => l.Macs) / macs * 100:0.#}% of MACs";
        }
        var limit = Math.Max(maxX, maxY) * 1.1;
        var diagonal = plot.Add.Line(0, 0, limit, limit);
        diagonal.LineColor = Colors.Black.WithAlpha(0.5);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LegendText = "time share = FLOPs share";
        // The legend sits in the upper right, above the points: leave it room.
        plot.Axes.SetLimits(-maxX * 0.02, maxX * 1.1, -maxY * 0.02, maxY * 1.45);
        plot.ShowLegend(Alignment.UpperRight);
        plot.Legend.FontSize = 12;
        return ChartStyle.Save(plot, path, Width, Height);
    }
}
