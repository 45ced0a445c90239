using System.CommandLine;
using LightNets.Cli.Output;
using LightNets.Cost;
using LightNets.Graphs;
using LightNets.Models;

namespace LightNets.Cli.Commands;

/// <summary><c>lightnets info MODEL</c>: the layer table like the paper's, per-layer cost and the totals.</summary>
internal static class InfoCommand
{
    public static Command Create(TextWriter stdout)
    {
        var model = new ModelSelection();
        var format = FormatOption.Create("table", "csv", "json", "markdown");
        var by = FormatOption.Choice("--by", "Rows: layer (conv/FC/pool with their BN and activation, default), block (paper-level units) or node.",
            "layer", "block", "node");
        var allOps = new Option<bool>("--all-ops") { Description = "Count element-wise and data-movement traffic in the MAC column too." };
        var command = new Command("info",
            "Show a model's (or an ONNX file's) layer table like the paper's: operator, input, output, stride, params, MACs, memory access cost (MAC) and share of MACs, then the totals."
            )
        {
            format, by, allOps,
        };
        model.AddTo(command);
        command.SetAction(p =>
        {
            var name = p.GetValue(model.Model)!;
            var graph = ModelSource.Load(model, p, model.Options(p).Batch ?? 1);
            var report = CostReport.Analyze(graph, p.GetValue(allOps) ? MemoryAccessMode.AllOps : MemoryAccessMode.ConvAndFc);
            var published = ModelSource.IsOnnxFile(name) ? [] : Published.For(name, model.Options(p)).ToArray();
            var view = p.GetValue(by)!;
            var f = FormatOption.Get(p, format);
            if (f == OutputFormat.Json) WriteJson(stdout, report, published);
            else WriteTables(stdout, report, view, f, published);
            return 0;
        });
        return command;
    }

    private static void WriteTables(TextWriter stdout, CostReport r, string view, OutputFormat format, PublishedFigure[] published)
    {
        var machine = format == OutputFormat.Csv;
        Func<long, string> n = machine ? Fmt.Plain : Fmt.Int;
        var g = r.Graph;
        var title = machine ? null : $"{g.Name} — {Describe(g)}";
        TextTable table;
        switch (view)
        {
            case "block":
                table = new TextTable(title, [new("block"), new("input"), new("output"), new("params", true), new("MACs", true), new("MAC", true), new("share", true)]);
                foreach (var b in r.Blocks)
                    table.Add(b.Name, Fmt.Shape(b.Input), Fmt.Shape(b.Output), n(b.Params), n(b.Macs), n(b.MemoryAccess), Share(b.Macs, r));
                break;
            case "node":
                table = new TextTable(title, [new("#", true), new("node"), new("op"), new("input"), new("output"), new("params", true), new("MACs", true), new("MAC", true), new("share", true)]);
                var i = 0;
                foreach (var c in r.Nodes)
                    table.Add((i++).ToString(), c.Node.Name, LayerTable.Describe(g, c.Node), Fmt.Shape(c.Input), Fmt.Shape(c.Output), n(c.Params), n(c.Macs), n(c.MemoryAccess), Share(c.Macs, r));
                break;
            default:
                table = new TextTable(title, [new("#", true), new("layer"), new("operator"), new("input"), new("output"), new("stride", true), new("params", true), new("MACs", true), new("MAC", true), new("share", true)]);
                var j = 0;
                foreach (var row in LayerTable.Rows(r))
                    table.Add((j++).ToString(), row.Name, row.Operator, Fmt.Shape(row.Input), Fmt.Shape(row.Output), row.Stride.ToString(), n(row.Params), n(row.Macs), n(row.MemoryAccess), Share(row.Macs, r));
                break;
        }
        table.Write(stdout, format);
        if (!machine) stdout.WriteLine();
        Totals(r, machine).Write(stdout, format);
        if (published.Length == 0) return;
        if (!machine) stdout.WriteLine();
        var t = new TextTable(machine ? null : "Published figures for this network (each checked at the source's rounding)",
            [new("source"), new("MACs (M)", true), new("params (M)", true), new("top-1 %", true), new("reproduced")]);
        foreach (var fig in published)
        {
            t.Add(fig.Source, fig.MacsMillions is { } m ? Fmt.Num(m, "0.##") : "", fig.ParamsMillions is { } pm ? Fmt.Num(pm, "0.###") : "",
                fig.Top1 is { } top ? Fmt.Num(top, "0.0##") : "", Verdict(fig, r));
        }
        t.Write(stdout, format);
    }

    private static string Verdict(PublishedFigure f, CostReport r)
    {
        var parts = new List<string>();
        if (f.MacsMillions is not null) parts.Add(Published.MacsReproduce(f, r) ? "MACs yes" : $"MACs no ({f.MacsErratum ?? "differs"})");
        if (f.ParamsMillions is not null) parts.Add(Published.ParamsReproduce(f, r) ? "params yes" : $"params no ({f.ParamsErratum ?? "differs"})");
        return string.Join("; ", parts);
    }

