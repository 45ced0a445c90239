using System.Text;
using LightNets.Cli.Output.Charts;
using LightNets.Experiments.Advice;

namespace LightNets.Cli.Output;

/// <summary>Renders an <see cref="AdviceResult"/> as console tables, Markdown or JSON, and writes the files of <c>--out</c>.</summary>
internal static class AdviceReport
{
    public const string ChartFile = "advice.png";

    /// <summary>report.md, advice.json and the chart in <paramref name="directory"/>; returns their paths.</summary>
    public static IReadOnlyList<string> WriteFiles(AdviceResult r, string directory)
    {
        var chart = AdviceChart.Write(r, Path.Combine(directory, ChartFile));
        var md = Path.Combine(directory, "report.md");
        File.WriteAllText(md, Markdown(r, ChartFile));
        var json = Path.Combine(directory, "advice.json");
        using (var writer = new StreamWriter(json, false, new UTF8Encoding(false))) WriteJson(writer, r);
        return [chart, md, json];
    }

    public static string Headline(AdviceResult r) =>
        $"{r.Graph.Name}: batch {r.Batch}, {r.Settings.Threads} thread(s), {Fmt.Int(r.Macs)} MACs; {r.Machine}. " +
        $"Fused plan {Fmt.Num(r.Timing.FusedStepsMs, "0.000")} ms, each op as its own pass {Fmt.Num(r.Timing.UnfusedStepsMs, "0.000")} ms " +
        $"(sums of per-step medians; end-to-end medians {Fmt.Num(r.Timing.FusedMs, "0.000")} and {Fmt.Num(r.Timing.UnfusedMs, "0.000")} ms; " +
        $"{Fmt.Num(r.MicrosecondsPerMegaMac, "0.00")} µs per million MACs). " +
        $"Time at stake in guideline violations: {AdviceFindings.P(r.AtStakeShare)} of the time (the score; lower is better).";

    public static void WriteTable(TextWriter stdout, AdviceResult r)
    {
        stdout.WriteLine(Headline(r));
        stdout.WriteLine();
        stdout.WriteLine("Findings, ranked by measured time at stake:");
        WriteFindings(stdout, r, markdown: false);
        stdout.WriteLine();
        Summary(r).Write(stdout, OutputFormat.Table);
        stdout.WriteLine(UnattributedLine(r));
        stdout.WriteLine();
        TopLayers(r, 15).Write(stdout, OutputFormat.Table);
    }

    public static string Markdown(AdviceResult r, string? chart)
    {
        var w = new StringWriter();
        w.WriteLine($"# `lightnets advise` {Path.GetFileName(r.Model)}");
        w.WriteLine();
        w.WriteLine(Headline(r));
        w.WriteLine();
        w.WriteLine("## Findings, ranked by measured time at stake");
        w.WriteLine();
        WriteFindings(w, r, markdown: true);
        w.WriteLine();
        Summary(r).Write(w, OutputFormat.Markdown);
        w.WriteLine();
        w.WriteLine(UnattributedLine(r));
        w.WriteLine();
        if (chart is not null)
        {
            w.WriteLine($"![time share vs FLOPs share per layer]({chart})");
            w.WriteLine();
        }
        TopLayers(r, 25).Write(w, OutputFormat.Markdown);
        w.WriteLine();
        w.WriteLine(Method);
        return w.ToString();
    }

    private const string Method =
        "How: the network runs with fusion on (as it normally runs) and with each op as its own pass (the paper's Fig. 2 accounting), " +
        "in alternating rounds; every time is a median of per-round medians. Each layer that breaks G1, G2 or G4 (depthwise) is then timed alone " +
        "beside the layer the guideline proposes at equal FLOPs (G1: c1 = c2 at the same groups; G2: no groups; depthwise: a dense 1×1 convolution; " +
        "G3: the convolutions that read one input as one convolution), and the fraction the proposal saves is applied to the layer's time in the network. " +
        "Element-wise and data-movement ops put their whole time at stake. Findings below 1 % of the time are listed but not named.";

