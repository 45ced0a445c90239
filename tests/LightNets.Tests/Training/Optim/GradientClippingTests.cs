using LightNets.Tensors;
using LightNets.Training;
using LightNets.Training.Optim;

namespace LightNets.Tests.Training.Optim;

/// <summary>Clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (clipping.json), and its edge cases.</summary>
public class GradientClippingTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => new() { "clipped", "unclipped", "large", "value" };

    /// <summary>
    /// torch sums the squares in float32 and scales by a float32 coefficient; LightNets sums in double: measured worst
    /// relative difference 2.6e-8 (norm and clipped gradients alike).
    /// </summary>
    private const double Tolerance = 1e-6;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_torch(string name)
    {
        using var doc = OptimFixtures.Load("clipping.json");
        var root = doc.RootElement;
        var c = root.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var shapes = root.GetProperty("shapes").EnumerateArray().Select(s => new Shape(OptimFixtures.Ints(s))).ToArray();
        var grads = c.GetProperty("grads").EnumerateArray().Select(OptimFixtures.Floats).ToArray();
        var parameters = shapes.Select((s, i) => new Parameter($"p{i}", s, ParameterKind.ConvWeight, new float[s.ElementCount])).ToArray();
        for (var i = 0; i < parameters.Length; i++) grads[i].CopyTo(parameters[i].Grad, 0);

        var limit = c.GetProperty("max").GetDouble();
        var worst = 0.0;
        if (c.GetProperty("kind").GetString() == "norm")
        {
            var norm = GradientClipping.ClipByGlobalNorm(parameters, limit);
            var torchNorm = c.GetProperty("norm").GetDouble();
            worst = Math.Abs(norm - torchNorm) / torchNorm;
            Assert.True(worst <= Tolerance, $"norm {norm:R} vs torch {torchNorm:R}");
        }
        else GradientClipping.ClipByValue(parameters, limit);

        var clipped = c.GetProperty("clipped").EnumerateArray().Select(OptimFixtures.Floats).ToArray();
        for (var i = 0; i < parameters.Length; i++)
            for (var j = 0; j < clipped[i].Length; j++)
            {
                var err = Math.Abs(parameters[i].Grad[j] - clipped[i][j]) / Math.Max(Math.Abs(clipped[i][j]), 1e-30);
                worst = Math.Max(worst, err);
                Assert.True(err <= Tolerance, $"{name} p{i}[{j}]: {parameters[i].Grad[j]:R} vs torch {clipped[i][j]:R}");
            }
        output.WriteLine($"{name}: worst relative error {worst:E2}");
    }

    private static Parameter[] Two(float a, float b)
    {
        var p = new Parameter("a", new Shape(1), ParameterKind.ConvWeight, [0f]);
        var q = new Parameter("b", new Shape(1), ParameterKind.Bias, [0f]);
        p.Grad[0] = a;
        q.Grad[0] = b;
        return [p, q];
    }

    [Fact]
    public void Frozen_parameters_are_neither_counted_nor_clipped()
    {
        var ps = Two(3, 4);
        ps[1].Trainable = false;
        Assert.Equal(3, GradientClipping.ClipByGlobalNorm(ps, 1.5), 12);
        Assert.Equal(4f, ps[1].Grad[0]);
        Assert.Equal((float)(3 * 1.5 / (3 + 1e-6)), ps[0].Grad[0]);
        GradientClipping.ClipByValue(ps, 0.5);
        Assert.Equal(4f, ps[1].Grad[0]);
        Assert.Equal(0.5f, ps[0].Grad[0]);
    }

    [Fact]
    public void The_norm_of_huge_float_gradients_does_not_overflow()
    {
        var ps = Two(3e30f, 4e30f);
        Assert.Equal(1, GradientClipping.ClipByGlobalNorm(ps, 1) / 5e30, 6);
        Assert.Equal(0.6f, ps[0].Grad[0], 6);
        Assert.Equal(0.8f, ps[1].Grad[0], 6);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void A_non_finite_norm_is_returned_and_the_gradients_left_alone(float bad)
    {
        var ps = Two(bad, 4);
        Assert.False(double.IsFinite(GradientClipping.ClipByGlobalNorm(ps, 1)));
        Assert.Equal(4f, ps[1].Grad[0]);
        GradientClipping.ClipByValue(ps, 1);
        Assert.Equal(1f, ps[1].Grad[0]);
        Assert.Equal(float.IsNaN(bad) ? float.NaN : 1f, ps[0].Grad[0]);
    }

    [Fact]
    public void Clipping_allocates_nothing_and_refuses_bad_limits()
    {
        var ps = OptimizerBehaviourTests.Awkward(7);
        foreach (var p in ps) Array.Fill(p.Grad, 2f);
        GradientClipping.ClipByGlobalNorm(ps, 1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        GradientClipping.ClipByGlobalNorm(ps, 1);
        GradientClipping.ClipByValue(ps, 0.01);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Contains("clipping norm", Assert.Throws<OptimizationSettingsException>(() => GradientClipping.ClipByGlobalNorm(ps, 0)).Message);
        Assert.Contains("clipping value", Assert.Throws<OptimizationSettingsException>(() => GradientClipping.ClipByValue(ps, double.NaN)).Message);
    }
}