    private static TextTable Totals(CostReport r, bool machine)
    {
        Func<long, string> n = machine ? Fmt.Plain : Fmt.Int;
        var t = new TextTable(machine ? null : "Totals", [new("quantity"), new("value", true), new("convention")]);
        t.Add("params", n(r.Params), "C1: weights + biases + BN γ/β (torchvision num_params)");
        t.Add("params no-BN", n(r.ParamsNoBatchNorm), "without BN γ/β (TF-slim MobileNetV2 README)");
        t.Add("params folded", n(r.ParamsFolded), "BN folded into conv biases");
        t.Add("params Keras", n(r.KerasParams), "C1 + BN running mean/var");
        t.Add("MACs", n(r.Macs), "conv + FC multiply-accumulates (the papers' FLOPs)");
        t.Add("MACs w/o classifier", n(r.MacsWithoutClassifier), r.Classifier is { } c ? $"minus {c.Node.Name}" : "no classifier found");
        t.Add("FLOPs(2x)", n(r.Flops2x), "2 × MACs");
        t.Add("MAC", n(r.MemoryAccess), r.Mode == MemoryAccessMode.AllOps ? "all ops: conv/FC + element-wise traffic" : "conv/FC input + output + weights (G1)");
        var other = CostReport.Analyze(r.Graph, r.Mode == MemoryAccessMode.AllOps ? MemoryAccessMode.ConvAndFc : MemoryAccessMode.AllOps);
        t.Add(other.Mode == MemoryAccessMode.AllOps ? "MAC all ops" : "MAC conv/FC", n(other.MemoryAccess),
            other.Mode == MemoryAccessMode.AllOps ? "also element-wise and data-movement traffic" : "conv/FC only (G1)");
        return t;
    }

    private static void WriteJson(TextWriter stdout, CostReport r, PublishedFigure[] published)
    {
        var g = r.Graph;
        var allOps = r.Mode == MemoryAccessMode.AllOps ? r : CostReport.Analyze(g, MemoryAccessMode.AllOps);
        Json.Write(stdout, json =>
        {
            json.WriteStartObject();
            json.WriteString("model", g.Name);
            foreach (var (key, value) in g.Metadata.Where(kv => kv.Key is "family" or "variant" or "layout" or "rounding"))
                json.WriteString(key, value);
            if (g.Metadata.TryGetValue("width", out var w)) json.WriteNumber("width", double.Parse(w, System.Globalization.CultureInfo.InvariantCulture));
            if (g.Metadata.TryGetValue("scale", out var s)) json.WriteNumber("scale", double.Parse(s, System.Globalization.CultureInfo.InvariantCulture));
            if (g.Metadata.TryGetValue("groups", out var gr)) json.WriteNumber("groups", int.Parse(gr, System.Globalization.CultureInfo.InvariantCulture));
            json.WriteNumber("resolution", g.Inputs[0].Shape.H);
            json.WriteNumber("batch", r.Batch);
            json.Shape("input", g.Inputs[0].Shape);
            json.WriteNumber("params", r.Params);
            json.WriteNumber("params_no_bn", r.ParamsNoBatchNorm);
            json.WriteNumber("params_folded", r.ParamsFolded);
            json.WriteNumber("params_keras", r.KerasParams);
            json.WriteNumber("macs", r.Macs);
            json.WriteNumber("macs_without_classifier", r.MacsWithoutClassifier);
            json.WriteNumber("flops_2x", r.Flops2x);
            json.WriteNumber("mac", r.Mode == MemoryAccessMode.AllOps ? CostReport.Analyze(g).MemoryAccess : r.MemoryAccess);
            json.WriteNumber("mac_all_ops", allOps.MemoryAccess);
            json.WriteStartArray("layers");
            foreach (var row in LayerTable.Rows(r))
            {
                json.WriteStartObject();
                json.WriteString("name", row.Name);
                json.WriteString("block", row.Block);
                json.WriteString("operator", row.Operator);
                json.WriteString("class", row.Class.ToString());
                json.Shape("input", row.Input);
                json.Shape("output", row.Output);
                json.WriteNumber("stride", row.Stride);
                json.WriteNumber("params", row.Params);
                json.WriteNumber("macs", row.Macs);
                json.WriteNumber("mac", row.MemoryAccess);
                json.WriteNumber("share", row.MacShare(r));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("blocks");
            foreach (var b in r.Blocks)
            {
                json.WriteStartObject();
                json.WriteString("name", b.Name);
                json.Shape("input", b.Input);
                json.Shape("output", b.Output);
                json.WriteNumber("params", b.Params);
                json.WriteNumber("macs", b.Macs);
                json.WriteNumber("mac", b.MemoryAccess);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("published");
            foreach (var f in published)
            {
                json.WriteStartObject();
                json.WriteString("source", f.Source);
                if (f.MacsMillions is { } m)
                {
                    json.WriteNumber("macs_millions", m);
                    json.WriteBoolean("macs_reproduced", Published.MacsReproduce(f, r));
                }
                if (f.ParamsMillions is { } pm)
                {
                    json.WriteNumber("params_millions", pm);
                    json.WriteString("params_convention", f.ParamsConvention.ToString());
                    json.WriteBoolean("params_reproduced", Published.ParamsReproduce(f, r));
                }
                if (f.Top1 is { } top) json.WriteNumber("top1", top);
                if (f.Erratum is { } e) json.WriteString("erratum", e);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private static string Share(long macs, CostReport r) => r.Macs == 0 ? "" : Fmt.Percent((double)macs / r.Macs);

    private static string Describe(Graph g)
    {
        var parts = g.Metadata.Where(kv => kv.Key != "family").Select(kv => $"{kv.Key} {kv.Value}");
        return $"{g.Metadata.GetValueOrDefault("family", "graph")} ({string.Join(", ", parts)}), input {Fmt.Shape(g.Inputs[0].Shape)}";
    }
}
