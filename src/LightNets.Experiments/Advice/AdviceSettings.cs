namespace LightNets.Experiments.Advice;

/// <summary>Which of ShuffleNetV2's guidelines a layer's time is booked under (Fig. 2 of the paper, by guideline).</summary>
public enum GuidelineTag
{
    /// <summary>G1: a 1×1 convolution whose input and output widths are far apart (c1:c2 ≥ the threshold either way).</summary>
    G1,
    /// <summary>G2: a group convolution that is not depthwise.</summary>
    G2,
    /// <summary>G3: a convolution on one of several parallel branches reading the same input (a fragment).</summary>
    G3,
    /// <summary>G4: element-wise ops, depthwise convolutions and data movement (concat, shuffle, split, slice).</summary>
    G4,
    /// <summary>A dense convolution the guidelines have nothing against (balanced 1×1, or k×k without groups).</summary>
    Dense,
    /// <summary>Ops none of the guidelines speaks about: pooling, fully connected layers, softmax, quantizers.</summary>
    Unattributed,
}

/// <summary>How <see cref="Advisor"/> measures. Timing is noisy on a shared machine: every figure is a median of medians.</summary>
public sealed record AdviceSettings
{
    /// <summary>Threads per run (the caller's thread included).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Rounds over the whole network (fused and unfused plans alternate inside each round).</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>Timed work per plan and round; the run count follows from one calibration run.</summary>
    public double RoundSeconds { get; init; } = 0.15;

    /// <summary>Rounds over the single-layer experiments (each layer and its counterfactuals, in a rotated order).</summary>
    public int LayerRounds { get; init; } = 5;

    /// <summary>Timed work per single-layer configuration and round.</summary>
    public double LayerSeconds { get; init; } = 0.004;

    public int MinRuns { get; init; } = 3;
    public int MaxRuns { get; init; } = 200;

    /// <summary>
    /// A 1×1 convolution counts as unbalanced (G1) when max(c1, c2)/min(c1, c2) reaches this. The paper's Table 1 starts
    /// its unbalanced rows at 1:2.
    /// </summary>
    public double Imbalance { get; init; } = 2.0;

    /// <summary>A finding whose time at stake is below this share of the network's time is reported but not named (below the threshold).</summary>
    public double MinShare { get; init; } = 0.01;

    /// <summary>Seed of the input tensor.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Fewer rounds and less timed work, for tests and --quick.</summary>
    public static AdviceSettings Quick { get; } = new() { Rounds = 3, RoundSeconds = 0.05, LayerRounds = 3, LayerSeconds = 0.002 };

    internal int Runs(double secondsPerRun, double target) =>
        secondsPerRun <= 0 || double.IsNaN(secondsPerRun)
            ? MaxRuns
            : (int)Math.Clamp(Math.Ceiling(target / secondsPerRun), MinRuns, MaxRuns);
}

/// <summary>
/// A long phase of the measurement: <paramref name="total"/> units of work, each reported through the tick the work
/// receives (a label or null). The CLI draws it as a progress bar; a library caller may ignore it.
/// </summary>
public delegate void PhaseRunner(string title, int total, Action<Action<string?>> work);
