using System.Diagnostics;
using LightNets.Runtime;

namespace LightNets.Benchmarks;

/// <summary>
/// Timing of sessions against each other in one process: rounds of runs of each, the order rotated every round, so
/// that the VM's drift (20 % from minute to minute) falls on all of them alike; the median of every run.
/// </summary>
internal static class Interleaved
{
    /// <summary>
    /// Median milliseconds per run of each session: <paramref name="rounds"/> rounds, session i running
    /// <paramref name="runs"/>[i] times per round, after <paramref name="warmup"/> unmeasured runs each.
    /// </summary>
    public static double[] Medians(IReadOnlyList<InferenceSession> sessions, float[] x, IReadOnlyList<int> runs, int rounds, int warmup = 20)
    {
        var outputs = sessions.Select(s => new float[s.OutputShape.ElementCount]).ToArray();
        var times = sessions.Select(_ => new List<double>()).ToArray();
        for (var i = 0; i < sessions.Count; i++)
            for (var w = 0; w < Math.Min(warmup, Math.Max(2, runs[i])); w++) sessions[i].Run(x, outputs[i]);
        for (var r = 0; r < rounds; r++)
            for (var j = 0; j < sessions.Count; j++)
            {
                var i = (j + r) % sessions.Count;
                Time(sessions[i], x, outputs[i], runs[i], times[i]);
            }
        return times.Select(Median).ToArray();
    }

    public static void Time(InferenceSession s, float[] x, float[] y, int runs, List<double> times)
    {
        for (var i = 0; i < runs; i++)
        {
            var start = Stopwatch.GetTimestamp();
            s.Run(x, y);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    public static double Median(List<double> v)
    {
        var a = v.Order().ToArray();
        return a[a.Length / 2];
    }
}
