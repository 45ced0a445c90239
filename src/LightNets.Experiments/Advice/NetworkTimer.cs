using System.Diagnostics;
using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Experiments.Advice;

/// <summary>
/// The whole network's measured time, two ways: the plan as it normally runs (fusion on: activations, residual adds and
/// SE scales in the convolutions' epilogues) and each op as its own pass over memory (fusion off), which is how the
/// ShuffleNetV2 paper's Fig. 2 books the run time by operator.
/// </summary>
/// <param name="NodeMicroseconds">Per graph node (by name), from the unfused plan: median over rounds of each round's per-step median.</param>
/// <param name="FusedSteps">The fused plan's steps, same statistic.</param>
/// <param name="FusedMs">End-to-end latency of the fused plan (median over rounds of each round's median run).</param>
/// <param name="UnfusedMs">End-to-end latency of the unfused plan.</param>
/// <param name="UnfusedSteps">Steps of the unfused plan.</param>
/// <param name="Rounds">Rounds measured.</param>
/// <param name="RunsPerRound">Timed runs per plan and round.</param>
public sealed record NetworkTiming(
    IReadOnlyDictionary<string, double> NodeMicroseconds, IReadOnlyList<StepProfile> FusedSteps,
    double FusedMs, double UnfusedMs, int UnfusedSteps, int Rounds, int RunsPerRound)
{
    public double Node(string name) => NodeMicroseconds.GetValueOrDefault(name);

    /// <summary>Sum of the per-node medians: the denominator of every time share.</summary>
    public double TotalMicroseconds => NodeMicroseconds.Values.Sum();

    /// <summary>
    /// The fused plan's time as the sum of its per-step medians. On a loaded machine this is steadier than the
    /// end-to-end median (a short step is rarely preempted; a whole run often is), and it is the same statistic as
    /// <see cref="TotalMicroseconds"/>, so the two compare.
    /// </summary>
    public double FusedStepsMs => FusedSteps.Sum(s => s.MedianMicroseconds) / 1000;

    /// <summary>The unfused plan's per-step medians summed, in ms.</summary>
    public double UnfusedStepsMs => TotalMicroseconds / 1000;
}

/// <summary>Measures <see cref="NetworkTiming"/>.</summary>
public static class NetworkTimer
{
    private const int MinWarmupRuns = 20;
    private const double WarmupSeconds = 0.5;

    public static NetworkTiming Measure(Graph graph, AdviceSettings s, PhaseRunner phase)
    {
        using var fused = new InferenceSession(graph, new SessionOptions { Threads = s.Threads, Fuse = true });
        using var unfused = new InferenceSession(graph, new SessionOptions { Threads = s.Threads, Fuse = false });
        var inputs = graph.Inputs.Select((input, i) => new Rng(s.Seed + (ulong)i).NormalTensor(input.Shape.ToArray())).ToArray();
        var sessions = new[] { fused, unfused };
        var bindings = sessions.Select(session => Bind(session, inputs)).ToArray();

        // Untimed runs until the JIT has promoted the kernels to optimized code (it waits for a quiet 100 ms before it
        // does) and the caches are warm: at least WarmupSeconds and MinWarmupRuns runs of each plan.
        var warm = Stopwatch.GetTimestamp();
        for (var i = 0; i < MinWarmupRuns || Stopwatch.GetElapsedTime(warm).TotalSeconds < WarmupSeconds; i++)
        {
            fused.Run(bindings[0]);
            unfused.Run(bindings[1]);
        }
        var t0 = Stopwatch.GetTimestamp();
        unfused.Run(bindings[1]);
        var runs = s.Runs(Stopwatch.GetElapsedTime(t0).TotalSeconds, s.RoundSeconds / 2);

        var endToEnd = new List<double>[] { [], [] };
        var stepRounds = new List<IReadOnlyList<StepProfile>>[] { [], [] };
        phase("advise: measure the network (fused and unfused)", s.Rounds, tick =>
        {
            for (var round = 0; round < s.Rounds; round++)
            {
                // Alternate which plan goes first, so that slow drift within a round favours neither.
                foreach (var k in round % 2 == 0 ? new[] { 0, 1 } : [1, 0])
                {
                    var samples = new double[runs];
                    for (var i = 0; i < runs; i++)
                    {
                        var start = Stopwatch.GetTimestamp();
                        sessions[k].Run(bindings[k]);
                        samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    }
                    endToEnd[k].Add(Stats.Median(samples));
                    stepRounds[k].Add(sessions[k].Profile(bindings[k], runs: runs, warmup: 1));
                }
                tick($"round {round + 1}/{s.Rounds}");
            }
        });

        var fusedSteps = MedianSteps(stepRounds[0]);
        var unfusedSteps = MedianSteps(stepRounds[1]);
        return new NetworkTiming(PerNode(graph, unfusedSteps), fusedSteps, Stats.Median(endToEnd[0]), Stats.Median(endToEnd[1]),
            unfusedSteps.Count, s.Rounds, runs);
    }

    private static SessionBinding Bind(InferenceSession session, Tensor[] inputs)
    {
        var binding = session.CreateBinding();
        for (var i = 0; i < inputs.Length; i++) binding.BindInput(i, inputs[i].Data);
        for (var j = 0; j < session.Outputs.Count; j++) binding.BindOutput(j, new float[session.Outputs[j].Shape.ElementCount]);
        return binding;
    }

    private static IReadOnlyList<StepProfile> MedianSteps(List<IReadOnlyList<StepProfile>> rounds) =>
        rounds[0].Select((step, i) => step with { MedianMicroseconds = Stats.Median(rounds.Select(r => r[i].MedianMicroseconds)) }).ToArray();

    /// <summary>
    /// Books each unfused step's time to the graph nodes it computes: a step of one node (almost all of them without
    /// fusion) to that node; a step computing several (a Concat's copies are several steps of one node; a squeeze-excite
    /// scale read by its 1×1 convolution is one step of two) in proportion to their MACs, or evenly when none has any.
    /// Nodes the compiler removed (BatchNorm folded into its convolution, Dropout) get no time of their own.
    /// </summary>
    private static Dictionary<string, double> PerNode(Graph graph, IReadOnlyList<StepProfile> steps)
    {
        var macs = Cost.CostReport.Analyze(graph).Nodes.ToDictionary(n => n.Node.Name, n => n.Macs, StringComparer.Ordinal);
        var result = graph.Nodes.ToDictionary(n => n.Name, _ => 0.0, StringComparer.Ordinal);
        foreach (var step in steps)
        {
            var names = step.Nodes.Where(result.ContainsKey).Distinct().ToArray();
            if (names.Length == 0) continue;
            var total = names.Sum(n => macs.GetValueOrDefault(n));
            foreach (var n in names)
                result[n] += total > 0 ? step.MedianMicroseconds * macs.GetValueOrDefault(n) / total : step.MedianMicroseconds / names.Length;
        }
        return result;
    }
}
