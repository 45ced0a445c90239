using System.Diagnostics;

namespace LightNets.Training.Engine;

/// <summary>The time one part of a training step took, summed over the profiled steps.</summary>
/// <param name="Name">The graph node (or "input" for the NCHW→NHWC conversion, "loss" for the softmax cross-entropy).</param>
/// <param name="Kind">What the node does ("Conv 1x1", "Conv dw3x3", "BatchNormTrain", "Activation", ...).</param>
/// <param name="Backward">Whether this is the node's backward rule.</param>
/// <param name="Total">The time summed over the profiled steps.</param>
/// <param name="Fastest">The shortest single time: on a busy machine, closer to the work's own cost than the mean.</param>
public readonly record struct StepTime(string Name, string Kind, bool Backward, TimeSpan Total, TimeSpan Fastest);

/// <summary>
/// Wall-clock time per forward and backward step of a session's plan, summed over the steps run while profiling was on
/// (<see cref="TrainingSession.Profiling"/>). When profiling is off nothing is timed.
/// </summary>
public sealed class StepProfile
{
    internal readonly string[] Names, Kinds;
    internal readonly bool[] IsBackward;
    internal readonly long[] Ticks, Fastest;

    internal StepProfile(string[] names, string[] kinds, bool[] backward)
    {
        (Names, Kinds, IsBackward) = (names, kinds, backward);
        Ticks = new long[names.Length];
        Fastest = new long[names.Length];
        Array.Fill(Fastest, long.MaxValue);
    }

    /// <summary>Training steps profiled.</summary>
    public int Steps { get; internal set; }

    /// <summary>Every timed part in the order a step runs it.</summary>
    public IReadOnlyList<StepTime> Times =>
        Names.Select((n, i) => new StepTime(n, Kinds[i], IsBackward[i], Stopwatch.GetElapsedTime(0, Ticks[i]),
            Stopwatch.GetElapsedTime(0, Steps == 0 ? 0 : Fastest[i]))).ToArray();
}
