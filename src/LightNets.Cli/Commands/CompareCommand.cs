using System.CommandLine;
using System.Diagnostics;
using LightNets.Cli.Engines;
using LightNets.Cli.Output;
using LightNets.Cost;
using LightNets.Experiments;
using LightNets.Models;
using LightNets.Runtime;

namespace LightNets.Cli.Commands;

/// <summary>
/// <c>lightnets compare</c>: the evolution table. Every family at its headline configurations with params, MACs and
/// memory access (the indirect metrics), latency measured here (the direct one), MACs per millisecond and the
/// published ImageNet top-1, plus the two charts of the ShuffleNetV2 paper's Fig. 1: speed vs FLOPs, accuracy vs speed.
/// </summary>
internal static class CompareCommand
{
    /// <summary>A headline configuration: zoo name, overrides, and the short label its chart point carries.</summary>
    internal sealed record Headline(string Model, ModelOptions Options, string Label);

    /// <summary>
    /// The headline configurations of the five papers. ShuffleNetV2 uses its paper's (megvii's) layout, the network
    /// its paper's FLOPs and top-1 describe; the others are the zoo's defaults.
    /// </summary>
    internal static IReadOnlyList<Headline> Headlines { get; } =
    [
        new("mobilenetv1_100", new(), "V1 1.0"), new("mobilenetv1_050", new(), "V1 0.5"), new("mobilenetv1_025", new(), "V1 0.25"),
        new("shufflenetv1_g3_200", new(), "SV1 g3 2×"), new("shufflenetv1_g3_100", new(), "SV1 g3 1×"), new("shufflenetv1_g3_050", new(), "SV1 g3 0.5×"),
        new("shufflenetv1_g8_100", new(), "SV1 g8 1×"),
        new("mobilenetv2_140", new(), "V2 1.4"), new("mobilenetv2_100", new(), "V2 1.0"), new("mobilenetv2_050", new(), "V2 0.5"),
        new("shufflenetv2_200", Paper, "SV2 2×"), new("shufflenetv2_150", Paper, "SV2 1.5×"), new("shufflenetv2_100", Paper, "SV2 1×"),
        new("shufflenetv2_050", Paper, "SV2 0.5×"),
        new("mobilenetv3_large_100", new(), "V3-L 1.0"), new("mobilenetv3_large_075", new(), "V3-L 0.75"),
        new("mobilenetv3_small_100", new(), "V3-S 1.0"), new("mobilenetv3_small_075", new(), "V3-S 0.75"),
    ];

    private static ModelOptions Paper => new() { Layout = ModelLayout.Paper };

