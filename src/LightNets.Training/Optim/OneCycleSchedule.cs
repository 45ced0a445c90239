namespace LightNets.Training.Optim;

/// <summary>
/// The one-cycle policy as torch's <c>OneCycleLR</c> (1.13, two phases, cosine annealing) computes it, per step over the
/// run's T steps: the rate rises from peak/<see cref="DivFactor"/> to the peak over the first
/// <see cref="PctStart"/>·T − 1 steps, then falls to peak/(<see cref="DivFactor"/>·<see cref="FinalDivFactor"/>) at
/// step T − 1; the momentum (AdamW: β1) moves the other way, from <see cref="MaxMomentum"/> down to
/// <see cref="BaseMomentum"/> and back, unless <see cref="CycleMomentum"/> is off. Like torch, it overrides the
/// optimizer's momentum setting: with the defaults an SGD built with momentum 0.9 runs 0.95 → 0.85 → 0.95
/// (torch_fmnist.py's recipe does exactly this). Where torch divides by a phase of zero steps (PctStart·T = 1), the
/// phase is taken as already finished.
/// </summary>
public sealed class OneCycleSchedule : LearningRateSchedule
{
    /// <param name="peakRate">torch's max_lr.</param>
    /// <param name="epochs">The run's length; T = epochs × steps per epoch (less any warm-up).</param>
    /// <param name="pctStart">Share of the run spent rising.</param>
    /// <param name="divFactor">The first rate is peak/divFactor.</param>
    /// <param name="finalDivFactor">The last rate is the first rate/finalDivFactor.</param>
    public OneCycleSchedule(double peakRate, int epochs, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4)
        : base(peakRate)
    {
        Epochs = CheckEpochs("one-cycle epochs", epochs);
        OptimizationSettingsException.RequireFinite("one-cycle pct_start", pctStart, 0, 1, minExclusive: true);
        OptimizationSettingsException.RequireFinite("one-cycle div_factor", divFactor, 0, double.PositiveInfinity, minExclusive: true);
        OptimizationSettingsException.RequireFinite("one-cycle final_div_factor", finalDivFactor, 0, double.PositiveInfinity, minExclusive: true);
        PctStart = pctStart;
        DivFactor = divFactor;
        FinalDivFactor = finalDivFactor;
    }

    public int Epochs { get; }
    public double PctStart { get; }
    public double DivFactor { get; }
    public double FinalDivFactor { get; }

    /// <summary>Whether the schedule sets the momentum each step (torch's cycle_momentum, on by default).</summary>
    public bool CycleMomentum { get; init; } = true;

    public double BaseMomentum { get; init => field = CheckMomentum("one-cycle base momentum", value); } = 0.85;
    public double MaxMomentum { get; init => field = CheckMomentum("one-cycle max momentum", value); } = 0.95;

    protected override double Main(long step, int stepsPerEpoch, long warmupSteps)
    {
        var (rising, pct) = Phase(step, stepsPerEpoch, warmupSteps);
        var initial = Rate / DivFactor;
        return rising ? Anneal(initial, Rate, pct) : Anneal(Rate, initial / FinalDivFactor, pct);
    }

    protected override double? MainMomentum(long step, int stepsPerEpoch, long warmupSteps)
    {
        if (!CycleMomentum) return null;
        var (rising, pct) = Phase(step, stepsPerEpoch, warmupSteps);
        return rising ? Anneal(MaxMomentum, BaseMomentum, pct) : Anneal(BaseMomentum, MaxMomentum, pct);
    }

    /// <summary>Which phase step <paramref name="step"/> is in and how far through it, with torch's (fractional) phase ends.</summary>
    private (bool Rising, double Pct) Phase(long step, int stepsPerEpoch, long warmupSteps)
    {
        var total = Horizon(Epochs, stepsPerEpoch, warmupSteps);
        double t = Math.Min(step, total - 1);
        double peakAt = PctStart * total - 1, end = total - 1;
        if (t <= peakAt) return (true, peakAt > 0 ? t / peakAt : 1);
        return (false, end > peakAt ? (t - peakAt) / (end - peakAt) : 1);
    }

    // torch's _annealing_cos, in its order of operations.
    private static double Anneal(double start, double end, double pct) => end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1);

    private static double CheckMomentum(string name, double value)
    {
        Optimizer.RequireMomentum(name, value);
        return value;
    }
}
