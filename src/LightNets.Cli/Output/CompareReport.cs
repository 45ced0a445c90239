using System.Text;
using LightNets.Experiments;
using LightNets.Cli.Output.Charts;
using static LightNets.Cli.Commands.CompareCommand;

namespace LightNets.Cli.Output;

/// <summary>Renders <c>compare</c>: the evolution table (console, Markdown, JSON), the FLOPs-vs-speed observations and the charts.</summary>
internal static class CompareReport
{
    public const string LatencyChart = "latency-vs-macs.png";
    public const string AccuracyChart = "top1-vs-latency.png";

    public static IReadOnlyList<string> WriteFiles(CompareResult r, string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>
        {
            CompareCharts.LatencyVsMacs(r, Path.Combine(directory, LatencyChart)),
            CompareCharts.Top1VsLatency(r, Path.Combine(directory, AccuracyChart)),
        };
        var md = Path.Combine(directory, "compare.md");
        File.WriteAllText(md, Markdown(r, chartDirectory: ""));
        written.Add(md);
        var json = Path.Combine(directory, "compare.json");
        using (var w = new StreamWriter(json)) WriteJson(w, r);
        written.Add(json);
        return written;
    }

    private static TextTable Table(CompareResult r, bool markdown)
    {
        var title = markdown ? null : Title(r);
        List<Column> columns =
        [
            new("model"), new("family"), new("configuration"), new("params", true), new("MACs", true), new("MAC", true),
            new("latency ms", true), new("min–max ms", true),
        ];
        if (r.HasOrt) columns.AddRange([new("ORT ms", true), new("LightNets/ORT", true)]);
        columns.AddRange([new("MACs/ms", true), new("top-1 % (published)", true), new("top-1 source")]);
        var t = new TextTable(title, columns);
        foreach (var row in r.Rows)
        {
            var top1 = row.Top1;
            List<string> cells =
            [
                row.Headline.Model, row.Entry.Family.ToString(), row.Configuration, Fmt.Int(row.Cost.Params), Fmt.Int(row.Cost.Macs),
                Fmt.Int(row.Cost.MemoryAccess), Fmt.Num(row.LatencyMs, "0.000"),
                $"{Fmt.Num(row.RoundMedianMs.Min(), "0.000")}–{Fmt.Num(row.RoundMedianMs.Max(), "0.000")}",
            ];
            if (r.HasOrt) cells.AddRange([Fmt.Num(row.OrtLatencyMs, "0.000"), Fmt.Num(row.Ratio, "0.00")]);
            cells.AddRange([Fmt.Num(row.MacsPerMs / 1e6, "0.0") + "M", top1?.Top1 is { } v ? Fmt.Num(v, "0.0") : "", top1?.Source ?? ""]);
            t.Add([.. cells]);
        }
        return t;
    }

    private static string Title(CompareResult r) =>
        $"LightNets: the evolution of lightweight CNNs on this machine — batch 1, {r.Resolution}×{r.Resolution}, {GuidelinesReport.Threads(r.Threads)}, median of {r.Rounds} rounds";

    public static void WriteTable(TextWriter stdout, CompareResult r)
    {
        Table(r, markdown: false).Write(stdout, OutputFormat.Table);
        stdout.WriteLine($"Measured on {r.Machine} in {MachineInfo.Duration(r.Seconds)}. Top-1 is published (ImageNet, the source's table), not measured: the zoo's weights are random.");
        foreach (var line in Observations(r)) stdout.WriteLine(line);
    }

    public static string Markdown(CompareResult r, string? chartDirectory)
    {
        var sb = new StringBuilder();
        sb.Line("# The evolution of lightweight CNNs: cost and speed on this machine").Line("");
        sb.Line($"`lightnets compare{(r.Threads != 1 ? $" --threads {r.Threads}" : "")}` on {r.Machine}: batch 1, {r.Resolution}×{r.Resolution}, {GuidelinesReport.Threads(r.Threads)}, " +
                $"latency = median over {r.Rounds} interleaved rounds of each round's median run; took {MachineInfo.Duration(r.Seconds)}. " +
                "Top-1 is **published** ImageNet accuracy from the source named beside it, not measured (the zoo's weights are random).").Line("");
        using (var w = new StringWriter())
        {
            Table(r, markdown: true).Write(w, OutputFormat.Markdown);
            sb.Append(w);
        }
        sb.Line("");
        foreach (var line in Observations(r)) sb.Line($"- {line}");
        if (chartDirectory is not null)
        {
            sb.Line("").Line($"![latency vs MACs]({Path.Combine(chartDirectory, LatencyChart)})").Line("");
            sb.Line($"![published top-1 vs latency]({Path.Combine(chartDirectory, AccuracyChart)})");
        }
        return sb.ToString();
    }

