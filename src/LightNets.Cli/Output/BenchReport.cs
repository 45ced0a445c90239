using LightNets.Cli.Commands;
using LightNets.Cost;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Cli.Output;

/// <summary>Renders a <c>bench</c> result as tables or JSON.</summary>
internal static class BenchReport
{
    public static void WriteTable(TextWriter stdout, BenchCommand.BenchResult r)
    {
        var ln = BenchCommand.BenchResult.Median(r.LightNets);
        var title = $"{r.Graph.Name}: batch {r.Batch}, {r.Settings.Threads} thread(s), {r.Isa.Word()}, {Environment.ProcessorCount} cores; " +
                    $"{r.Steps} steps, arena {r.ArenaBytes / 1048576.0:0.0} MiB";
        var t = new TextTable(title, [new("engine"), new("median ms", true), new("min ms", true), new("max ms", true),
            new("images/s", true), new("GFLOP/s", true), new("alloc B/run", true)]);
        var flops = 2.0 * r.Cost.Macs;
        t.Add("LightNets", Ms(ln), Ms(r.LightNets.Min()), Ms(r.LightNets.Max()), Fmt.Num(r.Batch * 1000 / ln, "0.0"),
            Fmt.Num(flops / ln / 1e6, "0.0"), Fmt.Num(r.AllocatedBytesPerRun, "0"));
        if (r.OnnxRuntime is { } ort)
        {
            var om = BenchCommand.BenchResult.Median(ort);
            t.Add("ONNX Runtime", Ms(om), Ms(ort.Min()), Ms(ort.Max()), Fmt.Num(r.Batch * 1000 / om, "0.0"), Fmt.Num(flops / om / 1e6, "0.0"), "");
            t.Add("ratio (LightNets / ORT)", Fmt.Num(ln / om, "0.00"), "", "", "", "", "");
        }
        t.Write(stdout, OutputFormat.Table);
        stdout.WriteLine(r.Check.Line);
        if (r.Profile is not null)
        {
            stdout.WriteLine();
            ProfileTable(r).Write(stdout, OutputFormat.Table);
        }
    }

    private static TextTable ProfileTable(BenchCommand.BenchResult r)
    {
        var byName = CostReport.Analyze(r.Graph).Nodes.ToDictionary(n => n.Node.Name);
        var total = r.Profile!.Sum(p => p.MedianMicroseconds);
        var (ortByStep, ortOnly) = r.OrtProfile is null ? (null, null) : OrtPerStep(r.Profile!, r.OrtProfile);
        var title = $"Per-layer profile (medians; sum {total / 1000:0.000} ms): time is the direct metric, MACs and MAC the indirect ones";
        if (r.OrtProfile is not null) title += $"; ONNX Runtime's own profiler, nodes matched by name (sum {r.OrtProfile.Sum(o => o.MedianMicroseconds) / 1000:0.000} ms)";
        List<Column> columns = [new("#", true), new("layer"), new("operator"), new("µs", true), new("share", true), new("MACs", true),
            new("MAC (elements)", true), new("GFLOP/s", true), new("threads", true)];
        if (ortByStep is not null) columns.AddRange([new("ORT µs", true), new("ratio", true)]);
        var t = new TextTable(title, columns);
        foreach (var p in r.Profile!)
        {
            var (macs, mac) = Costs(p, byName);
            List<string> cells = [p.Index.ToString(), p.Name, p.Operator, Fmt.Num(p.MedianMicroseconds, "0.0"), Fmt.Percent(p.MedianMicroseconds / total),
                Fmt.Int(macs), Fmt.Int(mac), macs == 0 ? "" : Fmt.Num(2.0 * macs / p.MedianMicroseconds / 1e3, "0.0"), p.Threads.ToString()];
            if (ortByStep is not null)
            {
                var o = ortByStep[p.Index];
                cells.AddRange([o > 0 ? Fmt.Num(o, "0.0") : "", o > 0 ? Fmt.Num(p.MedianMicroseconds / o, "0.00") : ""]);
            }
            t.Add([.. cells]);
        }
        if (ortOnly is { Count: > 0 })
        {
            var extra = ortOnly.Sum(o => o.MedianMicroseconds);
            var ops = string.Join(", ", ortOnly.GroupBy(o => o.Op).Select(g => $"{g.Key} ×{g.Count()}"));
            t.Add(["", "(ONNX Runtime only)", ops, "", "", "", "", "", "", Fmt.Num(extra, "0.0"), ""]);
        }
        return t;
    }

