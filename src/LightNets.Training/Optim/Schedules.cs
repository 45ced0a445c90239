namespace LightNets.Training.Optim;

/// <summary>The same rate every step (after the warm-up, if any).</summary>
public sealed class ConstantSchedule(double rate) : LearningRateSchedule(rate)
{
    protected override double Main(long step, int stepsPerEpoch, long warmupSteps) => Rate;
}

/// <summary>
/// rate·γ^⌊epoch / k⌋: the rate drops by γ every <c>everyEpochs</c> epochs (torch's StepLR stepped once per epoch;
/// MobileNetV3's "× 0.01 every 3 epochs" shape).
/// </summary>
public sealed class StepSchedule : LearningRateSchedule
{
    public StepSchedule(double rate, double gamma, int everyEpochs) : base(rate)
    {
        OptimizationSettingsException.RequireFinite("step schedule gamma", gamma, 0, 1, minExclusive: true);
        Gamma = gamma;
        EveryEpochs = CheckEpochs("step schedule's epochs between drops", everyEpochs);
    }

    public double Gamma { get; }
    public int EveryEpochs { get; }

    protected override double Main(long step, int stepsPerEpoch, long warmupSteps) =>
        Rate * Math.Pow(Gamma, step / stepsPerEpoch / EveryEpochs);
}

/// <summary>rate·γ^epoch, constant within an epoch (torch's ExponentialLR stepped once per epoch; MobileNetV2: γ = 0.98).</summary>
public sealed class ExponentialSchedule : LearningRateSchedule
{
    public ExponentialSchedule(double rate, double gamma) : base(rate)
    {
        OptimizationSettingsException.RequireFinite("exponential schedule gamma", gamma, 0, 1, minExclusive: true);
        Gamma = gamma;
    }

    public double Gamma { get; }

    protected override double Main(long step, int stepsPerEpoch, long warmupSteps) =>
        Rate * Math.Pow(Gamma, step / stepsPerEpoch);
}

/// <summary>
/// Cosine annealing from the rate down to a floor over the run, per step: floor + (rate − floor)·(1 + cos(π·t/T))/2
/// with T the run's steps after the warm-up (torch's CosineAnnealingLR with T_max = T, stepped every step).
/// </summary>
public sealed class CosineSchedule : LearningRateSchedule
{
    public CosineSchedule(double rate, int epochs, double floor = 0) : base(rate)
    {
        Epochs = CheckEpochs("cosine schedule epochs", epochs);
        OptimizationSettingsException.RequireFinite("cosine schedule floor", floor, 0, rate);
        Floor = floor;
    }

    public int Epochs { get; }
    public double Floor { get; }

    protected override double Main(long step, int stepsPerEpoch, long warmupSteps)
    {
        var horizon = Horizon(Epochs, stepsPerEpoch, warmupSteps);
        return Floor + (Rate - Floor) * (1 + Math.Cos(Math.PI * Math.Min(step, horizon) / horizon)) / 2;
    }
}

/// <summary>
/// Linear decay from the rate to 0 at the end of the run, per step: rate·(1 − t/T) (ShuffleNetV1/V2's schedule, as
/// megvii's reference trains it; torch's LinearLR(start_factor=1, end_factor=0, total_iters=T)).
/// </summary>
public sealed class LinearDecaySchedule : LearningRateSchedule
{
    public LinearDecaySchedule(double rate, int epochs) : base(rate) => Epochs = CheckEpochs("linear decay epochs", epochs);

    public int Epochs { get; }

    protected override double Main(long step, int stepsPerEpoch, long warmupSteps)
    {
        var horizon = Horizon(Epochs, stepsPerEpoch, warmupSteps);
        return Rate * (1 - (double)Math.Min(step, horizon) / horizon);
    }
}