    private static void WriteFindings(TextWriter w, AdviceResult r, bool markdown)
    {
        if (r.Findings.Count == 0) w.WriteLine(markdown ? "- none: no layer breaks a guideline" : "  none: no layer breaks a guideline");
        var rank = 0;
        foreach (var f in r.Findings)
        {
            rank++;
            var status = f.Named ? "" : $" (below the {AdviceFindings.P(r.Settings.MinShare)} threshold: not named)";
            var head = $"{rank}. {f.Id} {f.Title}: {AdviceFindings.Us(f.AtStakeMicroseconds)} at stake ({AdviceFindings.P(f.AtStakeMicroseconds / Math.Max(r.TotalMicroseconds, 1e-9))} of the time){status}";
            if (markdown)
            {
                w.WriteLine($"{rank}. **{f.Id} {f.Title}**: {AdviceFindings.Us(f.AtStakeMicroseconds)} at stake ({AdviceFindings.P(f.AtStakeMicroseconds / Math.Max(r.TotalMicroseconds, 1e-9))} of the time){status}. {f.Numbers}; {f.Change}.");
            }
            else
            {
                w.WriteLine(head);
                w.WriteLine($"   {f.Numbers};");
                w.WriteLine($"   {f.Change}.");
            }
        }
    }

    private static TextTable Summary(AdviceResult r)
    {
        var t = new TextTable("Time by guideline (each layer under its main tag; each op as its own pass)",
            [new("tag"), new("layers", true), new("µs", true), new("time share", true), new("MACs share", true), new("at stake µs", true)]);
        foreach (var c in AdviceFindings.Summary(r))
            t.Add(Tag(c.Tag), c.Layers.ToString(), Fmt.Num(c.Microseconds, "0.0"), Fmt.Percent(c.TimeShare), Fmt.Percent(c.MacShare), Fmt.Num(c.AtStakeMicroseconds, "0.0"));
        return t;
    }

    private static string UnattributedLine(AdviceResult r) => r.Unattributed.Count == 0
        ? "Not attributed to any guideline: nothing."
        : "Not attributed to any guideline (the guidelines say nothing about them): " +
          string.Join("; ", r.Unattributed.Select(u => $"{u.Kind} ×{u.Count}, {Fmt.Percent(u.TimeShare)} of the time for {Fmt.Percent(u.MacShare)} of the MACs")) + ".";

    private static TextTable TopLayers(AdviceResult r, int count)
    {
        var t = new TextTable($"The {count} slowest layers (each op as its own pass)",
            [new("layer"), new("kind"), new("tag"), new("c1:c2"), new("µs", true), new("time share", true), new("MACs share", true), new("at stake µs", true)]);
        var macs = (double)Math.Max(1, r.Macs);
        foreach (var l in r.Layers.OrderByDescending(l => l.Microseconds).Take(count))
            t.Add(l.Node.Name, l.Role.Kind + (l.Role.Groups > 1 && l.Role.Kind != "depthwise conv" ? $" g{l.Role.Groups}" : ""), string.Join("+", l.Role.Tags.Select(Tag).DefaultIfEmpty(Tag(l.Role.Primary))),
                l.Role.Ratio, Fmt.Num(l.Microseconds, "0.0"), Fmt.Percent(l.Microseconds / Math.Max(r.TotalMicroseconds, 1e-9)), Fmt.Percent(l.Macs / macs),
                Fmt.Num(l.AtStakeMicroseconds, "0.0"));
        return t;
    }

    public static string Tag(GuidelineTag tag) => tag switch
    {
        GuidelineTag.Dense => "dense (no guideline broken)",
        GuidelineTag.Unattributed => "not attributed",
        _ => tag.ToString(),
    };