    /// <summary>
    /// ONNX Runtime's node times summed per LightNets step: an ORT node (after its own fusions, named after one of the
    /// fused nodes, e.g. "layer3.pw.relu_nchwc") belongs to the step that computes the node of that name.
    /// </summary>
    private static (double[] PerStep, List<Engines.OrtNodeTime> Unmatched) OrtPerStep(
        IReadOnlyList<LightNets.Runtime.StepProfile> steps, IReadOnlyList<Engines.OrtNodeTime> ort)
    {
        var stepOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in steps)
            foreach (var n in s.Nodes) stepOf.TryAdd(n, s.Index);
        var perStep = new double[steps.Count];
        var unmatched = new List<Engines.OrtNodeTime>();
        foreach (var o in ort)
        {
            var name = o.Node;
            foreach (var suffix in new[] { "_nchwc", "_fused" })
                if (name.EndsWith(suffix, StringComparison.Ordinal)) name = name[..^suffix.Length];
            if (stepOf.TryGetValue(name, out var index)) perStep[index] += o.MedianMicroseconds;
            else unmatched.Add(o);
        }
        return (perStep, unmatched);
    }

    private static (long Macs, long Mac) Costs(LightNets.Runtime.StepProfile p, Dictionary<string, NodeCost> byName)
    {
        long macs = 0, mac = 0;
        foreach (var n in p.Nodes)
        {
            if (!byName.TryGetValue(n, out var c)) continue;
            macs += c.Macs;
            mac += c.MemoryAccess;
        }
        return (macs, mac);
    }

    public static void WriteJson(TextWriter stdout, BenchCommand.BenchResult r)
    {
        var ln = BenchCommand.BenchResult.Median(r.LightNets);
        double? om = r.OnnxRuntime is null ? null : BenchCommand.BenchResult.Median(r.OnnxRuntime);
        var byName = CostReport.Analyze(r.Graph).Nodes.ToDictionary(n => n.Node.Name);
        Json.Write(stdout, json =>
        {
            json.WriteStartObject();
            json.WriteString("model", r.Graph.Name);
            json.WriteNumber("batch", r.Batch);
            json.WriteNumber("threads", r.Settings.Threads);
            json.WriteString("isa", r.Isa.Word());
            json.WriteNumber("cores", Environment.ProcessorCount);
            json.WriteNumber("runs", r.LightNets.Length);
            json.WriteNumber("macs", r.Cost.Macs);
            json.WriteNumber("lightnets_ms", ln);
            json.WriteNumber("lightnets_min_ms", r.LightNets.Min());
            json.WriteNumber("lightnets_max_ms", r.LightNets.Max());
            json.WriteNumber("images_per_second", r.Batch * 1000 / ln);
            json.WriteNumber("gflops", 2.0 * r.Cost.Macs / ln / 1e6);
            json.WriteNumber("allocated_bytes_per_run", r.AllocatedBytesPerRun);
            json.WriteNumber("arena_bytes", r.ArenaBytes);
            json.WriteNumber("steps", r.Steps);
            // The check: the worst output's figures (the only output's, for most models), then every output's own.
            json.WriteStartObject("check");
            json.WriteString("oracle", r.Check.Oracle);
            CheckFigures(json, r.Check.Result);
            json.WriteBoolean("ok", r.Check.Ok);
            json.WriteStartArray("outputs");
            foreach (var output in r.Check.Outputs)
            {
                json.WriteStartObject();
                json.WriteString("name", output.Name);
                json.Shape("shape", output.Shape);
                CheckFigures(json, output.Result);
                json.WriteBoolean("ok", output.Result.Ok);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            if (om is { } o)
            {
                json.WriteNumber("onnxruntime_ms", o);
                json.WriteNumber("onnxruntime_min_ms", r.OnnxRuntime!.Min());
                json.WriteNumber("onnxruntime_max_ms", r.OnnxRuntime!.Max());
                json.WriteNumber("ratio", ln / o);
            }
            if (r.Profile is not null)
            {
                var ortByStep = r.OrtProfile is null ? null : OrtPerStep(r.Profile, r.OrtProfile).PerStep;
                json.WriteStartArray("profile");
                foreach (var p in r.Profile)
                {
                    var (macs, mac) = Costs(p, byName);
                    json.WriteStartObject();
                    json.WriteString("layer", p.Name);
                    json.WriteString("operator", p.Operator);
                    json.WriteStartArray("nodes");
                    foreach (var n in p.Nodes) json.WriteStringValue(n);
                    json.WriteEndArray();
                    json.WriteNumber("microseconds", p.MedianMicroseconds);
                    json.WriteNumber("macs", macs);
                    json.WriteNumber("mac", mac);
                    json.WriteNumber("threads", p.Threads);
                    if (ortByStep is not null) json.WriteNumber("onnxruntime_microseconds", ortByStep[p.Index]);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            if (r.OrtProfile is not null)
            {
                // ONNX Runtime's own nodes (after its fusions), whether or not one matched a LightNets step.
                json.WriteStartArray("onnxruntime_profile");
                foreach (var node in r.OrtProfile)
                {
                    json.WriteStartObject();
                    json.WriteString("node", node.Node);
                    json.WriteString("op", node.Op);
                    json.WriteNumber("microseconds", node.MedianMicroseconds);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        });
    }

    private static void CheckFigures(System.Text.Json.Utf8JsonWriter json, OutputCheck.Result result)
    {
        json.WriteNumber("max_abs_diff", result.MaxAbsDiff);
        json.WriteNumber("max_abs_reference", result.MaxAbsExpected);
        json.WriteNumber("relative_to_max", result.RelativeToMax);
    }

    private static string Ms(double v) => Fmt.Num(v, "0.000");
}
