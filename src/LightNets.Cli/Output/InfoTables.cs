using System.Globalization;
using LightNets.Cli.Commands;
using LightNets.Cost;
using LightNets.Graphs;
using LightNets.Models;

namespace LightNets.Cli.Output;

/// <summary>
/// <c>info</c>'s three tables — the rows (layers, blocks or nodes), the totals, the published figures — each built
/// for people (thousands separators, "%", titles) or for machines (CSV: plain numbers, shares as fractions of 1,
/// yes/no as true/false, headers named like the JSON fields).
/// </summary>
internal static class InfoTables
{
    /// <summary>The rows as <paramref name="rows"/> says.</summary>
    public static TextTable Rows(CostReport r, InfoRows rows, bool machine)
    {
        var title = machine ? null : $"{r.Graph.Name} — {Describe(r.Graph)}";
        TextTable table;
        switch (rows)
        {
            case InfoRows.Block:
                table = new TextTable(title, [Text("block", "name"), Text("input"), Text("output"), Number("params"), Number("MACs", "macs"), Number("MAC", "mac"), Number("share")]);
                foreach (var b in r.Blocks)
                    table.Add(b.Name, Fmt.Shape(b.Input), Fmt.Shape(b.Output), Count(b.Params), Count(b.Macs), Count(b.MemoryAccess), Share(b.Macs));
                break;
            case InfoRows.Node:
                table = new TextTable(title, [Number("#", "index"), Text("node", "name"), Text("op", "operator"), Text("input"), Text("output"), Number("params"),
                    Number("MACs", "macs"), Number("MAC", "mac"), Number("share")]);
                var i = 0;
                foreach (var c in r.Nodes)
                    table.Add((i++).ToString(CultureInfo.InvariantCulture), c.Node.Name, LayerTable.Describe(r.Graph, c.Node), Fmt.Shape(c.Input), Fmt.Shape(c.Output),
                        Count(c.Params), Count(c.Macs), Count(c.MemoryAccess), Share(c.Macs));
                break;
            default:
                table = new TextTable(title, [Number("#", "index"), Text("layer", "name"), Text("operator"), Text("input"), Text("output"), Number("stride"),
                    Number("params"), Number("MACs", "macs"), Number("MAC", "mac"), Number("share")]);
                var j = 0;
                foreach (var row in LayerTable.Rows(r))
                    table.Add((j++).ToString(CultureInfo.InvariantCulture), row.Name, row.Operator, Fmt.Shape(row.Input), Fmt.Shape(row.Output),
                        row.Stride.ToString(CultureInfo.InvariantCulture), Count(row.Params), Count(row.Macs), Count(row.MemoryAccess), Share(row.Macs));
                break;
        }
        return table;

        Column Text(string header, string? key = null) => new(machine ? key ?? header : header);
        Column Number(string header, string? key = null) => new(machine ? key ?? header : header, true);
        string Count(long v) => machine ? Fmt.Plain(v) : Fmt.Int(v);
        string Share(long macs) => r.Macs == 0 ? "" : machine ? Fraction((double)macs / r.Macs) : Fmt.Percent((double)macs / r.Macs);
    }

