using System.Text.Json;
using LightNets.Training.Optim;

namespace LightNets.Tests.Training.Optim;

/// <summary>The schedules against torch.optim.lr_scheduler's own rates (schedules.json), and what makes them safe to resume.</summary>
public class ScheduleTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases()
    {
        using var doc = OptimFixtures.Load("schedules.json");
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! }).ToList();
    }

    /// <summary>
    /// torch steps most schedulers recursively (lr ← lr·factor each step) where LightNets evaluates the closed form, so
    /// the two differ by accumulated double rounding: measured worst 3.1e-15 relative. Anything a formula gets wrong is
    /// off by far more than this bound.
    /// </summary>
    private const double Tolerance = 1e-12;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_torch_lr_scheduler_at_every_step(string name)
    {
        using var doc = OptimFixtures.Load("schedules.json");
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var spe = c.GetProperty("steps_per_epoch").GetInt32();
        var epochs = c.GetProperty("epochs").GetInt32();
        var schedule = Build(c.GetProperty("settings"), spe, epochs);
        var lrs = OptimFixtures.Doubles(c.GetProperty("lrs"));
        double[]? momenta = c.TryGetProperty("momenta", out var m) ? OptimFixtures.Doubles(m) : null;
        var worst = 0.0;
        for (var step = 0; step < lrs.Length; step++)
        {
            var rate = schedule.RateAt(step, spe);
            var err = Math.Abs(rate - lrs[step]) / Math.Max(lrs[step], 1e-300);
            worst = Math.Max(worst, err);
            Assert.True(err <= Tolerance, $"{name} step {step}: {rate:R} vs torch {lrs[step]:R}");
            if (momenta is null) Assert.Null(schedule.MomentumAt(step, spe));
            else
            {
                var momentum = schedule.MomentumAt(step, spe);
                Assert.NotNull(momentum);
                Assert.True(Math.Abs(momentum.Value - momenta[step]) <= Tolerance, $"{name} step {step}: momentum {momentum:R} vs torch {momenta[step]:R}");
            }
        }
        output.WriteLine($"{name}: worst relative error {worst:E2}");
    }

    private static LearningRateSchedule Build(JsonElement s, int spe, int epochs)
    {
        var rate = s.GetProperty("lr").GetDouble();
        LinearWarmup? warmup = s.TryGetProperty("warmup_steps", out var w)
            ? new LinearWarmup(w.GetDouble() / spe, s.GetProperty("warmup_start").GetDouble())
            : null;
        return s.GetProperty("kind").GetString() switch
        {
            "step" => new StepSchedule(rate, s.GetProperty("gamma").GetDouble(), s.GetProperty("every_epochs").GetInt32()) { Warmup = warmup },
            "exponential" => new ExponentialSchedule(rate, s.GetProperty("gamma").GetDouble()) { Warmup = warmup },
            "cosine" => new CosineSchedule(rate, epochs, s.GetProperty("floor").GetDouble()) { Warmup = warmup },
            "linear" => new LinearDecaySchedule(rate, epochs) { Warmup = warmup },
            "one_cycle" => new OneCycleSchedule(rate, epochs, s.GetProperty("pct_start").GetDouble(), s.GetProperty("div_factor").GetDouble(),
                s.GetProperty("final_div_factor").GetDouble())
            {
                Warmup = warmup,
                BaseMomentum = s.GetProperty("base_momentum").GetDouble(),
                MaxMomentum = s.GetProperty("max_momentum").GetDouble(),
            },
            var other => throw new InvalidOperationException(other),
        };
    }

    [Fact]
    public void Epoch_schedules_count_epochs_from_the_end_of_the_warm_up()
    {
        // Two warm-up epochs of 10 steps, then ×0.5 per epoch: epoch boundaries stay on real epochs.
        var schedule = new ExponentialSchedule(0.4, 0.5) { Warmup = new LinearWarmup(2, 0.25) };
        Assert.Equal(0.1, schedule.RateAt(0, 10), 15);                 // 0.25·0.4
        Assert.Equal(0.4 * (0.25 + 0.75 * 15 / 20.0), schedule.RateAt(15, 10), 15);
        Assert.Equal(0.4, schedule.RateAt(20, 10), 15);
        Assert.Equal(0.4, schedule.RateAt(29, 10), 15);
        Assert.Equal(0.2, schedule.RateAt(30, 10), 15);
        var steps = new StepSchedule(1.0, 0.1, everyEpochs: 3);
        Assert.Equal([1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01], Enumerable.Range(0, 7).Select(e => Math.Round(steps.RateAt(e * 4, 4), 12)));
    }

    [Fact]
    public void Schedules_end_at_their_final_rate_and_stay_there()
    {
        Assert.Equal(0.0, new LinearDecaySchedule(0.5, 3).RateAt(3 * 7, 7));
        Assert.Equal(0.0, new LinearDecaySchedule(0.5, 3).RateAt(1000, 7));
        Assert.Equal(0.01, new CosineSchedule(0.2, 3, floor: 0.01).RateAt(3 * 7, 7), 15);
        Assert.Equal(0.01, new CosineSchedule(0.2, 3, floor: 0.01).RateAt(500, 7), 15);
        var cycle = new OneCycleSchedule(0.2, 3);
        Assert.Equal(cycle.RateAt(20, 7), cycle.RateAt(900, 7));
        Assert.Equal(0.95, cycle.MomentumAt(900, 7));
        Assert.Equal(0.2 / 25 / 1e4, cycle.RateAt(20, 7), 1e-18);
        Assert.Null(new OneCycleSchedule(0.2, 3) { CycleMomentum = false }.MomentumAt(5, 7));
    }

    [Fact]
    public void A_one_cycle_whose_rising_phase_is_one_step_long_peaks_at_once()
    {
        // pct_start·T = 1: torch divides by zero here; the phase counts as finished.
        var cycle = new OneCycleSchedule(0.5, 1, pctStart: 0.1);
        Assert.Equal(0.5, cycle.RateAt(0, 10));
        Assert.Equal(0.85, cycle.MomentumAt(0, 10));
        Assert.True(cycle.RateAt(1, 10) < 0.5);
    }

    [Fact]
    public void The_rate_depends_only_on_the_step_so_a_resumed_run_gets_the_same_rates()
    {
        LearningRateSchedule[] schedules =
        [
            new CosineSchedule(0.3, 4) { Warmup = new LinearWarmup(0.5) }, new OneCycleSchedule(0.2, 4),
            new StepSchedule(0.1, 0.5, 1), new ExponentialSchedule(0.045, 0.98), new LinearDecaySchedule(0.5, 4),
            new ConstantSchedule(0.01) { Warmup = new LinearWarmup(1) },
        ];
        foreach (var s in schedules)
        {
            var forward = Enumerable.Range(0, 40).Select(k => s.RateAt(k, 10)).ToArray();
            var backward = Enumerable.Range(0, 40).Reverse().Select(k => s.RateAt(k, 10)).Reverse().ToArray();
            Assert.Equal(forward, backward);
        }
    }

    public static TheoryData<string, Action> BadSettings => new()
    {
        { "learning rate", () => _ = new ConstantSchedule(0) },
        { "learning rate", () => _ = new CosineSchedule(double.NaN, 3) },
        { "cosine schedule epochs", () => _ = new CosineSchedule(0.1, 0) },
        { "cosine schedule floor", () => _ = new CosineSchedule(0.1, 3, floor: 0.2) },
        { "step schedule gamma", () => _ = new StepSchedule(0.1, 0, 2) },
        { "epochs between drops", () => _ = new StepSchedule(0.1, 0.5, 0) },
        { "exponential schedule gamma", () => _ = new ExponentialSchedule(0.1, 1.5) },
        { "linear decay epochs", () => _ = new LinearDecaySchedule(0.1, -2) },
        { "one-cycle pct_start", () => _ = new OneCycleSchedule(0.1, 3, pctStart: 1.5) },
        { "one-cycle div_factor", () => _ = new OneCycleSchedule(0.1, 3, divFactor: 0) },
        { "one-cycle base momentum", () => _ = new OneCycleSchedule(0.1, 3) { BaseMomentum = -0.1 } },
        { "warm-up epochs", () => _ = new LinearWarmup(0) },
        { "warm-up start factor", () => _ = new LinearWarmup(1, 1.5) },
        { "as long as the whole", () => new CosineSchedule(0.1, 2) { Warmup = new LinearWarmup(2) }.RateAt(0, 5) },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Settings_out_of_range_are_refused_by_name(string named, Action build)
    {
        var e = Assert.Throws<OptimizationSettingsException>(build);
        Assert.Contains(named, e.Message);
    }
}
