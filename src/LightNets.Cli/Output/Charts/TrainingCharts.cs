using LightNets.Training.Trainer;
using ScottPlot;

namespace LightNets.Cli.Output.Charts;

/// <summary>The charts of <c>lightnets train</c> and <c>lightnets evaluate</c>.</summary>
internal static class TrainingCharts
{
    private const int Width = 1100, Height = 650;

    /// <summary>Loss (left axis) and accuracy (right axis, %) per epoch: training and, when measured, validation.</summary>
    public static string LossAndAccuracy(string title, IReadOnlyList<EpochMetrics> history, string path)
    {
        var plot = ChartStyle.NewPlot(title, "epoch", "loss");
        var epochs = history.Select(h => (double)h.Epoch).ToArray();
        void Line(double[] ys, string label, Color color, bool right, LinePattern pattern)
        {
            var s = plot.Add.Scatter(epochs, ys, color);
            s.LegendText = label;
            s.LineWidth = 2;
            s.MarkerSize = 7;
            s.LinePattern = pattern;
            if (right) s.Axes.YAxis = plot.Axes.Right;
        }
        Line([.. history.Select(h => h.TrainLoss)], "training loss", ChartStyle.Palette[0], false, LinePattern.Solid);
        Line([.. history.Select(h => h.TrainAccuracy * 100)], "training accuracy (%)", ChartStyle.Palette[1], true, LinePattern.Solid);
        if (history.All(h => h.ValidationTop1 is not null))
        {
            Line([.. history.Select(h => h.ValidationLoss!.Value)], "validation loss", ChartStyle.Palette[0], false, LinePattern.Dashed);
            Line([.. history.Select(h => h.ValidationTop1!.Value * 100)], "validation top-1 (%)", ChartStyle.Palette[1], true, LinePattern.Dashed);
        }
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.Axes.Right.Label.FontSize = 14;
        plot.Axes.Right.TickLabelStyle.FontSize = 12;
        plot.Axes.SetLimitsX(0.5, Math.Max(1, history.Count) + 0.5);
        plot.Axes.SetLimitsY(0, Math.Max(0.1, history.Max(h => Math.Max(h.TrainLoss, h.ValidationLoss ?? 0)) * 1.1), plot.Axes.Left);
        plot.Axes.SetLimitsY(0, 100, plot.Axes.Right);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Alignment.MiddleRight);
        return ChartStyle.Save(plot, path, Width, Height);
    }

    /// <summary>The confusion matrix as a heat map: rows the true class, columns the predicted one, each row as shares of its images.</summary>
    public static string Confusion(string title, EvaluationResult result, IReadOnlyList<string> names, string path)
    {
        var k = result.Classes;
        var cells = new double[k, k];
        for (var t = 0; t < k; t++)
        {
            var total = Math.Max(1, result.PerClassImages[t]);
            for (var p = 0; p < k; p++) cells[t, p] = (double)result.Confusion![(long)t * k + p] / total;
        }
        var plot = ChartStyle.NewPlot(title, "predicted class", "true class");
        var map = plot.Add.Heatmap(cells);
        // White for none of a class's images, dark blue for all of them.
        map.Colormap = new ScottPlot.Colormaps.CustomInterpolated([Color.FromHex("#ffffff"), Color.FromHex("#6baed6"), Color.FromHex("#08306b")]);
        map.ManualRange = new ScottPlot.Range(0, 1);
        plot.Add.ColorBar(map).Label = "share of the true class's images";
        // Heatmap rows run from the top: row t sits at y = k − 1 − t.
        var xTicks = new ScottPlot.TickGenerators.NumericManual();
        var yTicks = new ScottPlot.TickGenerators.NumericManual();
        var labelled = k <= 40;
        for (var i = 0; i < k; i++)
        {
            var label = labelled ? Short(names.Count > i ? names[i] : i.ToString()) : "";
            xTicks.AddMajor(i, label);
            yTicks.AddMajor(k - 1 - i, label);
            if (k > 20) continue;
            for (var p = 0; p < k; p++)
            {
                if (result.Confusion![(long)i * k + p] == 0) continue;
                var text = plot.Add.Text($"{cells[i, p] * 100:0}", p, k - 1 - i);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = 11;
                text.LabelFontColor = cells[i, p] > 0.5 ? Colors.White : Colors.Black;
            }
        }
        plot.Axes.Bottom.TickGenerator = xTicks;
        plot.Axes.Left.TickGenerator = yTicks;
        plot.Axes.Bottom.TickLabelStyle.Rotation = labelled && k > 5 ? 45 : 0;
        plot.Axes.Bottom.TickLabelStyle.Alignment = labelled && k > 5 ? Alignment.UpperLeft : Alignment.UpperCenter;
        var size = Math.Clamp(200 + 48 * k, 700, 1600);
        return ChartStyle.Save(plot, path, size + 250, size);
    }

    private static string Short(string name) => name.Length <= 14 ? name : name[..13] + "…";
}
