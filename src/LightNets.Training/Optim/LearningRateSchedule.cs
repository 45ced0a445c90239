namespace LightNets.Training.Optim;

/// <summary>
/// A linear warm-up before a schedule, as torchvision's recipes chain them (<c>SequentialLR([LinearLR(start_factor),
/// main], milestones=[W])</c>): over the first W = round(<paramref name="Epochs"/> × steps per epoch) steps the rate rises
/// linearly from <paramref name="StartFactor"/>·r₀ towards r₀, the schedule's first rate; from step W on, the schedule
/// runs as if the run began there. Epoch-based schedules therefore count their epochs from the end of the warm-up (a
/// whole number of warm-up epochs keeps their boundaries on real epochs), and schedules that end with the run (cosine,
/// linear decay, one-cycle) fit the rest of the run.
/// </summary>
/// <param name="Epochs">Length of the warm-up in epochs (fractions allowed).</param>
/// <param name="StartFactor">The first step's share of r₀ (torchvision's <c>--lr-warmup-decay</c>, default 0.01).</param>
public sealed record LinearWarmup(double Epochs, double StartFactor = 0.01)
{
    public double Epochs { get; } = Check("warm-up epochs", Epochs, 0, double.PositiveInfinity, exclusive: true);
    public double StartFactor { get; } = Check("warm-up start factor", StartFactor, 0, 1, exclusive: false);

    /// <summary>The warm-up's length in steps at <paramref name="stepsPerEpoch"/> steps per epoch (at least 1).</summary>
    public long Steps(int stepsPerEpoch) => Math.Max(1, (long)Math.Round(Epochs * stepsPerEpoch, MidpointRounding.AwayFromZero));

    private static double Check(string name, double value, double min, double max, bool exclusive)
    {
        OptimizationSettingsException.RequireFinite(name, value, min, max, exclusive);
        return value;
    }
}

/// <summary>
/// The learning rate (and, for one-cycle, the momentum) of every optimizer step, as a pure function of the step's
/// index and the number of steps per epoch: nothing is stepped or stored, so a run resumed at step k gets exactly the
/// rate an uninterrupted run had at step k. Step 0 is the first optimizer step; the value for step k is what torch's
/// scheduler has set when the (k+1)-th <c>optimizer.step()</c> runs. Past the end of the run, a schedule keeps its
/// final rate.
/// </summary>
public abstract class LearningRateSchedule
{
    protected LearningRateSchedule(double rate)
    {
        OptimizationSettingsException.RequireFinite("learning rate", rate, 0, double.PositiveInfinity, minExclusive: true);
        Rate = rate;
    }

    /// <summary>The schedule's base rate (one-cycle: its peak).</summary>
    public double Rate { get; }

    /// <summary>An optional linear warm-up before the schedule (null: none).</summary>
    public LinearWarmup? Warmup { get; init; }

    /// <summary>The learning rate of optimizer step <paramref name="step"/> (0-based).</summary>
    public double RateAt(long step, int stepsPerEpoch)
    {
        var warmup = WarmupSteps(step, stepsPerEpoch);
        if (step >= warmup) return Main(step - warmup, stepsPerEpoch, warmup);
        var start = Warmup!.StartFactor;
        return Main(0, stepsPerEpoch, warmup) * (start + (1 - start) * step / warmup);
    }

    /// <summary>
    /// The momentum (AdamW: β1) the schedule sets for step <paramref name="step"/>, or null when it leaves the
    /// optimizer's own momentum alone (every schedule but a momentum-cycling one-cycle).
    /// </summary>
    public double? MomentumAt(long step, int stepsPerEpoch)
    {
        var warmup = WarmupSteps(step, stepsPerEpoch);
        return MainMomentum(Math.Max(0, step - warmup), stepsPerEpoch, warmup);
    }

    /// <summary>The rate <paramref name="step"/> steps after the warm-up (which took <paramref name="warmupSteps"/>).</summary>
    protected abstract double Main(long step, int stepsPerEpoch, long warmupSteps);

    protected virtual double? MainMomentum(long step, int stepsPerEpoch, long warmupSteps) => null;

    /// <summary>
    /// The steps left for the schedule proper in a run of <paramref name="epochs"/>, after the warm-up; refuses a
    /// warm-up that leaves none.
    /// </summary>
    protected static long Horizon(int epochs, int stepsPerEpoch, long warmupSteps)
    {
        var horizon = (long)epochs * stepsPerEpoch - warmupSteps;
        if (horizon < 1)
            throw new OptimizationSettingsException($"the warm-up ({warmupSteps} steps) is as long as the whole {epochs}-epoch run ({(long)epochs * stepsPerEpoch} steps); make it shorter than the run");
        return horizon;
    }

    protected static int CheckEpochs(string name, int epochs)
    {
        if (epochs < 1) throw new OptimizationSettingsException($"{name} must be at least 1, got {epochs}");
        return epochs;
    }

    private long WarmupSteps(long step, int stepsPerEpoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfLessThan(stepsPerEpoch, 1);
        return Warmup?.Steps(stepsPerEpoch) ?? 0;
    }
}
