using System.CommandLine;
using System.Diagnostics;
using LightNets.Cli.Engines;
using LightNets.Cli.Output;
using LightNets.Cost;
using LightNets.Graphs;
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
    /// <summary>Timed runs are split into at most this many interleaved rounds.</summary>
    internal const int MaxRounds = 10;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new ModelSelection();
        var threads = CliOptions.Threads("every core");
        var warmup = CliOptions.Warmup("Unmeasured runs first", "default 20");
        var runs = CliOptions.Runs("Measured runs per engine", $"default 200; exactly as many, in up to {MaxRounds} interleaved rounds");
        var compare = new ChoiceOption<CompareWith>("--compare", "onnxruntime: also run the same graph in ONNX Runtime (same threads, ORT_ENABLE_ALL), interleaved.",
            CompareWith.None);
        var profile = new Option<bool>("--profile") { Description = "Per-layer table: time, MACs, memory access, GFLOP/s, share of the total (medians over min(--runs, 100) runs)." };
        var unfused = new Option<bool>("--unfused") { Description = "Run every graph node as its own pass (no epilogue or depthwise-band fusion), to see what fusion saves." };
        var format = FormatOption.Create(OutputFormat.Table, OutputFormat.Json);
        var weights = ModelWeights.Create();
        var isa = new ChoiceOption<Isa>("--isa",
            "The SIMD tier to run: v512 (AVX-512), v256 (AVX2 + FMA), v128 (128-bit: NEON on ARM64, SSE on x86) or scalar, to compare tiers on one machine. Default: the best this CPU and process support.");
        var command = new ModelCommand("bench",
            "Measure a zoo model or ONNX file: median/min/max latency, throughput, GFLOP/s, allocations per run; --compare onnxruntime for the ratio. " +
            "Before timing, the compiled output is checked against the reference interpreter (with --compare onnxruntime: against ONNX Runtime, faster for large inputs); a mismatch is an error.", model)
        {
            threads, warmup, runs, compare, profile, unfused, format, weights, isa,
        };
        command.SetAction(p =>
        {
            var settings = new BenchSettings(
                Threads: p.GetValue(threads) ?? Environment.ProcessorCount,
                Warmup: p.GetValue(warmup) ?? 20,
                Runs: p.GetValue(runs) ?? 200,
                CompareOrt: compare.Get(p) == CompareWith.OnnxRuntime,
                Profile: p.GetValue(profile),
                Fuse: !p.GetValue(unfused),
                Isa: p.GetValue(isa));
            if (settings.Isa is { } tier && !CpuCaps.Supports(tier))
                throw new CliUsageException($"--isa {ChoiceOption<Isa>.NameOf(tier)} is not available here: {CpuCaps.Describe()}");
            var batch = model.Options(p).Batch ?? 1;
            var graph = ModelWeights.Load(model, p, p.GetValue(weights), stderr, batch);
            var name = p.GetValue(model.Model)!;
            var result = Measure(name, graph, settings, new ProgressReporter(stderr, quiet: false));
            if (format.Get(p) == OutputFormat.Json) BenchReport.WriteJson(stdout, result);
            else BenchReport.WriteTable(stdout, result);
            return 0;
        });
        return command;
    }

    internal sealed record BenchSettings(int Threads, int Warmup, int Runs, bool CompareOrt, bool Profile, bool Fuse = true, Isa? Isa = null);

    internal sealed record BenchResult(
        string Model, Graph Graph, CostReport Cost, BenchSettings Settings, Isa Isa, long ArenaBytes, int Steps, PlanCheck.Outcome Check,
        double[] LightNets, double[]? OnnxRuntime, double AllocatedBytesPerRun, IReadOnlyList<StepProfile>? Profile,
        IReadOnlyList<OrtNodeTime>? OrtProfile)
    {
        /// <summary>The first dimension of the (first) input: images per run.</summary>
        public int Batch => Graph.Inputs[0].Shape[0];
        public static double Median(double[] t) => t.Length == 0 ? double.NaN : t.OrderBy(v => v).ElementAt(t.Length / 2);
    }

    /// <summary>Timed runs per round: <paramref name="runs"/> split over min(runs, <see cref="MaxRounds"/>) rounds, the first rounds taking the remainder.</summary>
    internal static int[] RunsPerRound(int runs)
    {
        var rounds = Math.Min(runs, MaxRounds);
        return Enumerable.Range(0, rounds).Select(r => runs / rounds + (r < runs % rounds ? 1 : 0)).ToArray();
    }

    internal static BenchResult Measure(string name, Graph graph, BenchSettings s, ProgressReporter progress)
    {
        using var session = new InferenceSession(graph, new SessionOptions { Threads = s.Threads, Fuse = s.Fuse, Isa = s.Isa });
        // Each input its own seeded normal data (the first from seed 1, as for a one-input model); every output computed.
        var inputs = graph.Inputs.Select((input, i) => new Rng((ulong)i + 1).NormalTensor(input.Shape.ToArray())).ToArray();
        var outputs = session.Outputs.Select(o => new float[o.Shape.ElementCount]).ToArray();
        var binding = session.CreateBinding();
        for (var i = 0; i < inputs.Length; i++) binding.BindInput(i, inputs[i].Data);
        for (var j = 0; j < outputs.Length; j++) binding.BindOutput(j, outputs[j]);

        var ortBytes = s.CompareOrt ? ModelSource.OnnxRuntimeModel(name, graph) : null;
        using var ortEngine = ortBytes is null ? null : new OnnxRuntimeEngine(ortBytes, s.Threads);
        using var ort = ortEngine?.Bind(graph.Inputs.Select((input, i) => (input.Name, Tensor: inputs[i])).ToDictionary(p => p.Name, p => p.Tensor),
            session.Outputs.Select(o => (o.Name, o.Shape)));
        // Checked before anything is timed: against ONNX Runtime when it runs anyway (the whole batch, fast), else the
        // reference interpreter (slow plain loops: the first and last image only, where the images are independent).
        session.Run(binding);
        ort?.Run();
        var check = ort is not null
            ? PlanCheck.AgainstOnnxRuntime(name, session.Outputs.Select((o, j) => (o.Name, o.Shape, ort.Outputs[o.Name], outputs[j])).ToArray(), PlanCheck.IsQuantized(graph))
            : PlanCheck.AgainstReference(name, graph, inputs, outputs);

        var perRound = RunsPerRound(s.Runs);
        var ours = new List<double>(s.Runs);
        var theirs = new List<double>(s.Runs);
        long allocated = 0;
        progress.Run($"bench {graph.Name}", perRound.Length + 1, tick =>
        {
            for (var i = 0; i < s.Warmup; i++)
            {
                session.Run(binding);
                ort?.Run();
            }
            tick("warm-up");
            for (var round = 0; round < perRound.Length; round++)
            {
                // Interleaved rounds, alternating which engine goes first: both see the same machine state.
                var ortFirst = ort is not null && round % 2 == 1;
                if (ortFirst)
                {
                    TimeOrt(ort!, perRound[round], theirs);
                    Settle();
                }
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < perRound[round]; i++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    session.Run(binding);
                    ours.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                if (ort is not null && !ortFirst)
                {
                    Settle();
                    TimeOrt(ort, perRound[round], theirs);
                }
                Settle();
                tick($"round {round + 1}/{perRound.Length}");
            }
        });
        var profileRuns = Math.Min(s.Runs, 100);
        var profile = s.Profile ? session.Profile(binding, runs: profileRuns, warmup: 2) : null;
        var ortProfile = s.Profile && ortBytes is not null
            ? OnnxRuntimeProfiler.Profile(ortBytes, graph.Inputs.Select((input, i) => (input.Name, Tensor: inputs[i])).ToDictionary(p => p.Name, p => p.Tensor), s.Threads, profileRuns)
            : null;
        return new BenchResult(name, graph, CostReport.Analyze(graph), s, session.Isa, session.ArenaBytes, session.StepCount, check,
            ours.ToArray(), ort is null ? null : theirs.ToArray(), (double)allocated / ours.Count, profile, ortProfile);
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