    /// <summary>Papers whose own tables a family's top-1 is taken from first.</summary>
    private static readonly Dictionary<ModelFamily, string> OwnPaper = new()
    {
        [ModelFamily.MobileNetV1] = "P-MN1", [ModelFamily.ShuffleNetV1] = "P-SN1", [ModelFamily.MobileNetV2] = "P-MN2",
        [ModelFamily.ShuffleNetV2] = "P-SN2", [ModelFamily.MobileNetV3] = "P-MN3",
    };

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var threads = CliOptions.Threads("1");
        var output = new Option<string>("--out") { Description = "Directory for the charts, compare.md and compare.json (created if missing; checked before measuring).", DefaultValueFactory = _ => "compare-out" };
        var format = FormatOption.Create(OutputFormat.Table, OutputFormat.Markdown, OutputFormat.Json);
        // Internal knobs for smoke tests.
        var models = new Option<string?>("--models") { Description = "Comma-separated subset of the headline models.", Hidden = true };
        var rounds = CliOptions.Rounds("Rounds", "default 5; more rounds outvote longer bursts of load from other processes");
        var resolution = CliOptions.Number<int>("--resolution", "Input size (default 224).", Models.ModelConfig.MinResolution, Models.ModelConfig.MaxResolution);
        resolution.Hidden = true;
        var compare = new ChoiceOption<CompareWith>("--compare",
            "onnxruntime: also time every model in ONNX Runtime (LightNets' export, ORT_ENABLE_ALL, same threads), interleaved in the same rounds, and give the ratio.",
            CompareWith.OnnxRuntime);
        var command = new Command("compare",
            "The evolution table: every family at its headline configurations with params, MACs, memory access, measured latency (batch 1), MACs per ms and published top-1, plus speed-vs-FLOPs and accuracy-vs-speed charts. " +
            "Before timing, each compiled model's output is checked against ONNX Runtime's (or, with --compare none, the reference interpreter's); a mismatch is an error.")
        {
            threads, output, format, models, rounds, resolution, compare,
        };
        command.SetAction(p =>
        {
            var t = p.GetValue(threads) ?? 1;
            var r = p.GetValue(rounds) ?? 5;
            var px = p.GetValue(resolution) ?? 224;
            var selected = Select(p.GetValue(models));
            var directory = OutputPath.Directory(p.GetValue(output)!, "--out");
            var result = Measure(selected, t, r, px, compare.Get(p) == CompareWith.OnnxRuntime, new ProgressReporter(stderr), stderr);
            var written = CompareReport.WriteFiles(result, directory);
            switch (format.Get(p))
            {
                case OutputFormat.Json: CompareReport.WriteJson(stdout, result); break;
                case OutputFormat.Markdown: stdout.Write(CompareReport.Markdown(result, chartDirectory: null)); break;
                default: CompareReport.WriteTable(stdout, result); break;
            }
            stderr.WriteLine($"compare: wrote {string.Join(", ", written)}");
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<Headline> Select(string? models)
    {
        if (models is null) return Headlines;
        var names = models.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new CliUsageException("--models needs at least one headline model");
        return names.Select(n => Headlines.FirstOrDefault(h => h.Model == n)
            ?? throw new CliUsageException($"'{n}' is not a headline model of compare: {string.Join(", ", Headlines.Select(h => h.Model))}")).ToArray();
    }

    /// <summary>One measured configuration; <c>OrtRoundMedianMs</c> is ONNX Runtime's per-round medians on the same model, or null when not compared.</summary>
    internal sealed record CompareRow(Headline Headline, ZooEntry Entry, CostReport Cost, double[] RoundMedianMs, double[]? OrtRoundMedianMs,
        PublishedFigure? Top1)
    {
        public double LatencyMs => Stats.Median(RoundMedianMs);
        public double OrtLatencyMs => OrtRoundMedianMs is null ? double.NaN : Stats.Median(OrtRoundMedianMs);

        /// <summary>LightNets time / ONNX Runtime time: the median of the ratios taken within each round (both engines saw that round's machine).</summary>
        public double Ratio => OrtRoundMedianMs is null ? double.NaN : Stats.Median(RoundMedianMs.Select((v, i) => v / OrtRoundMedianMs[i]));
        public double MacsPerMs => Cost.Macs / LatencyMs;
        public string Configuration => Entry.Defaults.Merge(Headline.Options).Describe(Entry.Family);
    }

    internal sealed record CompareResult(IReadOnlyList<CompareRow> Rows, int Threads, int Rounds, int Resolution, double Seconds, string Machine)
    {
        public bool HasOrt => Rows.Count > 0 && Rows[0].OrtRoundMedianMs is not null;
    }

    /// <summary>
    /// BenchCommand's approach for many models: every session compiled and warmed up first, then rounds in which every
    /// model runs once in a rotated order, a fixed number of timed runs each; latency = median over rounds of each
    /// round's median run, so that load from other processes shifts all models alike instead of one. With ONNX Runtime,
    /// each model's LightNets and ORT runs follow each other within the round, in alternating order.
    /// </summary>
    internal static CompareResult Measure(IReadOnlyList<Headline> headlines, int threads, int rounds, int resolution, bool withOrt,
        ProgressReporter progress, TextWriter stderr)
    {
        var start = Stopwatch.GetTimestamp();
        var items = new List<(Headline H, ZooEntry E, Graphs.Graph G, InferenceSession S, float[] X, float[] Y)>();
        var orts = new List<(OnnxRuntimeEngine Engine, OnnxRuntimeEngine.Binding Binding)>();
        var runs = new int[headlines.Count];
        var roundMedians = headlines.Select(_ => new double[rounds]).ToArray();
        var ortMedians = headlines.Select(_ => new double[rounds]).ToArray();
        var checks = new List<(string Model, PlanCheck.Outcome Outcome)>();
        stderr.WriteLine($"compare: {headlines.Count} models, batch 1, {resolution}×{resolution}, {GuidelinesReport.Threads(threads)}, {rounds} rounds" +
                         (withOrt ? ", each beside ONNX Runtime (under a minute)" : " (under a minute)"));
        try
        {
            progress.Run("compare", headlines.Count + 1 + rounds, tick =>
            {
                foreach (var h in headlines)
                {
                    var entry = ModelZoo.Find(h.Model);
                    var graph = ModelZoo.Build(h.Model, h.Options with { Resolution = resolution });
                    var session = new InferenceSession(graph, new SessionOptions { Threads = threads });
                    var x = GuidelineStacks.Input(graph).Data;
                    var y = new float[session.OutputShape.ElementCount];
                    session.Run(x, y);
                    items.Add((h, entry, graph, session, x, y));
                    // Checked before anything is timed: against ONNX Runtime when it runs anyway (fast), else the reference interpreter.
                    // A zoo model: one input, one output.
                    var input = new Tensors.Tensor(graph.Input.Shape, x);
                    if (withOrt)
                    {
                        var engine = new OnnxRuntimeEngine(ModelSource.OnnxRuntimeModel(h.Model, graph), threads);
                        var binding = engine.Bind(new Dictionary<string, Tensors.Tensor> { [graph.Input.Name] = input }, [(graph.Output, session.OutputShape)]);
                        orts.Add((engine, binding));
                        binding.Run();
                        checks.Add((h.Model, PlanCheck.AgainstOnnxRuntime(h.Model, [(graph.Output, session.OutputShape, binding.Outputs[graph.Output], y)])));
                    }
                    else
                    {
                        checks.Add((h.Model, PlanCheck.AgainstReference(h.Model, graph, [input], [y])));
                    }
                    tick($"compiled {h.Model}");
                }
                // Two untimed passes and a pause (tier-1 JIT code), then one timed pass sizes each model's runs per round:
                // ≈ 60 ms of timed work per model and round keeps 18 models × 5 rounds well under a minute.
                for (var pass = 0; pass < 2; pass++)
                {
                    foreach (var it in items) it.S.Run(it.X, it.Y);
                    foreach (var o in orts) o.Binding.Run();
                }
                Thread.Sleep(300);
                for (var i = 0; i < items.Count; i++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    items[i].S.Run(items[i].X, items[i].Y);
                    runs[i] = (int)Math.Clamp(Math.Ceiling(0.06 / Stopwatch.GetElapsedTime(t0).TotalSeconds), 3, 60);
                }
                tick("warm-up");
                var times = new double[60];
                for (var r = 0; r < rounds; r++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    foreach (var (_, i) in RoundSchedule.Order(r, [items.Count]))
                    {
                        var it = items[i];
                        var ortFirst = withOrt && (r + i) % 2 == 1;
                        if (ortFirst) ortMedians[i][r] = TimeOrt(orts[i].Binding, runs[i], times, threads);
                        for (var k = 0; k < runs[i]; k++)
                        {
                            var t0 = Stopwatch.GetTimestamp();
                            it.S.Run(it.X, it.Y);
                            times[k] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                        }
                        roundMedians[i][r] = Stats.Median(times.AsSpan(0, runs[i]).ToArray());
                        if (threads > 1) BenchCommand.Settle(); // let the workers park before the next engine or model
                        if (withOrt && !ortFirst) ortMedians[i][r] = TimeOrt(orts[i].Binding, runs[i], times, threads);
                    }
                    tick($"round {r + 1}/{rounds}");
                }
            });
        }
        finally
        {
            foreach (var it in items) it.S.Dispose();
            foreach (var (engine, binding) in orts)
            {
                binding.Dispose();
                engine.Dispose();
            }
        }
        var worst = checks.MaxBy(c => c.Outcome.Result.RelativeToMax);
        stderr.WriteLine($"compare: check: {checks.Count} compiled models agree with {worst.Outcome.Oracle}; worst max |diff| " +
                         $"{worst.Outcome.Result.RelativeToMax:0.0e+0} of max |ref| ({worst.Model}), tolerance {OutputCheck.Atol:0e0} of max |ref| + {OutputCheck.Rtol:0e0}·|ref|");
        var rows = items.Select((it, i) => new CompareRow(it.H, it.E, CostReport.Analyze(it.G), roundMedians[i], withOrt ? ortMedians[i] : null,
            Top1(it.H, it.E))).ToArray();
        return new CompareResult(rows, threads, rounds, resolution, Stopwatch.GetElapsedTime(start).TotalSeconds, MachineInfo.Describe());
    }

    private static double TimeOrt(OnnxRuntimeEngine.Binding ort, int runs, double[] times, int threads)
    {
        for (var k = 0; k < runs; k++)
        {
            var t0 = Stopwatch.GetTimestamp();
            ort.Run();
            times[k] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        if (threads > 1) BenchCommand.Settle();
        return Stats.Median(times.AsSpan(0, runs).ToArray());
    }

    /// <summary>The published top-1 of the configuration, from its family's own paper when that paper prints one.</summary>
    private static PublishedFigure? Top1(Headline h, ZooEntry entry)
    {
        var figures = Published.For(h.Model, h.Options).Where(f => f.Top1 is not null).ToArray();
        return figures.FirstOrDefault(f => f.Source.StartsWith(OwnPaper[entry.Family], StringComparison.Ordinal)) ?? figures.FirstOrDefault();
    }
}
