using System.Text;
using System.Text.Json;
using LightNets.Cli.Output.Charts;
using LightNets.Experiments;
using static LightNets.Cli.Commands.GuidelinesCommand;

namespace LightNets.Cli.Output;

/// <summary>Renders a <c>guidelines</c> run: the Markdown report (tables beside the paper's, verdicts, charts) and JSON.</summary>
internal static class GuidelinesReport
{
    /// <summary>Writes the charts, report.md and results.json into the run's output directory; returns their paths.</summary>
    public static IReadOnlyList<string> WriteFiles(GuidelineResult r)
    {
        var dir = r.Options.OutDir;
        Directory.CreateDirectory(dir);
        var written = r.Verdicts.Select(v => GuidelineCharts.Write(v, dir, r.Options.ThreadsFor(v.Table.Mode))).ToList();
        var report = Path.Combine(dir, "report.md");
        File.WriteAllText(report, Markdown(r, chartDirectory: ""));
        var json = Path.Combine(dir, "results.json");
        using (var writer = new StreamWriter(json)) WriteJson(writer, r);
        written.Add(report);
        written.Add(json);
        return written;
    }

    /// <summary>
    /// The report. <paramref name="chartDirectory"/> is where the Markdown finds the charts relative to itself ("" inside
    /// the output directory); null leaves the images out (stdout).
    /// </summary>
    public static string Markdown(GuidelineResult r, string? chartDirectory)
    {
        var o = r.Options;
        var sb = new StringBuilder();
        var command = "lightnets guidelines" + (o.Quick ? " --quick" : "") + (o.Modes.Count == 2 ? " --mode both" : o.Modes[0] == GuidelineMode.Gpu ? " --mode gpu" : "") +
                      (o.Threads is { } t ? $" --threads {t}" : "");
        sb.Line("# ShuffleNetV2's guideline experiments (Tables 1–4) on this machine").Line("");
        sb.Line($"`{command}` on {r.Machine}. " +
                $"{string.Join("; ", o.Modes.Select(m => $"{m.ToString().ToUpperInvariant()}-like mode: the paper's {(m == GuidelineMode.Arm ? "ARM" : "GPU")} channel numbers, batch 1, {Threads(o.ThreadsFor(m))}"))}; " +
                $"{o.Size}×{o.Size} feature maps, 10 stacked blocks, no BN, element-wise ops as separate passes. " +
                $"Took {MachineInfo.Duration(r.Seconds)} (expected {MachineInfo.Duration(r.ExpectedSeconds)}).").Line("");
        sb.Line("## Verdicts").Line("");
        foreach (var v in r.Verdicts) sb.Line($"- {v.Line()}");
        sb.Line("");
        foreach (var v in r.Verdicts) Table(sb, v, chartDirectory);
        Protocol(sb, r);
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, TableVerdict v, string? chartDirectory)
    {
        var a = v.Analysis;
        var t = a.Table;
        sb.Line($"## {t.PaperTable} ({t.Id}): {t.Title} — {t.Platform} columns").Line("");
        if (chartDirectory is not null) sb.Line($"![{t.PaperTable} ({t.Id}), paper vs here]({Path.Combine(chartDirectory, GuidelineCharts.FileName(t))})").Line("");
        sb.Line($"Paper's conclusion: {t.PaperConclusion}").Line("");
        var elementwise = t.Id is Guideline.G3 or Guideline.G4;
        sb.Line($"| column | {t.RowHeader} | channels | FLOPs (MACs) | vs ref | theo. MAC |{(elementwise ? " element-wise elements |" : "")} paper images/s | paper ratio | images/s here | ratio here [min–max] | GMAC/s here |");
        sb.Line($"|---|---|---|---:|---:|---:|{(elementwise ? "---:|" : "")}---:|---:|---:|---:|---:|");
        foreach (var c in a.Cells)
        {
            var cell = c.Cell;
            var reference = a.Cell(t.ReferenceOf(cell.Row), cell.Column);
            var dev = (double)(c.Cost.Macs - reference.Cost.Macs) / reference.Cost.Macs;
            var label = cell.RowDef.Label + (cell.Fused ? " (fused)" : "") + (cell.RowDef.Role == RowRole.Duplicate ? " (duplicate: noise gauge)" : "");
            var ew = elementwise ? $" {Fmt.Int(c.Cost.ReluElements + c.Cost.AddElements + c.Cost.ConcatElements)} |" : "";
            sb.Line($"| {t.Columns[cell.Column]} | {label} | {cell.Stack.Describe()} | {Fmt.Int(c.Cost.Macs)} | {SignedPercent(dev)} | {Fmt.Int(c.Cost.MemoryAccess)} |{ew} " +
                    $"{(cell.PaperImagesPerSecond is { } p ? Fmt.Num(p, "0.0") : "")} | {GuidelineChecks.F(c.PaperRatio)} | {Fmt.Num(c.ImagesPerSecond, "0.0")} | " +
                    $"{GuidelineChecks.F(c.Raw.Median)} [{GuidelineChecks.F(c.Raw.Min)}–{GuidelineChecks.F(c.Raw.Max)}] | {Fmt.Num(c.GigaMacsPerSecond, "0.0")} |");
        }
        sb.Line("");
        sb.Line("| check | kind | rule | result |").Line("|---|---|---|---|");
        foreach (var c in v.Checks)
        {
            var kind = c.Hard ? "hard" : "soft";
            var columns = c.Columns.Count == 0 ? c.Summary : string.Join("; ", c.Columns.Select(x => $"{x.Column} {TableVerdict.Mark(x.Holds)} {x.Value}"));
            sb.Line($"| {c.Id} {TableVerdict.Mark(c.Holds)} | {kind} | {c.Rule} | {columns.Replace("|", "\\|")} |");
        }
        sb.Line("");
        sb.Line($"Noise band ε per column: {string.Join(", ", a.Columns.Select(x => $"{t.Columns[x.Column]} {TableVerdict.Pct(x.Epsilon)}"))} — twice the median deviation of {a.Columns[0].EpsilonSource}, at least 2%." +
                (a.Columns.Any(x => x.TooNoisy) ? " Some columns kept fewer than 3 rounds: they are not judged." : "")).Line("");
        foreach (var c in v.Checks.Where(c => c.Why is { Length: > 0 }))
            sb.Line($"**Why {c.Id} did not hold:** {c.Why}").Line("");
    }

