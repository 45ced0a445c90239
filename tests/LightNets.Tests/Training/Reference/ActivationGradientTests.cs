using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Reference;
using static LightNets.Tests.Training.Reference.GradCheck;

namespace LightNets.Tests.Training.Reference;

/// <summary>
/// Finite-difference checks of every activation at points away from its kinks (where the derivative is a convention,
/// checked against PyTorch in TorchOpFixtureTests), and of SE's channel scale.
/// </summary>
public class ActivationGradientTests
{
    public static TheoryData<string, Activation, double[]> Activations => new()
    {
        { "relu", Activation.Relu, [0] },
        { "relu6", Activation.Relu6, [0, 6] },
        { "clip(-1, 2.5)", Activation.Clip(-1, 2.5f), [-1, 2.5] },
        { "hardswish", Activation.HardSwish, [-3, 3] },
        { "hardsigmoid", Activation.HardSigmoid(), [-3, 3] },
        { "hardsigmoid(0.2, 0.5) (ONNX default)", Activation.HardSigmoid(0.2f, 0.5f), [-2.5, 2.5] },
        { "sigmoid", Activation.Sigmoid, [] },
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void Backward_matches_finite_differences_away_from_kinks(string name, Activation a, double[] kinks)
    {
        // Points over [−8, 8], each at least 10⁻³ from every kink (the finite-difference step is 10⁻⁵).
        var x = Random(200, 41, -8, 8).Select(v => kinks.Any(k => Math.Abs(v - k) < 1e-3) ? v + 2e-3 : v).ToArray();
        var r = Random(x.Length, 42);
        var y = new double[x.Length];
        double Loss()
        {
            TrainReference.ActivationForward<double>(a, x, y);
            return Dot(r, y);
        }

        var dx = Poisoned(x.Length);
        TrainReference.ActivationBackward<double>(a, x, r, dx);
        AssertClose($"{name} dx", dx, Numeric(x, Loss));
    }

    [Fact]
    public void A_nan_input_stays_nan()
    {
        foreach (var a in new[] { Activation.Relu, Activation.Relu6, Activation.HardSwish, Activation.HardSigmoid(), Activation.Sigmoid })
        {
            var y = new double[1];
            TrainReference.ActivationForward<double>(a, [double.NaN], y);
            Assert.True(double.IsNaN(y[0]), $"{a.Kind} turned NaN into {y[0]}");
        }
    }

    [Theory]
    [InlineData(2, 5, 7)]
    [InlineData(1, 1, 3)]
    [InlineData(3, 4, 1)]
    public void Channel_scale_backward_matches_finite_differences(int n, int hw, int c)
    {
        var x = Random(n * hw * c, 51);
        var s = Random(n * c, 52);
        var r = Random(n * hw * c, 53);
        var y = new double[n * hw * c];
        double Loss()
        {
            TrainReference.ScaleChannelsForward<double>(n, hw, c, x, s, y);
            return Dot(r, y);
        }

        var dx = Poisoned(x.Length);
        var ds = Poisoned(s.Length);
        TrainReference.ScaleChannelsBackward<double>(n, hw, c, x, s, r, dx, ds);
        AssertClose("dx", dx, Numeric(x, Loss));
        AssertClose("ds", ds, Numeric(s, Loss));
    }
}
