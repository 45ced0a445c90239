using System.Diagnostics;

namespace LightNets.Runtime;

/// <summary>One compiled step's measured time: the direct metric, to put beside the cost model's indirect ones.</summary>
/// <param name="Index">Position in the plan.</param>
/// <param name="Name">The node the step is named after.</param>
/// <param name="Operator">What the step computes, with what was fused into it ("conv 1×1 144→24 + add").</param>
/// <param name="Nodes">Names of the graph nodes the step computes.</param>
/// <param name="MedianMicroseconds">Median over the profiled runs.</param>
/// <param name="Threads">Threads the step used.</param>
public sealed record StepProfile(int Index, string Name, string Operator, IReadOnlyList<string> Nodes, double MedianMicroseconds, int Threads);

public static class InferenceSessionProfilingExtensions
{
    /// <summary>
    /// Runs <paramref name="runs"/> times (after <paramref name="warmup"/> unprofiled runs) timing every step, and returns
    /// each step's median. Timing adds a clock read per step; use <see cref="InferenceSession.Run(ReadOnlySpan{float}, Span{float})"/>
    /// for end-to-end latency.
    /// </summary>
    public static IReadOnlyList<StepProfile> Profile(this InferenceSession session, ReadOnlySpan<float> input, Span<float> output,
        int runs = 50, int warmup = 5)
    {
        var ticks = new long[session.Plan.Steps.Count, Math.Max(1, runs)];
        for (var i = 0; i < warmup; i++) session.Run(input, output);
        for (var r = 0; r < runs; r++)
        {
            var run = r;
            session.Run(input, output, (step, elapsed) => ticks[step, run] = elapsed);
        }
        return Medians(session, ticks, runs);
    }

    /// <summary>
    /// <see cref="Profile(InferenceSession, ReadOnlySpan{float}, Span{float}, int, int)"/> for a model with any number of
    /// inputs and outputs: every input bound to <paramref name="binding"/>, the bound outputs copied.
    /// </summary>
    public static IReadOnlyList<StepProfile> Profile(this InferenceSession session, SessionBinding binding, int runs = 50, int warmup = 5)
    {
        ArgumentNullException.ThrowIfNull(binding);
        var ticks = new long[session.Plan.Steps.Count, Math.Max(1, runs)];
        for (var i = 0; i < warmup; i++) session.Run(binding);
        for (var r = 0; r < runs; r++)
        {
            var run = r;
            session.Run(binding, (step, elapsed) => ticks[step, run] = elapsed);
        }
        return Medians(session, ticks, runs);
    }

    private static StepProfile[] Medians(InferenceSession session, long[,] ticks, int runs)
    {
        var steps = session.Plan.Steps;
        var result = new StepProfile[steps.Count];
        var column = new long[runs];
        for (var s = 0; s < steps.Count; s++)
        {
            for (var r = 0; r < runs; r++) column[r] = ticks[s, r];
            Array.Sort(column);
            var median = runs == 0 ? 0 : column[runs / 2] * 1e6 / Stopwatch.Frequency;
            var threads = session.Threads > 1 ? Math.Min(session.Threads, steps[s].Parts(session.Threads)) : 1;
            result[s] = new StepProfile(s, steps[s].Name, steps[s].Describe(), steps[s].Nodes.Select(n => n.Name).ToArray(), median, threads);
        }
        return result;
    }
}
