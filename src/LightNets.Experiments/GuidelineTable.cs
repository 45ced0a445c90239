namespace LightNets.Experiments;

/// <summary>The four guidelines of the ShuffleNetV2 paper, one per table (Tables 1–4).</summary>
public enum Guideline
{
    /// <summary>Equal channel width minimizes memory access cost (Table 1).</summary>
    G1 = 1,

    /// <summary>Excessive group convolution increases memory access cost (Table 2).</summary>
    G2 = 2,

    /// <summary>Network fragmentation reduces the degree of parallelism (Table 3).</summary>
    G3 = 3,

    /// <summary>Element-wise operations are not negligible (Table 4).</summary>
    G4 = 4,
}

/// <summary>docs/GUIDELINES-SPEC.md §2: which of the paper's columns a run reproduces, and how.</summary>
public enum GuidelineMode
{
    /// <summary>Mode A, primary: the paper's ARM/CPU channel numbers, batch 1, one thread. All hard checks.</summary>
    Arm,

    /// <summary>Mode G, secondary: the paper's GPU channel numbers, batch 1, every core (2 here). Soft checks only.</summary>
    Gpu,
}

/// <summary>What a row is for in the analysis.</summary>
public enum RowRole
{
    /// <summary>The configuration every other row of its table is divided by (1:1, g = 1, 1-fragment, ReLU/shortcut yes/yes).</summary>
    Reference,

    /// <summary>A configuration the paper measured.</summary>
    Variant,

    /// <summary>A second instance of the reference, timed like any row: its ratio to the reference is the noise band of a table without a twin (§10).</summary>
    Duplicate,
}

/// <summary>
/// One row of a table: a configuration in every column, the paper's throughput per column (null for rows we add),
/// and whether it runs with the runtime's fusion on (the extra "fused" ablation; off is the spec's primary mode).
/// </summary>
public sealed record GuidelineRow(string Label, RowRole Role, IReadOnlyList<StackSpec> Stacks, IReadOnlyList<double>? Paper, bool Fused = false);

/// <summary>
/// One of the paper's Tables 1–4 in one mode, as typed rows: docs/GUIDELINES-SPEC.md's channel numbers per column, the paper's
/// images/s beside them. The first non-fused row is the reference; fused rows have their own fused reference.
/// </summary>
public sealed record GuidelineTable(
    Guideline Id,
    GuidelineMode Mode,
    string Title,
    string RowHeader,
    IReadOnlyList<string> Columns,
    IReadOnlyList<GuidelineRow> Rows,
    string PaperConclusion)
{
    /// <summary>"Table 1" … "Table 4".</summary>
    public string PaperTable => $"Table {(int)Id}";

    /// <summary>The paper's column group this table reproduces: "ARM" or "GPU".</summary>
    public string Platform => Mode == GuidelineMode.Arm ? "ARM" : "GPU";

    /// <summary>Index of the row that <paramref name="row"/>'s ratios are taken against.</summary>
    public int ReferenceOf(int row)
    {
        var fused = Rows[row].Fused;
        for (var i = 0; i < Rows.Count; i++)
        {
            if (Rows[i].Role == RowRole.Reference && Rows[i].Fused == fused) return i;
        }
        throw new InvalidOperationException($"{Id} has no {(fused ? "fused " : "")}reference row");
    }

    /// <summary>Index of the row labelled <paramref name="label"/> (fused or not).</summary>
    public int RowIndex(string label, bool fused = false)
    {
        for (var i = 0; i < Rows.Count; i++)
        {
            if (Rows[i].Label == label && Rows[i].Fused == fused) return i;
        }
        throw new ArgumentException($"{Id} has no {(fused ? "fused " : "")}row '{label}'", nameof(label));
    }

    /// <summary>Every (row, column) configuration, column by column.</summary>
    public IEnumerable<GuidelineCell> Cells =>
        Enumerable.Range(0, Columns.Count).SelectMany(c => Enumerable.Range(0, Rows.Count).Select(r => new GuidelineCell(this, r, c)));

    public GuidelineCell Cell(int row, int column) => new(this, row, column);
}

/// <summary>Identifies a configuration across tables and modes.</summary>
public readonly record struct CellKey(Guideline Table, GuidelineMode Mode, int Row, int Column)
{
    public override string ToString() => $"{Table}/{Mode.ToString().ToLowerInvariant()}/r{Row}/c{Column}";
}

/// <summary>One configuration: a row of a table in one column.</summary>
public sealed record GuidelineCell(GuidelineTable Table, int Row, int Column)
{
    public CellKey Key => new(Table.Id, Table.Mode, Row, Column);
    public GuidelineRow RowDef => Table.Rows[Row];
    public StackSpec Stack => RowDef.Stacks[Column];
    public bool Fused => RowDef.Fused;
    public double? PaperImagesPerSecond => RowDef.Paper?[Column];

    /// <summary>e.g. "G1 ARM ×1 1:2 (22,44)".</summary>
    public string Describe() =>
        $"{Table.Id} {Table.Platform} {Table.Columns[Column]} {RowDef.Label}{(Fused ? " (fused)" : "")} {Stack.Describe()}";
}
