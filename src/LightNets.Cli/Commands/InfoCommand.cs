using System.CommandLine;
using LightNets.Cli.Output;
using LightNets.Cost;
using LightNets.Graphs;
using LightNets.Models;

namespace LightNets.Cli.Commands;

/// <summary><c>lightnets info MODEL</c>: the layer table like the paper's, per-layer cost and the totals.</summary>
internal static class InfoCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new ModelSelection(weights: false);
        var format = FormatOption.Create(OutputFormat.Table, OutputFormat.Csv, OutputFormat.Json, OutputFormat.Markdown);
        var by = new ChoiceOption<InfoRows>("--by", "Rows: layer (conv/FC/pool with their BN and activation), block (paper-level units) or node.", InfoRows.Layer);
        var table = new ChoiceOption<InfoTable>("--table",
            "Which table: layers (the rows --by gives), totals, published (the papers' figures) or all. Default: all, but layers with --format csv " +
            "(a CSV holds one table; --out writes each to its own file).");
        var output = new Option<string?>("--out")
        {
            Description = "Also write each table as CSV into this directory: layers.csv, totals.csv, published.csv (created if missing).",
        };
        var allOps = new Option<bool>("--all-ops") { Description = "Count element-wise and data-movement traffic in the MAC column too." };
        var command = new ModelCommand("info",
            "Show a model's (or an ONNX file's) layer table like the paper's: operator, input, output, stride, params, MACs, memory access cost (MAC) and share of MACs, then the totals.",
            model)
        {
            format, by, table, output, allOps,
        };
        command.SetAction(p =>
        {
            var f = format.Get(p);
            var which = p.GetValue(table);
            if (f == OutputFormat.Json && which is not null)
                throw new CliUsageException("--table chooses among the table, csv and markdown outputs; --format json holds every table in one object");
            if (f == OutputFormat.Csv && which == InfoTable.All)
                throw new CliUsageException("a CSV holds one table: give --table layers, totals or published, or --out DIR to write each to its own file");
            var directory = p.GetValue(output) is { } o ? OutputPath.Directory(o, "--out") : null;

            var name = p.GetValue(model.Model)!;
            var graph = ModelSource.Load(model, p, model.Options(p).Batch ?? 1);
            var report = CostReport.Analyze(graph, p.GetValue(allOps) ? MemoryAccessMode.AllOps : MemoryAccessMode.ConvAndFc);
            var published = ModelSource.IsOnnxFile(name) ? [] : Published.For(name, model.Options(p)).ToArray();
            var rows = by.Get(p);
            if (f == OutputFormat.Json) WriteJson(stdout, report, published);
            else WriteTables(stdout, f, which ?? (f == OutputFormat.Csv ? InfoTable.Layers : InfoTable.All), report, rows, published);
            if (directory is not null)
            {
                var written = new List<string>();
                foreach (var (file, t) in new[]
                         {
                             ("layers.csv", InfoTables.Rows(report, rows, machine: true)),
                             ("totals.csv", InfoTables.Totals(report, machine: true)),
                             ("published.csv", InfoTables.Published(published, report, machine: true)),
                         })
                {
                    var path = Path.Combine(directory, file);
                    using (var writer = new StreamWriter(path)) t.Write(writer, OutputFormat.Csv);
                    written.Add(path);
                }
                stderr.WriteLine($"info: wrote {string.Join(", ", written)}");
            }
            return 0;
        });
        return command;
    }

    /// <summary>The tables asked for; people get titles and blank lines between them, a CSV exactly one table.</summary>
    private static void WriteTables(TextWriter stdout, OutputFormat format, InfoTable which, CostReport r, InfoRows rows, PublishedFigure[] published)
    {
        var machine = format == OutputFormat.Csv;
        var tables = new List<TextTable>();
        if (which is InfoTable.All or InfoTable.Layers) tables.Add(InfoTables.Rows(r, rows, machine));
        if (which is InfoTable.All or InfoTable.Totals) tables.Add(InfoTables.Totals(r, machine));
        // "all" leaves out an empty published table (an ONNX file, a configuration no source reports); asked for by name, it is printed, empty.
        if (which == InfoTable.Published || which == InfoTable.All && published.Length > 0) tables.Add(InfoTables.Published(published, r, machine));
        for (var i = 0; i < tables.Count; i++)
        {
            if (i > 0) stdout.WriteLine();
            tables[i].Write(stdout, format);
        }
    }

    /// <summary>An array of {name, shape} objects.</summary>
    private static void Values(System.Text.Json.Utf8JsonWriter json, string name, IEnumerable<(string Name, Tensors.Shape Shape)> values)
    {
        json.WriteStartArray(name);
        foreach (var (n, shape) in values)
        {
            json.WriteStartObject();
            json.WriteString("name", n);
            json.Shape("shape", shape);
            json.WriteEndObject();
        }
        json.WriteEndArray();
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
            if (g.Metadata.TryGetValue("small-input", out var small)) json.WriteString("small_input", small);
            // "resolution" and "input" describe a model's one input; "inputs" and "outputs" name every one.
            if (g.Inputs.Count == 1) json.WriteNumber("resolution", g.Inputs[0].Shape.H);
            json.WriteNumber("batch", r.Batch);
            if (g.Inputs.Count == 1) json.Shape("input", g.Inputs[0].Shape);
            Values(json, "inputs", g.Inputs.Select(i => (i.Name, i.Shape)));
            Values(json, "outputs", g.Outputs.Select(o => (o, g.ShapeOf(o))));
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
}
