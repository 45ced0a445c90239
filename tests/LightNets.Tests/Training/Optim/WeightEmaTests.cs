using LightNets.Tensors;
using LightNets.Training;
using LightNets.Training.Optim;

namespace LightNets.Tests.Training.Optim;

/// <summary>The weight EMA against TF's assign_moving_average / ExponentialMovingAverage(num_updates) rule, written out in double.</summary>
public class WeightEmaTests(ITestOutputHelper output)
{
    private static (Parameter[] Parameters, NamedBuffer[] Buffers) Model(int seed)
    {
        var random = new Random(seed);
        var parameters = OptimizerBehaviourTests.Awkward(seed);
        var buffers = new[]
        {
            new NamedBuffer("bn.running_mean", new Shape(7), OptimizerBehaviourTests.Gaussian(random, 7, 1f)),
            new NamedBuffer("bn.running_var", new Shape(7), OptimizerBehaviourTests.Gaussian(random, 7, 1f).Select(MathF.Abs).ToArray()),
        };
        return (parameters, buffers);
    }

    [Theory]
    [InlineData(0.9, false)]
    [InlineData(0.9999, true)]
    [InlineData(0.99, true)]
    public void Follows_TensorFlow_moving_average_over_parameters_and_buffers(double decay, bool warmup)
    {
        var (parameters, buffers) = Model(1);
        var ema = new WeightEma(parameters, buffers, decay, warmup);
        var live = parameters.Select(p => p.Value).Concat(buffers.Select(b => b.Value)).ToArray();
        var expected = live.Select(v => v.Select(x => (double)x).ToArray()).ToArray();
        var random = new Random(2);
        for (var n = 0; n < 30; n++)
        {
            // The model moves; the average follows at d = min(decay, (1 + n)/(10 + n)) with the TF rule.
            foreach (var v in live)
                for (var i = 0; i < v.Length; i++) v[i] += 0.1f * OptimizerBehaviourTests.Gaussian(random, 1, 1f)[0];
            var d = warmup ? Math.Min(decay, (1.0 + n) / (10.0 + n)) : decay;
            Assert.Equal(d, ema.DecayAt(n));
            for (var t = 0; t < live.Length; t++)
                for (var i = 0; i < live[t].Length; i++) expected[t][i] -= (expected[t][i] - live[t][i]) * (1 - d);
            ema.Update();
        }
        Assert.Equal(30, ema.Updates);
        Assert.Equal(live.Length, ema.Tensors.Count);
        var worst = 0.0;
        for (var t = 0; t < live.Length; t++)
        {
            Assert.Same(live[t], ema.Tensors[t].Live);
            // float32 against double over 30 updates, absolute (values of order 1): measured worst 2.4e-7.
            for (var i = 0; i < live[t].Length; i++)
            {
                var err = Math.Abs(ema.Tensors[t].Average[i] - expected[t][i]);
                worst = Math.Max(worst, err);
                Assert.True(err <= 2e-6, $"{ema.Tensors[t].Name}[{i}]: {ema.Tensors[t].Average[i]} vs {expected[t][i]}");
            }
        }
        output.WriteLine($"worst absolute error {worst:E2}");
    }

    [Fact]
    public void Warm_up_decay_is_TF_num_updates_rule()
    {
        var ema = new WeightEma([], [], 0.9999, warmup: true);
        Assert.Equal(0.1, ema.DecayAt(0));
        Assert.Equal(2.0 / 11, ema.DecayAt(1));
        Assert.Equal(0.9999, ema.DecayAt(100_000));
        Assert.Equal(0.9999, new WeightEma([], [], 0.9999).DecayAt(0));
    }

    [Fact]
    public void Simd_loop_is_bit_identical_to_the_plain_loop()
    {
        var (pa, ba) = Model(3);
        var (pb, bb) = Model(3);
        var fast = new WeightEma(pa, ba, 0.9, warmup: true);
        var plain = new WeightEma(pb, bb, 0.9, warmup: true) { Vectorized = false };
        var random = new Random(4);
        for (var n = 0; n < 5; n++)
        {
            for (var t = 0; t < fast.Tensors.Count; t++)
            {
                var step = OptimizerBehaviourTests.Gaussian(random, fast.Tensors[t].Live.Length, 0.3f);
                for (var i = 0; i < step.Length; i++) { fast.Tensors[t].Live[i] += step[i]; plain.Tensors[t].Live[i] += step[i]; }
            }
            fast.Update();
            plain.Update();
        }
        for (var t = 0; t < fast.Tensors.Count; t++) Assert.Equal(plain.Tensors[t].Average, fast.Tensors[t].Average);
    }

    [Fact]
    public void Swap_puts_the_averages_in_the_model_and_back_without_allocating()
    {
        var (parameters, buffers) = Model(5);
        var ema = new WeightEma(parameters, buffers, 0.5);
        var original = parameters[3].Value.ToArray();
        for (var i = 0; i < parameters[3].Value.Length; i++) parameters[3].Value[i] += 1;
        ema.Update();
        var live = parameters[3].Value.ToArray();
        var average = ema.Tensors[3].Average.ToArray();
        Assert.Equal(original.Zip(live, (a, b) => a - (a - b) * 0.5f), average);

        var before = GC.GetAllocatedBytesForCurrentThread();
        ema.Swap();
        var swapped = parameters[3].Value.ToArray();
        var during = GC.GetAllocatedBytesForCurrentThread();
        ema.Swap();
        ema.Update();
        Assert.Equal(during, GC.GetAllocatedBytesForCurrentThread());
        Assert.True(during - before < 1024, "Swap allocated");
        Assert.Equal(average, swapped);
        Assert.Equal(live, parameters[3].Value);
    }

    [Fact]
    public void Bad_settings_are_refused()
    {
        var (parameters, buffers) = Model(6);
        Assert.Contains("EMA decay", Assert.Throws<OptimizationSettingsException>(() => new WeightEma(parameters, buffers, 1.5)).Message);
        Assert.Contains("EMA decay", Assert.Throws<OptimizationSettingsException>(() => new WeightEma(parameters, buffers, double.NaN)).Message);
        var clash = new NamedBuffer(parameters[0].Name, new Shape(1), [0f]);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => new WeightEma(parameters, [clash])).Message);
    }
}
