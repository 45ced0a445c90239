using LightNets.Models;
using ScottPlot;
using static LightNets.Cli.Commands.CompareCommand;

namespace LightNets.Cli.Output.Charts;

/// <summary>
/// The ShuffleNetV2 paper's Fig. 1 on this machine: (c/d) speed against FLOPs and (a/b) accuracy against speed, one
/// colour per family, every point labelled. Both axes of the first and the latency axis of the second are logarithmic
/// (values plotted as log10 with 1-2-5 ticks), so that 40 M and 600 M MAC models share one chart.
/// </summary>
internal static class CompareCharts
{
    private static readonly ModelFamily[] Families = Enum.GetValues<ModelFamily>();
    private const int Width = 1100, Height = 700;

    public static string LatencyVsMacs(CompareResult r, string path)
    {
        var plot = ChartStyle.NewPlot($"Latency vs MACs (FLOPs), batch 1, {Threads(r)} — the ShuffleNetV2 paper's Fig. 1(c,d) here",
            "MACs per image (millions, log scale)", "latency (ms, log scale)");
        var labels = Points(plot, r, row => row.Cost.Macs / 1e6, row => row.LatencyMs, logY: true);
        var macs = r.Rows.Select(x => x.Cost.Macs / 1e6).ToArray();
        var ms = r.Rows.Select(x => x.LatencyMs).ToArray();
        if (r.HasOrt)
        {
            // ONNX Runtime on the same models in the same rounds: hollow grey markers, one per model, under the same MACs.
            var ort = plot.Add.ScatterPoints(macs.Select(Math.Log10).ToArray(), r.Rows.Select(x => Math.Log10(x.OrtLatencyMs)).ToArray(), Colors.Gray);
            ort.LegendText = "ONNX Runtime (same models)";
            ort.MarkerShape = MarkerShape.OpenCircle;
            ort.MarkerSize = 11;
            ms = [.. ms, .. r.Rows.Select(x => x.OrtLatencyMs)];
        }
        LogAxis(plot.Axes.Bottom, macs.Min() / 1.3, macs.Max() * 1.3, v => $"{v:0}");
        LogAxis(plot.Axes.Left, ms.Min() / 1.3, ms.Max() * 1.3, v => v < 1 ? $"{v:0.0#}" : $"{v:0}");
        ChartStyle.PlaceLabels(plot, Width, Height, labels);
        return ChartStyle.Save(plot, path, Width, Height);
    }

    public static string Top1VsLatency(CompareResult r, string path)
    {
        var plot = ChartStyle.NewPlot($"Published ImageNet top-1 vs latency measured here, batch 1, {Threads(r)}",
            "latency (ms, log scale)", "top-1 accuracy (%, published)");
        var withTop1 = r with { Rows = r.Rows.Where(x => x.Top1?.Top1 is not null).ToArray() };
        if (withTop1.Rows.Count > 0)
        {
            var labels = Points(plot, withTop1, row => row.LatencyMs, row => row.Top1!.Top1!.Value, logY: false);
            var ms = withTop1.Rows.Select(x => x.LatencyMs).ToArray();
            var top1 = withTop1.Rows.Select(x => x.Top1!.Top1!.Value).ToArray();
            LogAxis(plot.Axes.Bottom, ms.Min() / 1.3, ms.Max() * 1.3, v => v < 1 ? $"{v:0.0#}" : $"{v:0}");
            plot.Axes.SetLimitsY(Math.Floor(top1.Min() - 3), Math.Ceiling(top1.Max() + 2));
            ChartStyle.PlaceLabels(plot, Width, Height, labels);
        }
        return ChartStyle.Save(plot, path, Width, Height);
    }

    /// <summary>One marker series per family (for the legend) and a text label per point.</summary>
    private static List<(ScottPlot.Plottables.Text, Coordinates)> Points(Plot plot, CompareResult r, Func<CompareRow, double> x, Func<CompareRow, double> y, bool logY)
    {
        var labels = new List<(ScottPlot.Plottables.Text, Coordinates)>();
        double X(CompareRow row) => Math.Log10(x(row));
        double Y(CompareRow row) => logY ? Math.Log10(y(row)) : y(row);
        foreach (var family in Families)
        {
            var rows = r.Rows.Where(row => row.Entry.Family == family).OrderBy(x).ToArray();
            if (rows.Length == 0) continue;
            var color = ChartStyle.Palette[Array.IndexOf(Families, family) % ChartStyle.Palette.Length];
            var series = plot.Add.Scatter(rows.Select(X).ToArray(), rows.Select(Y).ToArray(), color);
            series.LegendText = family.ToString();
            series.MarkerSize = 11;
            series.LineWidth = 1;
            series.LinePattern = LinePattern.Dotted;
            foreach (var row in rows)
            {
                var label = plot.Add.Text(row.Headline.Label, X(row), Y(row));
                label.LabelFontSize = 12;
                label.LabelFontColor = color;
                labels.Add((label, new Coordinates(X(row), Y(row))));
            }
        }
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Legend.FontSize = 13;
        return labels;
    }

    private static string Threads(CompareResult r) => r.Threads == 1 ? "1 thread" : $"{r.Threads} threads";

    private static void LogAxis(IAxis axis, double min, double max, Func<double, string> label)
    {
        axis.TickGenerator = ChartStyle.LogTicks(min, max, label);
        axis.Min = Math.Log10(min);
        axis.Max = Math.Log10(max);
    }
}
