using LightNets.Tests.Training.Reference;
using LightNets.Training.Engine;

namespace LightNets.Tests.Training.Engine;

/// <summary>
/// The whole training plan (lowering, gradient accumulation at fan-outs, aliases, broadcasts, the schedule and the
/// arena) checked by finite differences in double on a tiny network with every trainable operator, then the float
/// session against the double plan.
/// </summary>
public class WholeModelGradientTests(ITestOutputHelper output)
{
    /// <summary>
    /// Gradients below this fraction of the model's largest are compared against it instead of against themselves:
    /// some are zero in exact arithmetic (β of a BN whose output reaches another BN through a linear layer only) and
    /// rounding noise in practice.
    /// </summary>
    private const double NoiseFloor = 1e-3;

    [Fact]
    public void Every_parameter_gradient_matches_finite_differences()
    {
        var graph = TrainingGraphs.EveryOp();
        var (input, labels) = TrainingGraphs.Batch(graph.Inputs[0].Shape, 10, 1);
        using var plan = new DoublePlan(graph);
        plan.Loss(input, labels);
        var analytic = plan.Params.Select(p => (double[])p.Grad.Clone()).ToArray();
        var floor = NoiseFloor * analytic.Max(g => g.Max(Math.Abs));
        int checkedCount = 0, nearKinks = 0;
        var worst = 0.0;
        for (var i = 0; i < plan.Params.Length; i++)
        {
            var p = plan.Params[i];
            var coarse = GradCheck.Numeric(p.Value, () => plan.Loss(input, labels));
            double[]? fine = null;
            for (var j = 0; j < coarse.Length; j++)
            {
                checkedCount++;
                var scale = Math.Max(Math.Max(Math.Abs(analytic[i][j]), Math.Abs(coarse[j])), floor);
                var error = Math.Abs(analytic[i][j] - coarse[j]) / scale;
                if (error <= GradCheck.Tolerance)
                {
                    worst = Math.Max(worst, error);
                    continue;
                }
                // ReLU, ReLU6, max-pool and the other kinks are dense in a network whose BN couples every value of a
                // channel: a kink within 10⁻⁵ of the point spoils the coarse difference. Then a 10× smaller step must
                // agree with the analytic gradient (up to its larger rounding error, ε·|L|/h) and disagree with the
                // coarse one; a wrong rule fails both.
                fine ??= GradCheck.Numeric(p.Value, () => plan.Loss(input, labels), GradCheck.Step / 10);
                var fineError = Math.Abs(analytic[i][j] - fine[j]) / scale;
                var unstable = Math.Abs(coarse[j] - fine[j]) / scale > GradCheck.Tolerance;
                Assert.True(unstable && fineError <= 1e-4,
                    $"{p.Name}[{j}]: analytic {analytic[i][j]:R}, numeric {coarse[j]:R} (step 1e-5), {fine[j]:R} (step 1e-6)");
                nearKinks++;
            }
        }
        output.WriteLine($"{checkedCount} gradients, worst relative error {worst:E2}; {nearKinks} checked with the finer step near a kink");
        Assert.True(nearKinks < checkedCount / 10, $"{nearKinks} of {checkedCount} gradients sit near a kink: the check has lost its power");
    }

    [Fact]
    public void The_float_session_computes_the_double_plans_gradients()
    {
        var graph = TrainingGraphs.EveryOp();
        var (input, labels) = TrainingGraphs.Batch(graph.Inputs[0].Shape, 10, 2);
        using var plan = new DoublePlan(graph);
        var expectedLoss = plan.Loss(input, labels);
        using var session = new TrainingSession(graph, new TrainingSessionOptions { LabelSmoothing = 0.1f, Seed = 5 });
        var loss = session.Step(input, labels);
        Assert.Equal(expectedLoss, loss, 5);
        var floor = NoiseFloor * plan.Params.Max(p => p.Grad.Max(Math.Abs));
        for (var i = 0; i < plan.Params.Length; i++)
        {
            var expected = plan.Params[i].Grad;
            var actual = session.Parameters[i].Grad;
            Assert.Equal(plan.Params[i].Name, session.Parameters[i].Name);
            var scale = Math.Max(expected.Max(Math.Abs), floor);
            for (var j = 0; j < expected.Length; j++)
                Assert.True(Math.Abs(actual[j] - expected[j]) <= 1e-4 * scale,
                    $"{plan.Params[i].Name}[{j}]: float {actual[j]:R}, double {expected[j]:R}");
        }
    }
}
