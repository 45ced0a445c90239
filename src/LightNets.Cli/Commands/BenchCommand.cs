using System.CommandLine;
using System.Diagnostics;
using Google.Protobuf;
using LightNets.Cli.Engines;
using LightNets.Cli.Output;
using LightNets.Cost;
using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;

namespace LightNets.Cli.Commands;

/// <summary>
/// <c>lightnets bench</c>: latency of the fast runtime, optionally against ONNX Runtime in the same process
/// (interleaved rounds, medians, ratio), and a per-layer profile with time beside MACs and memory access.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new ModelSelection();
        var threads = ModelSelection.Number<int>("--threads", "Threads per run (default: every core).");
        var warmup = ModelSelection.Number<int>("--warmup", "Unmeasured runs first (default 20).");
        var runs = ModelSelection.Number<int>("--runs", "Measured runs per engine (default 200), in 10 interleaved rounds.");
        var compare = FormatOption.Choice("--compare", "Also run the same graph in ONNX Runtime (same threads, ORT_ENABLE_ALL), interleaved.", "none", "onnxruntime");
        var profile = new Option<bool>("--profile") { Description = "Per-layer table: time, MACs, memory access, GFLOP/s, share of the total." };
        var unfused = new Option<bool>("--unfused") { Description = "Run every graph node as its own pass (no epilogue or depthwise-band fusion), to see what fusion saves." };
        var format = FormatOption.Create("table", "json");
        var command = new Command("bench", "Measure a zoo model or ONNX file: median/min/max latency, throughput, GFLOP/s, allocations per run; --compare onnxruntime for the ratio.")
        {
            threads, warmup, runs, compare, profile, unfused, format, model.Seed,
        };
        model.AddTo(command);
        command.SetAction(p =>
        {
            var settings = new BenchSettings(
                Threads: p.GetValue(threads) ?? Environment.ProcessorCount,
                Warmup: p.GetValue(warmup) ?? 20,
                Runs: p.GetValue(runs) ?? 200,
                CompareOrt: p.GetValue(compare) == "onnxruntime",
                Profile: p.GetValue(profile),
                Fuse: !p.GetValue(unfused));
            if (settings.Threads < 1 || settings.Runs < 1 || settings.Warmup < 0)
                throw new CliUsageException("--threads and --runs must be at least 1, --warmup at least 0");
            var batch = model.Options(p).Batch ?? 1;
            var graph = ModelSource.Load(model, p, batch);
            var name = p.GetValue(model.Model)!;
            var result = Measure(name, graph, settings, new ProgressReporter(stderr, quiet: false));
            if (FormatOption.Get(p, format) == OutputFormat.Json) BenchReport.WriteJson(stdout, result);
            else BenchReport.WriteTable(stdout, result);
            return 0;
        });
        return command;
    }

    internal sealed record BenchSettings(int Threads, int Warmup, int Runs, bool CompareOrt, bool Profile, bool Fuse = true);

    internal sealed record BenchResult(
        string Model, Graph Graph, CostReport Cost, BenchSettings Settings, Isa Isa, long ArenaBytes, int Steps,
        double[] LightNets, double[]? OnnxRuntime, double AllocatedBytesPerRun, IReadOnlyList<StepProfile>? Profile,
        IReadOnlyList<OrtNodeTime>? OrtProfile)
    {
        public int Batch => Graph.Input.Shape.N;
        public static double Median(double[] t) => t.Length == 0 ? double.NaN : t.OrderBy(v => v).ElementAt(t.Length / 2);
    }

    internal static BenchResult Measure(string name, Graph graph, BenchSettings s, ProgressReporter progress)
    {
        using var session = new InferenceSession(graph, new SessionOptions { Threads = s.Threads, Fuse = s.Fuse });
        var input = new Rng(1).NormalTensor(graph.Input.Shape.ToArray());
        var output = new float[session.OutputShape.ElementCount];
        var ortBytes = s.CompareOrt ? OrtModel(name, graph) : null;
        using var ortEngine = ortBytes is null ? null : new OnnxRuntimeEngine(ortBytes, s.Threads);
        using var ort = ortEngine?.Bind(input, session.OutputShape);

        const int rounds = 10;
        var perRound = Math.Max(1, s.Runs / rounds);
        var ours = new List<double>(perRound * rounds);
        var theirs = new List<double>(perRound * rounds);
        long allocated = 0;
        progress.Run($"bench {graph.Name}", rounds + 1, tick =>
        {
            for (var i = 0; i < s.Warmup; i++)
            {
                session.Run(input.Data, output);
                ort?.Run();
            }
            tick("warm-up");
            for (var round = 0; round < rounds; round++)
            {
                // Interleaved rounds, alternating which engine goes first: both see the same machine state.
                var ortFirst = ort is not null && round % 2 == 1;
                if (ortFirst)
                {
                    TimeOrt(ort!, perRound, theirs);
                    Settle();
                }
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < perRound; i++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    session.Run(input.Data, output);
                    ours.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                if (ort is not null && !ortFirst)
                {
                    Settle();
                    TimeOrt(ort, perRound, theirs);
                }
                Settle();
                tick($"round {round + 1}/{rounds}");
            }
        });
        var profileRuns = Math.Max(20, Math.Min(s.Runs, 100));
        var profile = s.Profile ? session.Profile(input.Data, output, runs: profileRuns, warmup: 2) : null;
        var ortProfile = s.Profile && ortBytes is not null ? OnnxRuntimeProfiler.Profile(ortBytes, input, s.Threads, profileRuns) : null;
        return new BenchResult(name, graph, CostReport.Analyze(graph), s, session.Isa, session.ArenaBytes, session.StepCount,
            ours.ToArray(), ort is null ? null : theirs.ToArray(), (double)allocated / ours.Count, profile, ortProfile);
    }

    /// <summary>
    /// What ONNX Runtime runs: the user's file when its batch dimension is symbolic or equal to the batch asked for,
    /// else LightNets' export of the same graph (BN folded, as ONNX Runtime would fold it).
    /// </summary>
    internal static byte[] OrtModel(string name, Graph graph)
    {
        if (ModelSource.IsOnnxFile(name))
        {
            var bytes = File.ReadAllBytes(name);
            var dims = global::Onnx.ModelProto.Parser.ParseFrom(bytes).Graph.Input.FirstOrDefault()?.Type?.TensorType?.Shape?.Dim;
            if (dims is { Count: > 0 } && (dims[0].DimParam.Length > 0 || dims[0].DimValue == graph.Input.Shape.N)) return bytes;
        }
        return OnnxExporter.Export(graph, new OnnxExportOptions { Opset = 13, FoldBatchNorm = true }).ToByteArray();
    }

    /// <summary>
    /// Lets the other engine's threads park before switching: both LightNets' and ONNX Runtime's workers spin for a
    /// while after a run, and a spinning thread on a 2-core machine takes a core from the engine being timed.
    /// </summary>
    internal static void Settle() => Thread.Sleep(20);

    private static void TimeOrt(OnnxRuntimeEngine.Binding ort, int count, List<double> into)
    {
        for (var i = 0; i < count; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            ort.Run();
            into.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
    }
}