    /// <summary>
    /// The point of the table in numbers: pairs of models whose MACs are within 15% of each other but whose latencies
    /// are not, and the spread of MACs per millisecond (what FLOPs would have to hold constant to predict speed).
    /// </summary>
    public static IEnumerable<string> Observations(CompareResult r)
    {
        var rows = r.Rows;
        if (rows.Count < 2) yield break;
        var pairs = rows.SelectMany((a, i) => rows.Skip(i + 1).Select(b => (a, b)))
            .Where(p => Math.Max(p.a.Cost.Macs, p.b.Cost.Macs) <= 1.15 * Math.Min(p.a.Cost.Macs, p.b.Cost.Macs))
            .Select(p => p.a.LatencyMs >= p.b.LatencyMs ? (slow: p.a, fast: p.b) : (slow: p.b, fast: p.a))
            .OrderByDescending(p => p.slow.LatencyMs / p.fast.LatencyMs).Take(3).ToArray();
        foreach (var (slow, fast) in pairs)
        {
            yield return $"FLOPs do not predict speed: {slow.Headline.Model} ({Fmt.Millions(slow.Cost.Macs)} MACs) takes {Fmt.Num(slow.LatencyMs / fast.LatencyMs, "0.00")}× " +
                         $"the time of {fast.Headline.Model} ({Fmt.Millions(fast.Cost.Macs)} MACs): {Fmt.Num(slow.LatencyMs, "0.00")} vs {Fmt.Num(fast.LatencyMs, "0.00")} ms.";
        }
        if (r.HasOrt)
        {
            var ratios = rows.Select(x => x.Ratio).ToArray();
            var slowest = rows.MaxBy(x => x.Ratio)!;
            var fastest = rows.MinBy(x => x.Ratio)!;
            yield return $"Against ONNX Runtime in the same rounds (LightNets time / ORT time, the median of per-round ratios): median {Fmt.Num(Stats.Median(ratios), "0.00")}, " +
                         $"from {Fmt.Num(fastest.Ratio, "0.00")} ({fastest.Headline.Model}) to {Fmt.Num(slowest.Ratio, "0.00")} ({slowest.Headline.Model}); " +
                         $"of {ratios.Length} models, LightNets is faster by more than 2% on {ratios.Count(v => v < 0.98)}, within ±2% on " +
                         $"{ratios.Count(v => v >= 0.98 && v <= 1.02)} and slower by more than 2% on {ratios.Count(v => v > 1.02)}.";
        }
        var best = rows.MaxBy(x => x.MacsPerMs)!;
        var worst = rows.MinBy(x => x.MacsPerMs)!;
        yield return $"MACs per ms range from {Fmt.Num(worst.MacsPerMs / 1e6, "0.0")}M ({worst.Headline.Model}) to {Fmt.Num(best.MacsPerMs / 1e6, "0.0")}M ({best.Headline.Model}): " +
                     $"a {Fmt.Num(best.MacsPerMs / worst.MacsPerMs, "0.0")}× spread in how fast a multiply-add runs, depending on the architecture.";
    }

    public static void WriteJson(TextWriter writer, CompareResult r) => Json.Write(writer, json =>
    {
        json.WriteStartObject();
        json.WriteString("machine", r.Machine);
        json.WriteNumber("threads", r.Threads);
        json.WriteNumber("rounds", r.Rounds);
        json.WriteNumber("resolution", r.Resolution);
        json.WriteNumber("seconds", Math.Round(r.Seconds, 1));
        json.WriteStartArray("models");
        foreach (var row in r.Rows)
        {
            json.WriteStartObject();
            json.WriteString("model", row.Headline.Model);
            json.WriteString("family", row.Entry.Family.ToString());
            json.WriteString("configuration", row.Configuration);
            json.WriteNumber("params", row.Cost.Params);
            json.WriteNumber("macs", row.Cost.Macs);
            json.WriteNumber("mac", row.Cost.MemoryAccess);
            json.WriteNumber("latency_ms", Math.Round(row.LatencyMs, 4));
            json.WriteStartArray("round_median_ms");
            foreach (var v in row.RoundMedianMs) json.WriteNumberValue(Math.Round(v, 4));
            json.WriteEndArray();
            if (row.OrtRoundMedianMs is { } ort)
            {
                json.WriteNumber("onnxruntime_ms", Math.Round(row.OrtLatencyMs, 4));
                json.WriteStartArray("onnxruntime_round_median_ms");
                foreach (var v in ort) json.WriteNumberValue(Math.Round(v, 4));
                json.WriteEndArray();
                json.WriteNumber("ratio", Math.Round(row.Ratio, 4));
            }
            json.WriteNumber("macs_per_ms", Math.Round(row.MacsPerMs));
            if (row.Top1 is { Top1: { } top1 } f)
            {
                json.WriteNumber("published_top1", top1);
                json.WriteString("published_top1_source", f.Source);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    });
}