    public static void WriteJson(TextWriter stdout, AdviceResult r) => Json.Write(stdout, json =>
    {
        json.WriteStartObject();
        json.WriteString("model", r.Model);
        json.WriteString("graph", r.Graph.Name);
        json.WriteNumber("batch", r.Batch);
        json.WriteNumber("threads", r.Settings.Threads);
        json.WriteString("machine", r.Machine);
        json.WriteNumber("macs", r.Macs);
        json.WriteNumber("fused_ms", r.Timing.FusedStepsMs);
        json.WriteNumber("unfused_ms", r.Timing.UnfusedStepsMs);
        json.WriteNumber("fused_end_to_end_ms", r.Timing.FusedMs);
        json.WriteNumber("unfused_end_to_end_ms", r.Timing.UnfusedMs);
        json.WriteNumber("per_op_total_us", r.TotalMicroseconds);
        json.WriteNumber("us_per_mmac", r.MicrosecondsPerMegaMac);
        json.WriteNumber("at_stake_share", r.AtStakeShare);
        json.WriteNumber("rounds", r.Timing.Rounds);
        json.WriteStartArray("named_guidelines");
        foreach (var g in r.Named) json.WriteStringValue(g.ToString());
        json.WriteEndArray();
        json.WriteStartArray("findings");
        foreach (var f in r.Findings)
        {
            json.WriteStartObject();
            json.WriteString("guideline", f.Id);
            json.WriteString("title", f.Title);
            json.WriteBoolean("named", f.Named);
            json.WriteNumber("at_stake_us", f.AtStakeMicroseconds);
            json.WriteNumber("at_stake_share", r.TotalMicroseconds > 0 ? f.AtStakeMicroseconds / r.TotalMicroseconds : 0);
            json.WriteNumber("time_us", f.Microseconds);
            json.WriteNumber("time_share", f.TimeShare);
            json.WriteNumber("mac_share", f.MacShare);
            json.WriteString("pattern", f.LayerPattern);
            json.WriteString("numbers", f.Numbers);
            json.WriteString("change", f.Change);
            json.WriteStartObject("figures");
            foreach (var (k, v) in f.Figures.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteNumber(k, double.IsFinite(v) ? v : 0);
            json.WriteEndObject();
            json.WriteStartArray("layers");
            foreach (var n in f.Layers) json.WriteStringValue(n);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("summary");
        foreach (var c in AdviceFindings.Summary(r))
        {
            json.WriteStartObject();
            json.WriteString("tag", c.Tag.ToString());
            json.WriteNumber("layers", c.Layers);
            json.WriteNumber("time_us", c.Microseconds);
            json.WriteNumber("time_share", c.TimeShare);
            json.WriteNumber("mac_share", c.MacShare);
            json.WriteNumber("at_stake_us", c.AtStakeMicroseconds);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("unattributed");
        foreach (var u in r.Unattributed)
        {
            json.WriteStartObject();
            json.WriteString("kind", u.Kind);
            json.WriteNumber("count", u.Count);
            json.WriteNumber("time_us", u.Microseconds);
            json.WriteNumber("time_share", u.TimeShare);
            json.WriteNumber("mac_share", u.MacShare);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("layers");
        foreach (var l in r.Layers)
        {
            json.WriteStartObject();
            json.WriteString("name", l.Node.Name);
            json.WriteString("op", l.Node.Kind.ToString());
            json.WriteString("kind", l.Role.Kind);
            json.WriteString("tag", l.Role.Primary.ToString());
            json.WriteStartArray("tags");
            foreach (var t in l.Role.Tags) json.WriteStringValue(t.ToString());
            json.WriteEndArray();
            if (l.Role.InChannels > 0)
            {
                json.WriteNumber("c1", l.Role.InChannels);
                json.WriteNumber("c2", l.Role.OutChannels);
                json.WriteNumber("groups", l.Role.Groups);
            }
            json.WriteNumber("macs", l.Macs);
            json.WriteNumber("memory_access", l.MemoryAccess);
            json.WriteNumber("time_us", l.Microseconds);
            json.WriteNumber("at_stake_us", l.AtStakeMicroseconds);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    });
}