    private static void Protocol(StringBuilder sb, GuidelineResult r)
    {
        var s = r.Options.Settings;
        var m = r.Measurements;
        var rms = m.Cells.Values.Select(c => c.OutputRms).ToArray();
        var gcs = m.Cells.Values.Sum(c => c.CollectionsDuringTiming);
        sb.Line("## How this was measured").Line("");
        sb.Line($"- Every configuration is its own compiled `InferenceSession` (own weights, buffers allocated before timing), called once, then run in {s.WarmupPasses} untimed warm-up passes, a pause for the JIT to finish tier-1 code, and a last pass that sizes its runs per round.");
        sb.Line($"- {s.Rounds} rounds; a full GC before each; in each round every configuration runs once, tables and the configurations inside them in an order rotated by the round number. " +
                $"Per configuration and round, {s.MinIterations}–{s.MaxIterations} timed runs (≥ {s.TargetSeconds:0.00} s of work); the round's statistic is the median run.");
        sb.Line("- images/s = 1 / the median over kept rounds of those medians. Ratios are taken **within a round** against the row's reference in the same column, then summarized as median [min–max] over rounds.");
        sb.Line($"- Rounds whose reference time is off the median by more than {s.OutlierTolerance:P0} are dropped per column. \"Faster\" needs a median ratio above 1+ε and ⌈2R/3⌉ rounds above 1; \"not slower\" a median ratio ≥ 1−ε (docs/GUIDELINES-SPEC.md §10–§11).");
        sb.Line("- FLOPs are the analyzer's conv multiply-accumulates of the graph that runs (the paper's FLOPs); theo. MAC is ShuffleNetV2's memory access cost of the convolutions (input + output + weights, in elements). GMAC/s = FLOPs × images/s: the FLOPs-normalized throughput.");
        sb.Line("- The runtime takes the caller's input as NCHW and computes in NHWC: a convolution reads the input in place through its strides, but G4's Add of block 0 needs it in NHWC, so the variants with a shortcut also pay one layout conversion of the input per run (the fused ablation too).");
        sb.Line($"- Outputs: all finite: {(rms.All(double.IsFinite) ? "yes" : "NO")}, RMS {Fmt.Num(rms.Min(), "0.###e0")}–{Fmt.Num(rms.Max(), "0.###e0")} (must stay within 1e-3…1e3: no subnormal or overflow drift). GCs inside timed blocks: {gcs}.");
        sb.Line($"- Load average before → after each round: {string.Join("; ", m.Rounds.Select(x => $"{x.LoadBefore} → {x.LoadAfter} ({x.Seconds:0.0} s)"))}.");
    }

    public static string Threads(int n) => n == 1 ? "1 thread" : $"{n} threads";

    private static string SignedPercent(double v) => v == 0 ? "0.00%" : (v > 0 ? "+" : "−") + Fmt.Num(Math.Abs(v) * 100, "0.00") + "%";

    public static void WriteJson(TextWriter writer, GuidelineResult r) => Json.Write(writer, json =>
    {
        var o = r.Options;
        json.WriteStartObject();
        json.WriteString("machine", r.Machine);
        json.WriteStartArray("modes");
        foreach (var m in o.Modes) json.WriteStringValue(m.ToString().ToLowerInvariant());
        json.WriteEndArray();
        json.WriteBoolean("quick", o.Quick);
        json.WriteNumber("rounds", o.Settings.Rounds);
        json.WriteNumber("size", o.Size);
        json.WriteNumber("seconds", Math.Round(r.Seconds, 1));
        json.WriteNumber("expected_seconds", Math.Round(r.ExpectedSeconds, 1));
        json.WriteStartArray("tables");
        foreach (var v in r.Verdicts) Table(json, v, r);
        json.WriteEndArray();
        json.WriteEndObject();
    });

    private static void Table(Utf8JsonWriter json, TableVerdict v, GuidelineResult r)
    {
        var a = v.Analysis;
        var t = a.Table;
        json.WriteStartObject();
        json.WriteString("table", t.Id.ToString());
        json.WriteString("mode", t.Mode.ToString().ToLowerInvariant());
        json.WriteNumber("threads", r.Options.ThreadsFor(t.Mode));
        json.WriteString("title", t.Title);
        if (v.Holds is { } holds) json.WriteBoolean("holds", holds);
        else json.WriteNull("holds");
        json.WriteString("verdict", v.Line());
        json.WriteStartArray("epsilon");
        foreach (var c in a.Columns) json.WriteNumberValue(Math.Round(c.Epsilon, 4));
        json.WriteEndArray();
        json.WriteStartArray("checks");
        foreach (var c in v.Checks)
        {
            json.WriteStartObject();
            json.WriteString("id", c.Id);
            json.WriteBoolean("hard", c.Hard);
            if (c.Holds is { } h) json.WriteBoolean("holds", h);
            else json.WriteNull("holds");
            json.WriteString("rule", c.Rule);
            json.WriteString("result", c.Summary);
            if (c.Why is { Length: > 0 }) json.WriteString("why", c.Why);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("cells");
        foreach (var c in a.Cells)
        {
            var m = r.Measurements.Cells.GetValueOrDefault(c.Cell.Key);
            json.WriteStartObject();
            json.WriteString("column", t.Columns[c.Cell.Column]);
            json.WriteString("row", c.Cell.RowDef.Label);
            json.WriteString("role", c.Cell.RowDef.Role.ToString().ToLowerInvariant());
            json.WriteBoolean("fused", c.Cell.Fused);
            json.WriteString("channels", c.Cell.Stack.Describe());
            json.WriteNumber("macs", c.Cost.Macs);
            json.WriteNumber("memory_access", c.Cost.MemoryAccess);
            json.WriteNumber("relu_elements", c.Cost.ReluElements);
            json.WriteNumber("add_elements", c.Cost.AddElements);
            json.WriteNumber("concat_elements", c.Cost.ConcatElements);
            Number(json, "images_per_second", c.ImagesPerSecond);
            Number(json, "mean_images_per_second", c.MeanImagesPerSecond);
            Number(json, "ratio", c.Raw.Median);
            Number(json, "ratio_min", c.Raw.Min);
            Number(json, "ratio_max", c.Raw.Max);
            Number(json, "normalized_ratio", c.Normalized.Median);
            if (c.Cell.PaperImagesPerSecond is { } p) json.WriteNumber("paper_images_per_second", p);
            if (c.PaperRatio is { } pr) json.WriteNumber("paper_ratio", Math.Round(pr, 4));
            if (m is not null)
            {
                json.WriteNumber("iterations", m.Iterations);
                json.WriteStartArray("round_median_seconds");
                foreach (var s in m.RoundMedianSeconds) json.WriteNumberValue(s);
                json.WriteEndArray();
                json.WriteNumber("collections_during_timing", m.CollectionsDuringTiming);
                Number(json, "output_rms", m.OutputRms);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter json, string name, double v)
    {
        if (double.IsFinite(v)) json.WriteNumber(name, Math.Round(v, 6));
        else json.WriteNull(name);
    }
}