    /// <summary>Every total under its convention; for machines the quantity is the JSON field's name.</summary>
    public static TextTable Totals(CostReport r, bool machine)
    {
        var t = new TextTable(machine ? null : "Totals", [new("quantity"), new("value", true), new("convention")]);
        void Add(string human, string key, long value, string convention) =>
            t.Add(machine ? key : human, machine ? Fmt.Plain(value) : Fmt.Int(value), convention);
        Add("params", "params", r.Params, "C1: weights + biases + BN γ/β (torchvision num_params)");
        Add("params no-BN", "params_no_bn", r.ParamsNoBatchNorm, "without BN γ/β (TF-slim MobileNetV2 README)");
        Add("params folded", "params_folded", r.ParamsFolded, "BN folded into conv biases");
        Add("params Keras", "params_keras", r.KerasParams, "C1 + BN running mean/var");
        Add("MACs", "macs", r.Macs, "conv + FC multiply-accumulates (the papers' FLOPs)");
        Add("MACs w/o classifier", "macs_without_classifier", r.MacsWithoutClassifier, r.Classifier is { } c ? $"minus {c.Node.Name}" : "no classifier found");
        Add("FLOPs(2x)", "flops_2x", r.Flops2x, "2 × MACs");
        var convAndFc = r.Mode == MemoryAccessMode.ConvAndFc ? r : CostReport.Analyze(r.Graph, MemoryAccessMode.ConvAndFc);
        var allOps = r.Mode == MemoryAccessMode.AllOps ? r : CostReport.Analyze(r.Graph, MemoryAccessMode.AllOps);
        const string g1 = "conv/FC input + output + weights (G1)";
        if (machine)
        {
            // Fixed names whatever --all-ops says, as in the JSON.
            Add("", "mac", convAndFc.MemoryAccess, g1);
            Add("", "mac_all_ops", allOps.MemoryAccess, "also element-wise and data-movement traffic");
        }
        else if (r.Mode == MemoryAccessMode.AllOps)
        {
            // People see the mode they asked for first.
            Add("MAC", "", allOps.MemoryAccess, "all ops: conv/FC + element-wise traffic");
            Add("MAC conv/FC", "", convAndFc.MemoryAccess, "conv/FC only (G1)");
        }
        else
        {
            Add("MAC", "", convAndFc.MemoryAccess, g1);
            Add("MAC all ops", "", allOps.MemoryAccess, "also element-wise and data-movement traffic");
        }
        return t;
    }

    /// <summary>The published figures and whether this configuration reproduces them.</summary>
    public static TextTable Published(IReadOnlyList<PublishedFigure> figures, CostReport r, bool machine)
    {
        if (!machine)
        {
            var human = new TextTable("Published figures for this network (each checked at the source's rounding)",
                [new("source"), new("MACs (M)", true), new("params (M)", true), new("top-1 %", true), new("reproduced")]);
            foreach (var f in figures)
                human.Add(f.Source, f.MacsMillions is { } m ? Fmt.Num(m, "0.##") : "", f.ParamsMillions is { } pm ? Fmt.Num(pm, "0.###") : "",
                    f.Top1 is { } top ? Fmt.Num(top, "0.0##") : "", Verdict(f, r));
            return human;
        }
        var t = new TextTable(null, [new("source"), new("macs_millions", true), new("macs_reproduced"), new("params_millions", true),
            new("params_convention"), new("params_reproduced"), new("top1", true), new("erratum")]);
        foreach (var f in figures)
        {
            t.Add(f.Source,
                f.MacsMillions is { } m ? Exact(m) : "", f.MacsMillions is null ? "" : Bool(Models.Published.MacsReproduce(f, r)),
                f.ParamsMillions is { } pm ? Exact(pm) : "", f.ParamsMillions is null ? "" : f.ParamsConvention.ToString(),
                f.ParamsMillions is null ? "" : Bool(Models.Published.ParamsReproduce(f, r)),
                f.Top1 is { } top ? Exact(top) : "", f.Erratum ?? "");
        }
        return t;
    }

    private static string Verdict(PublishedFigure f, CostReport r)
    {
        var parts = new List<string>();
        if (f.MacsMillions is not null) parts.Add(Models.Published.MacsReproduce(f, r) ? "MACs yes" : $"MACs no ({f.MacsErratum ?? "differs"})");
        if (f.ParamsMillions is not null) parts.Add(Models.Published.ParamsReproduce(f, r) ? "params yes" : $"params no ({f.ParamsErratum ?? "differs"})");
        return string.Join("; ", parts);
    }

    private static string Describe(Graph g)
    {
        var parts = g.Metadata.Where(kv => kv.Key != "family").Select(kv => $"{kv.Key} {kv.Value}");
        var io = g.Inputs.Count == 1 ? $"input {Fmt.Shape(g.Inputs[0].Shape)}" : $"inputs {ModelSource.Inputs(g)}";
        if (g.Outputs.Distinct().Count() > 1) io += $"; outputs {ModelSource.Outputs(g)}";
        return $"{g.Metadata.GetValueOrDefault("family", "graph")} ({string.Join(", ", parts)}), {io}";
    }

    /// <summary>A share as a fraction of 1, to 9 decimals (a layer of 1 MAC in a 10⁹-MAC model still shows).</summary>
    private static string Fraction(double v) => v.ToString("0.#########", CultureInfo.InvariantCulture);

    /// <summary>A published figure as printed by its source (shortest round-trip form).</summary>
    private static string Exact(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Bool(bool v) => v ? "true" : "false";
}
