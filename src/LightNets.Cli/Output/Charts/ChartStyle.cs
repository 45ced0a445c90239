using ScottPlot;

namespace LightNets.Cli.Output.Charts;

/// <summary>Shared look of LightNets' PNG charts (ScottPlot 5).</summary>
internal static class ChartStyle
{
    private static readonly Lock Gate = new();
    private static bool _initialized;

    /// <summary>
    /// ScottPlot's default font lookup can pick a family that is not installed on a bare Linux box, and then every
    /// title and tick label is silently empty; DejaVu Sans ships with Debian's fontconfig.
    /// </summary>
    public static void Initialize()
    {
        lock (Gate)
        {
            if (_initialized) return;
            Fonts.Default = "DejaVu Sans";
            _initialized = true;
        }
    }

    /// <summary>A new plot with the shared fonts and sizes.</summary>
    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        Initialize();
        var plot = new Plot();
        plot.Title(title, 16);
        plot.XLabel(xLabel, 14);
        plot.YLabel(yLabel, 14);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        return plot;
    }

    /// <summary>One colour per series, readable on white and distinguishable in greyscale.</summary>
    public static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#d62728"), Color.FromHex("#2ca02c"), Color.FromHex("#9467bd"), Color.FromHex("#ff7f0e"),
        Color.FromHex("#8c564b"), Color.FromHex("#17becf"),
    ];

    public static readonly Color Paper = Color.FromHex("#9e9e9e");

    /// <summary>Ticks for a log10-transformed axis: majors at 1-2-5 steps inside [min, max], minors at the other integers of each decade.</summary>
    public static ScottPlot.TickGenerators.NumericManual LogTicks(double min, double max, Func<double, string> label)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        var lo = Math.Floor(Math.Log10(min));
        var hi = Math.Ceiling(Math.Log10(max));
        for (var decade = lo; decade <= hi; decade++)
        {
            for (var m = 1; m <= 9; m++)
            {
                var v = m * Math.Pow(10, decade);
                if (v < min || v > max) continue;
                if (m is 1 or 2 or 5) ticks.AddMajor(Math.Log10(v), label(v));
                else ticks.AddMinor(Math.Log10(v));
            }
        }
        return ticks;
    }

    /// <summary>
    /// Moves point labels so that they overlap neither each other nor the markers: renders once to learn where each
    /// point lands, then gives each label the first of eight positions around its point (right, left, above, below,
    /// the diagonals) that is free and inside the data area, or the least crowded one.
    /// </summary>
    public static void PlaceLabels(Plot plot, int width, int height, IReadOnlyList<(ScottPlot.Plottables.Text Label, Coordinates Point)> labels)
    {
        plot.GetImage(width, height);
        var area = plot.LastRender.DataRect;
        var taken = labels.Select(l => Box(plot.GetPixel(l.Point), -7, -7, 14, 14)).ToList();
        using var paint = Paint.NewDisposablePaint();
        foreach (var (label, point) in labels)
        {
            var px = plot.GetPixel(point);
            var size = label.LabelStyle.Measure(label.LabelText, paint).Size;
            float w = size.Width + 2, h = size.Height + 2;
            (float X, float Y)[] offsets =
                [(9, -h / 2), (-9 - w, -h / 2), (-w / 2, -h - 8), (-w / 2, 8), (6, -h - 4), (6, 4), (-w - 6, -h - 4), (-w - 6, 4)];
            var best = offsets.Select(o => (o, box: Box(px, o.X, o.Y, w, h)))
                .Select(c => (c.o, c.box, cost: taken.Sum(t => Overlap(t, c.box)) + Outside(area, c.box)))
                .MinBy(c => c.cost);
            label.LabelAlignment = Alignment.UpperLeft;
            label.OffsetX = best.o.X;
            label.OffsetY = best.o.Y;
            taken.Add(best.box);
        }
    }

    private static PixelRect Box(Pixel p, float dx, float dy, float w, float h) => new(new Pixel(p.X + dx, p.Y + dy), w, h);

    private static float Overlap(PixelRect a, PixelRect b)
    {
        var w = Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left);
        var h = Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top);
        return w > 0 && h > 0 ? w * h : 0;
    }

    private static float Outside(PixelRect area, PixelRect box) => box.Width * box.Height - Overlap(area, box);

    /// <summary>Renders and writes the PNG; returns the path.</summary>
    public static string Save(Plot plot, string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, width, height);
        return path;
    }
}
