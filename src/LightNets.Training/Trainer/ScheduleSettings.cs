using System.Text.Json.Nodes;
using LightNets.Training.Optim;

namespace LightNets.Training.Trainer;

/// <summary>The learning-rate schedules a run can use, by their command-line names.</summary>
public enum ScheduleKind
{
    /// <summary>The same rate throughout.</summary>
    Constant,
    /// <summary>× <see cref="ScheduleSettings.Gamma"/> every <see cref="ScheduleSettings.StepEpochs"/> epochs.</summary>
    Step,
    /// <summary>× <see cref="ScheduleSettings.Gamma"/> every epoch (MobileNetV2: 0.98).</summary>
    Exp,
    /// <summary>Cosine annealing to 0 over the run.</summary>
    Cosine,
    /// <summary>Linear decay to 0 over the run (ShuffleNetV1/V2).</summary>
    Linear,
    /// <summary>torch's OneCycleLR: up to the rate and down again, momentum cycling the other way.</summary>
    OneCycle,
}

/// <summary>How the learning rate moves over a run, with an optional linear warm-up; <see cref="Create"/> builds it.</summary>
public sealed record ScheduleSettings
{
    public ScheduleKind Kind { get; init; } = ScheduleKind.Cosine;

    /// <summary>The factor of step and exponential schedules (null: 0.1 for step, 0.98 for exponential).</summary>
    public double? Gamma { get; init; }

    /// <summary>Epochs between the step schedule's drops (null: 3, MobileNetV3's).</summary>
    public int? StepEpochs { get; init; }

    /// <summary>Linear warm-up from 1 % of the rate, in epochs (0: none). Not with one-cycle, which warms up itself.</summary>
    public double WarmupEpochs { get; init; }

    /// <summary>One-cycle: the share of the run spent rising (torch_fmnist.py's anchor uses 0.15).</summary>
    public double? PctStart { get; init; }

    public ScheduleSettings Resolved() => this with
    {
        Gamma = Gamma ?? (Kind == ScheduleKind.Exp ? 0.98 : Kind == ScheduleKind.Step ? 0.1 : null),
        StepEpochs = StepEpochs ?? (Kind == ScheduleKind.Step ? 3 : null),
        PctStart = PctStart ?? (Kind == ScheduleKind.OneCycle ? 0.3 : null),
    };

    /// <summary>The schedule for a run of <paramref name="epochs"/> epochs at base (or peak) rate <paramref name="rate"/>.</summary>
    /// <exception cref="OptimizationSettingsException">A value out of range, or a warm-up with one-cycle.</exception>
    public LearningRateSchedule Create(double rate, int epochs)
    {
        var r = Resolved();
        OptimizationSettingsException.RequireFinite("warm-up epochs", WarmupEpochs, 0, epochs);
        if (Kind == ScheduleKind.OneCycle && WarmupEpochs > 0)
            throw new OptimizationSettingsException("one-cycle starts low and warms up by itself: drop --warmup-epochs, or use another schedule");
        var warmup = WarmupEpochs > 0 ? new LinearWarmup(WarmupEpochs) : null;
        return Kind switch
        {
            ScheduleKind.Constant => new ConstantSchedule(rate) { Warmup = warmup },
            ScheduleKind.Step => new StepSchedule(rate, r.Gamma!.Value, r.StepEpochs!.Value) { Warmup = warmup },
            ScheduleKind.Exp => new ExponentialSchedule(rate, r.Gamma!.Value) { Warmup = warmup },
            ScheduleKind.Cosine => new CosineSchedule(rate, epochs) { Warmup = warmup },
            ScheduleKind.Linear => new LinearDecaySchedule(rate, epochs) { Warmup = warmup },
            ScheduleKind.OneCycle => new OneCycleSchedule(rate, epochs, r.PctStart!.Value),
            _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
        };
    }

    /// <summary>The command-line name: constant, step, exp, cosine, linear, onecycle.</summary>
    public static string Name(ScheduleKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>One line for logs: "cosine, 1 warm-up epoch".</summary>
    public string Describe()
    {
        var r = Resolved();
        var main = Kind switch
        {
            ScheduleKind.Step => $"step ×{r.Gamma:G4} every {r.StepEpochs} epoch{(r.StepEpochs == 1 ? "" : "s")}",
            ScheduleKind.Exp => $"exp ×{r.Gamma:G4} per epoch",
            ScheduleKind.OneCycle => $"onecycle (rising over {r.PctStart:P0} of the run)",
            _ => Name(Kind),
        };
        return WarmupEpochs > 0 ? $"{main}, {WarmupEpochs:G4} warm-up epoch{(WarmupEpochs == 1 ? "" : "s")}" : main;
    }

    internal JsonObject ToJson()
    {
        var r = Resolved();
        return new JsonObject
        {
            ["kind"] = Name(Kind),
            ["gamma"] = r.Gamma,
            ["step_epochs"] = r.StepEpochs,
            ["warmup_epochs"] = WarmupEpochs,
            ["pct_start"] = r.PctStart,
        };
    }
}
