namespace LightNets.Experiments;

/// <summary>A per-round ratio summarized over the kept rounds: median, min–max, and how many rounds were above 1.</summary>
public readonly record struct RatioSummary(double Median, double Min, double Max, int Rounds, int RoundsAboveOne)
{
    public static RatioSummary Of(IReadOnlyList<double> perRound)
    {
        var valid = perRound.Where(v => !double.IsNaN(v)).ToArray();
        return valid.Length == 0
            ? new RatioSummary(double.NaN, double.NaN, double.NaN, 0, 0)
            : new RatioSummary(Stats.Median(valid), valid.Min(), valid.Max(), valid.Length, valid.Count(v => v > 1));
    }
}

/// <summary>One configuration's results: throughput, its within-round ratio to the row's reference, its counts.</summary>
public sealed record CellResult(
    GuidelineCell Cell,
    StackCost Cost,
    double ImagesPerSecond,
    double MeanImagesPerSecond,
    RatioSummary Raw,
    RatioSummary Normalized,
    double? PaperRatio)
{
    /// <summary>FLOPs-normalized throughput: multiply-accumulates per second, in billions.</summary>
    public double GigaMacsPerSecond => Cost.Macs * ImagesPerSecond / 1e9;
}

/// <summary>
/// One column of a table: the rounds kept after dropping outliers (§10) and the noise band ε, measured from the twin
/// configurations (G3 1-fragment vs G2 g=1) or from the duplicated reference.
/// </summary>
public sealed record ColumnResult(int Column, IReadOnlyList<int> KeptRounds, bool TooNoisy, double Epsilon, double TwinDeviation, string EpsilonSource);

/// <summary>
/// Turns measurements into the numbers of one table: images/s (median over kept rounds of each round's median run),
/// ratios to the reference computed within each round and then summarized, FLOPs-normalized ratios, noise bands.
/// Pure: the same measurements always give the same result, so tests drive it with synthetic timings.
/// </summary>
public sealed class GuidelineAnalysis
{
    private readonly GuidelineMeasurements _m;
    private readonly ProtocolSettings _settings;
    private readonly ColumnResult[] _columns;

    public GuidelineAnalysis(GuidelineTable table, GuidelineMeasurements measurements, ProtocolSettings settings)
    {
        Table = table;
        _m = measurements;
        _settings = settings;
        _columns = Enumerable.Range(0, table.Columns.Count).Select(AnalyzeColumn).ToArray();
        Cells = table.Cells.Select(Result).ToArray();
    }

    public GuidelineTable Table { get; }
    public IReadOnlyList<ColumnResult> Columns => _columns;
    public IReadOnlyList<CellResult> Cells { get; }

    public CellResult Cell(int row, int column) => Cells.First(c => c.Cell.Row == row && c.Cell.Column == column);

    /// <summary>
    /// thr(a)/thr(b) in each kept round of <paramref name="column"/> (= time(b)/time(a) of the same round), optionally
    /// FLOPs-normalized (× MACs(a)/MACs(b)).
    /// </summary>
    public double[] Ratios(int a, int b, int column, bool normalized = false)
    {
        var ta = Seconds(a, column);
        var tb = Seconds(b, column);
        if (ta is null || tb is null) return [];
        var scale = normalized ? (double)Macs(a, column) / Macs(b, column) : 1.0;
        return _columns[column].KeptRounds.Select(r => tb[r] / ta[r] * scale).ToArray();
    }

    /// <summary>Summary of <see cref="Ratios"/>.</summary>
    public RatioSummary Ratio(int a, int b, int column, bool normalized = false) => RatioSummary.Of(Ratios(a, b, column, normalized));

    /// <summary>"X is faster than Y" (§10): median thr(X)/thr(Y) &gt; 1 + ε and at least ⌈2R/3⌉ kept rounds above 1.</summary>
    public bool Faster(int x, int y, int column, bool normalized = false)
    {
        var r = Ratio(x, y, column, normalized);
        return r.Median > 1 + _columns[column].Epsilon && r.RoundsAboveOne >= (int)Math.Ceiling(2.0 * r.Rounds / 3);
    }

    /// <summary>"X is not slower than Y" (§10): median thr(X)/thr(Y) ≥ 1 − ε.</summary>
    public bool NotSlower(int x, int y, int column, bool normalized = false) =>
        Ratio(x, y, column, normalized).Median >= 1 - _columns[column].Epsilon;

    private double[]? Seconds(int row, int column) => _m.Seconds(new CellKey(Table.Id, Table.Mode, row, column));

    private long Macs(int row, int column) => GuidelineCosts.Of(Table.Rows[row].Stacks[column], _m.Size).Macs;

    private ColumnResult AnalyzeColumn(int column)
    {
        var reference = Table.ReferenceOf(0);
        var t = Seconds(reference, column) ?? [];
        var median = Stats.Median(t);
        var kept = Enumerable.Range(0, t.Length)
            .Where(r => !double.IsNaN(t[r]) && Math.Abs(t[r] - median) <= _settings.OutlierTolerance * median).ToArray();
        var tooNoisy = kept.Length < Math.Min(_settings.MinKeptRounds, t.Length) || kept.Length == 0;
        var (deviation, source) = TwinDeviation(column);
        var epsilon = double.IsNaN(deviation) ? _settings.MinNoiseBand : Math.Max(_settings.MinNoiseBand, 2 * deviation);
        return new ColumnResult(column, kept, tooNoisy, epsilon, deviation, source);
    }

    /// <summary>Median over rounds of |1 − thr(twin)/thr(reference)|, and which twin gave it.</summary>
    private (double Deviation, string Source) TwinDeviation(int column)
    {
        double[]? a, b;
        string source;
        if (Table.Id is Guideline.G2 or Guideline.G3)
        {
            a = _m.Seconds(new CellKey(Guideline.G2, Table.Mode, 0, column));
            b = _m.Seconds(new CellKey(Guideline.G3, Table.Mode, 0, column));
            source = "G3 1-fragment vs G2 g=1 (the same network)";
        }
        else
        {
            var dup = Enumerable.Range(0, Table.Rows.Count).FirstOrDefault(i => Table.Rows[i].Role == RowRole.Duplicate, -1);
            a = Seconds(0, column);
            b = dup < 0 ? null : Seconds(dup, column);
            source = dup < 0 ? "no twin" : $"{Table.Rows[dup].Label} vs {Table.Rows[0].Label} (a second instance)";
        }
        if (a is null || b is null || a.Length != b.Length) return (double.NaN, source + " not measured: the floor");
        return (Stats.Median(a.Zip(b, (x, y) => Math.Abs(1 - x / y))), source);
    }

    private CellResult Result(GuidelineCell cell)
    {
        var t = Seconds(cell.Row, cell.Column);
        var kept = _columns[cell.Column].KeptRounds;
        var median = t is null ? double.NaN : Stats.Median(kept.Select(r => t[r]));
        var means = _m.Cells.TryGetValue(cell.Key, out var cm) ? Stats.Median(kept.Select(r => cm.RoundMeanSeconds[r])) : double.NaN;
        var reference = Table.ReferenceOf(cell.Row);
        var paper = cell.PaperImagesPerSecond is { } p && Table.Rows[reference].Paper?[cell.Column] is { } pr ? p / pr : (double?)null;
        return new CellResult(cell, GuidelineCosts.Of(cell.Stack, _m.Size), _m.Batch / median, _m.Batch / means,
            Ratio(cell.Row, reference, cell.Column), Ratio(cell.Row, reference, cell.Column, normalized: true), paper);
    }
}
