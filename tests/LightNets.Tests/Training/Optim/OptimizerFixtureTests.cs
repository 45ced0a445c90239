using System.Text.Json;
using LightNets.Training;
using LightNets.Training.Optim;

namespace LightNets.Tests.Training.Optim;

/// <summary>
/// SGD, PyTorch's RMSProp and AdamW against torch.optim 1.13 itself: the same start, five steps of the same gradients
/// and changing learning rates (optimizers.json), every parameter compared after every step.
/// </summary>
public class OptimizerFixtureTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases()
    {
        using var doc = OptimFixtures.Load("optimizers.json");
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! }).ToList();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_torch_optim_step_by_step(string name)
    {
        using var doc = OptimFixtures.Load("optimizers.json");
        var root = doc.RootElement;
        var c = root.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var parameters = OptimFixtures.Parameters(root);
        if (c.TryGetProperty("frozen", out var frozen))
            foreach (var f in frozen.EnumerateArray()) parameters.Single(p => p.Name == f.GetString()).Trainable = false;
        var optimizer = Build(c, parameters);
        var lrs = OptimFixtures.Doubles(root.GetProperty("lrs"));
        var grads = root.GetProperty("grads").EnumerateArray().ToArray();
        var after = c.GetProperty("after").EnumerateArray().ToArray();
        double[]? momenta = c.TryGetProperty("momentum_per_step", out var mps) ? OptimFixtures.Doubles(mps) : null;

        var worst = 0.0;
        for (var step = 0; step < lrs.Length; step++)
        {
            var g = grads[step].EnumerateArray().ToArray();
            for (var i = 0; i < parameters.Length; i++) OptimFixtures.Floats(g[i]).CopyTo(parameters[i].Grad, 0);
            if (momenta is not null) optimizer.Momentum = momenta[step];
            optimizer.Step(lrs[step]);
            var expected = after[step].EnumerateArray().ToArray();
            for (var i = 0; i < parameters.Length; i++)
            {
                var want = OptimFixtures.Floats(expected[i]);
                for (var j = 0; j < want.Length; j++)
                {
                    var err = Math.Abs((double)parameters[i].Value[j] - want[j]) / Math.Max(Math.Abs((double)want[j]), 1e-3);
                    worst = Math.Max(worst, err);
                    Assert.True(err <= Tolerance, $"{name} step {step + 1} {parameters[i].Name}[{j}]: {parameters[i].Value[j]:R} vs torch {want[j]:R} (relative error {err:E2})");
                }
            }
        }
        output.WriteLine($"{name}: worst relative error {worst:E2}");
    }

    /// <summary>
    /// Measured: 0 on every case, i.e. bit-identical to torch 1.13, because each element is computed with PyTorch's
    /// operations in PyTorch's order, fused where its CPU kernels fuse. Any difference means that order changed (with
    /// the multiply-adds of addcmul unfused, RMSProp and AdamW drift by up to 8e-6 here).
    /// </summary>
    private const double Tolerance = 0;

    private static Optimizer Build(JsonElement c, Parameter[] parameters)
    {
        var s = c.GetProperty("settings");
        double Get(string key, double fallback) => s.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        bool Flag(string key) => s.TryGetProperty(key, out var v) && v.GetBoolean();
        var mask = new WeightDecayMask(SkipDepthwise: c.TryGetProperty("skip_depthwise", out var sd) && sd.GetBoolean());
        return c.GetProperty("optimizer").GetString() switch
        {
            "sgd" => new Sgd(parameters, Get("momentum", 0), Get("dampening", 0), Flag("nesterov"), Get("weight_decay", 0), mask),
            "rmsprop" => new RmsProp(parameters, Get("alpha", 0.99), Get("eps", 1e-8), Get("momentum", 0), Flag("centered"), Get("weight_decay", 0), mask),
            "adamw" => s.TryGetProperty("betas", out var b)
                ? new AdamW(parameters, b[0].GetDouble(), b[1].GetDouble(), Get("eps", 1e-8), Get("weight_decay", 0.01), mask)
                : new AdamW(parameters, epsilon: Get("eps", 1e-8), weightDecay: Get("weight_decay", 0.01), mask: mask),
            var other => throw new InvalidOperationException(other),
        };
    }
}
