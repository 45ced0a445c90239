using LightNets.Tensors;
using LightNets.Training;
using LightNets.Training.Optim;

namespace LightNets.Tests.Training.Optim;

/// <summary>
/// What every optimizer promises beyond the PyTorch fixtures: the SIMD loop computes exactly what the plain loop does
/// on every length, frozen parameters and their state stay untouched, no step allocates, and settings out of range
/// are refused by name.
/// </summary>
public class OptimizerBehaviourTests
{
    /// <summary>Every optimizer configuration with a distinct update loop.</summary>
    public static TheoryData<string> Kinds => new()
    {
        "sgd", "sgd-wd", "sgd-momentum", "sgd-dampening", "sgd-nesterov", "rmsprop", "rmsprop-momentum-wd",
        "rmsprop-centered", "rmsprop-centered-momentum", "rmsprop-tf", "rmsprop-tf-centered-wd", "adamw", "adamw-nodecay",
    };

    internal static Optimizer Make(string kind, IEnumerable<Parameter> p, bool vectorized = true) => kind switch
    {
        "sgd" => new Sgd(p) { Vectorized = vectorized },
        "sgd-wd" => new Sgd(p, weightDecay: 0.01) { Vectorized = vectorized },
        "sgd-momentum" => new Sgd(p, momentum: 0.9, weightDecay: 1e-3) { Vectorized = vectorized },
        "sgd-dampening" => new Sgd(p, momentum: 0.8, dampening: 0.25) { Vectorized = vectorized },
        "sgd-nesterov" => new Sgd(p, momentum: 0.9, nesterov: true, weightDecay: 4e-5) { Vectorized = vectorized },
        "rmsprop" => new RmsProp(p) { Vectorized = vectorized },
        "rmsprop-momentum-wd" => new RmsProp(p, alpha: 0.9, momentum: 0.9, weightDecay: 0.01) { Vectorized = vectorized },
        "rmsprop-centered" => new RmsProp(p, centered: true, epsilon: 1e-3) { Vectorized = vectorized },
        "rmsprop-centered-momentum" => new RmsProp(p, centered: true, momentum: 0.5) { Vectorized = vectorized },
        "rmsprop-tf" => new TfRmsProp(p, momentum: 0.9, epsilon: 1.0) { Vectorized = vectorized },
        "rmsprop-tf-centered-wd" => new TfRmsProp(p, decay: 0.99, momentum: 0.9, centered: true, epsilon: 1e-3, weightDecay: 4e-5) { Vectorized = vectorized },
        "adamw" => new AdamW(p) { Vectorized = vectorized },
        "adamw-nodecay" => new AdamW(p, beta1: 0.8, beta2: 0.99, weightDecay: 0) { Vectorized = vectorized },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Parameters of every length 1–33 (around every vector width), plus long ones, with seeded values.</summary>
    internal static Parameter[] Awkward(int seed)
    {
        var random = new Random(seed);
        var lengths = Enumerable.Range(1, 33).Concat([64, 67, 129, 1000]).ToArray();
        var kinds = Enum.GetValues<ParameterKind>();
        return lengths.Select((n, i) =>
        {
            var p = new Parameter($"p{i}", new Shape(n), kinds[i % kinds.Length], Gaussian(random, n, 0.5f));
            return p;
        }).ToArray();
    }

    internal static float[] Gaussian(Random random, int n, float scale)
    {
        var v = new float[n];
        for (var i = 0; i < n; i++) v[i] = scale * (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return v;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Simd_loop_is_bit_identical_to_the_plain_loop(string kind)
    {
        var fast = Awkward(1);
        var plain = Awkward(1);
        var a = Make(kind, fast);
        var b = Make(kind, plain, vectorized: false);
        var random = new Random(2);
        double[] rates = [0.1, 0.03, 0.2, 0.05];
        foreach (var rate in rates)
        {
            for (var i = 0; i < fast.Length; i++)
            {
                var g = Gaussian(random, fast[i].Grad.Length, 1f);
                g.CopyTo(fast[i].Grad, 0);
                g.CopyTo(plain[i].Grad, 0);
            }
            a.Step(rate);
            b.Step(rate);
        }
        for (var i = 0; i < fast.Length; i++) Assert.Equal(plain[i].Value, fast[i].Value);
        Assert.Equal(b.Slots.Count, a.Slots.Count);
        for (var s = 0; s < a.Slots.Count; s++) Assert.Equal(b.Slots[s].Values, a.Slots[s].Values);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Frozen_parameters_and_their_state_are_left_alone(string kind)
    {
        var parameters = Awkward(3);
        var optimizer = Make(kind, parameters);
        var frozen = parameters[35];
        frozen.Trainable = false;
        var before = (float[])frozen.Value.Clone();
        var slotsBefore = optimizer.Slots.Where(s => s.Parameter == frozen).Select(s => (float[])s.Values.Clone()).ToArray();
        foreach (var p in parameters) Array.Fill(p.Grad, 0.5f);
        optimizer.Step(0.1);
        optimizer.Step(0.1);
        Assert.Equal(before, frozen.Value);
        Assert.Equal(slotsBefore, optimizer.Slots.Where(s => s.Parameter == frozen).Select(s => s.Values).ToArray());
        Assert.Equal(0, optimizer.StepsOf(35));
        Assert.Equal(2, optimizer.StepsOf(0));
        Assert.NotEqual(Awkward(3)[0].Value, parameters[0].Value);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_step_allocates_nothing(string kind)
    {
        var parameters = Awkward(4);
        var optimizer = Make(kind, parameters);
        foreach (var p in parameters) Array.Fill(p.Grad, 0.25f);
        optimizer.Step(0.01);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            optimizer.Momentum = optimizer.Momentum;
            optimizer.Step(0.01);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void Weight_decay_reaches_only_the_parameters_the_mask_selects()
    {
        // Zero gradients, plain SGD: only weight decay moves a parameter, by lr·wd·w.
        Parameter Make(string name, ParameterKind kind) => new(name, new Shape(2), kind, [1f, -2f]);
        Parameter[] all =
        [
            Make("conv", ParameterKind.ConvWeight), Make("dw", ParameterKind.DepthwiseWeight), Make("fc", ParameterKind.LinearWeight),
            Make("b", ParameterKind.Bias), Make("gamma", ParameterKind.BatchNormScale), Make("beta", ParameterKind.BatchNormShift),
        ];
        string Moved(WeightDecayMask mask)
        {
            foreach (var p in all) { p.Value[0] = 1f; p.Value[1] = -2f; }
            new Sgd(all, weightDecay: 0.1, mask: mask).Step(0.5);
            return string.Join(",", all.Where(p => p.Value[0] != 1f).Select(p => p.Name));
        }
        Assert.Equal("conv,dw,fc", Moved(default));
        Assert.Equal("conv,fc", Moved(new WeightDecayMask(SkipDepthwise: true)));
        Assert.Equal("conv,dw,fc,b,gamma,beta", Moved(new WeightDecayMask(DecayNormAndBias: true)));
        Assert.Equal(1f - 0.5f * 0.1f, all[0].Value[0], 6);
    }

    public static TheoryData<string, Action> BadSettings => new()
    {
        { "learning rate", () => new Sgd(Awkward(5)).Step(-0.1) },
        { "learning rate", () => new AdamW(Awkward(5)).Step(double.NaN) },
        { "learning rate", () => new RmsProp(Awkward(5)).Step(double.PositiveInfinity) },
        { "SGD momentum", () => _ = new Sgd(Awkward(5), momentum: 1.5) },
        { "SGD momentum", () => new Sgd(Awkward(5), momentum: 0.9).Momentum = 0 },
        { "built without momentum", () => new Sgd(Awkward(5)).Momentum = 0.9 },
        { "SGD dampening", () => _ = new Sgd(Awkward(5), momentum: 0.9, dampening: -1) },
        { "Nesterov", () => _ = new Sgd(Awkward(5), momentum: 0.9, dampening: 0.1, nesterov: true) },
        { "Nesterov", () => _ = new Sgd(Awkward(5), nesterov: true) },
        { "weight decay", () => _ = new Sgd(Awkward(5), weightDecay: -1e-4) },
        { "weight decay", () => _ = new AdamW(Awkward(5), weightDecay: double.NaN) },
        { "RMSProp alpha", () => _ = new RmsProp(Awkward(5), alpha: 1.01) },
        { "RMSProp epsilon", () => _ = new RmsProp(Awkward(5), epsilon: -1e-8) },
        { "RMSProp decay", () => _ = new TfRmsProp(Awkward(5), decay: double.NaN) },
        { "RMSProp momentum", () => new TfRmsProp(Awkward(5)).Momentum = 2 },
        { "built without momentum", () => new RmsProp(Awkward(5)).Momentum = 0.5 },
        { "AdamW beta1", () => _ = new AdamW(Awkward(5), beta1: 1.0) },
        { "AdamW beta2", () => _ = new AdamW(Awkward(5), beta2: -0.1) },
        { "AdamW beta1", () => new AdamW(Awkward(5)).Momentum = 1 },
        { "AdamW epsilon", () => _ = new AdamW(Awkward(5), epsilon: double.PositiveInfinity) },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Settings_out_of_range_are_refused_by_name(string named, Action build)
    {
        var e = Assert.Throws<OptimizationSettingsException>(build);
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void A_parameter_listed_twice_is_refused()
    {
        var p = Awkward(6);
        var e = Assert.Throws<ArgumentException>(() => new Sgd([p[0], p[1], p[0]]));
        Assert.Contains("'p0'", e.Message);
    }
}
