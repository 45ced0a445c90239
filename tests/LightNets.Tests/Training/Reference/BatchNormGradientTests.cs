using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Reference;
using static LightNets.Tests.Training.Reference.GradCheck;

namespace LightNets.Tests.Training.Reference;

/// <summary>Finite-difference checks of BatchNorm with batch statistics (the mean and variance depend on every input of the channel).</summary>
public class BatchNormGradientTests
{
    [Theory]
    [InlineData(18, 5, 1e-5)]   // batch 2 of 3×3 maps
    [InlineData(3, 3, 1e-5)]
    [InlineData(2, 3, 0.5)]     // the fewest rows training allows: y = ±γ + β up to eps, so only a large eps leaves a gradient
    [InlineData(4, 7, 1e-3)]    // batch 4 of 1×1 maps (SE, the classifier's input)
    [InlineData(35, 1, 0.1)]
    public void Backward_matches_finite_differences(int rows, int c, double eps)
    {
        var x = Random(rows * c, 31, -2, 3);
        var gamma = Random(c, 32, 0.5, 1.5);
        var beta = Random(c, 33);
        var r = Random(rows * c, 34);
        var y = new double[rows * c];
        double[] mean = new double[c], invStd = new double[c];
        double Loss()
        {
            // Fresh running statistics every call: they are outputs, not part of the loss.
            TrainReference.BatchNormTrainForward<double>(rows, c, x, gamma, beta, eps, 0.1, new double[c], new double[c], mean, invStd, y);
            return Dot(r, y);
        }

        Loss();
        var dx = Poisoned(rows * c);
        var dgamma = Poisoned(c);
        var dbeta = Poisoned(c);
        TrainReference.BatchNormBackward<double>(rows, c, x, r, gamma, mean, invStd, dx, dgamma, dbeta);
        AssertClose("dx", dx, Numeric(x, Loss));
        AssertClose("dgamma", dgamma, Numeric(gamma, Loss));
        AssertClose("dbeta", dbeta, Numeric(beta, Loss));
    }

    public static TheoryData<string, int, int> FusedCases() => new()
    {
        { "relu", 18, 5 }, { "relu6", 12, 3 }, { "hswish", 18, 5 }, { "hswish", 4, 7 },
    };

    [Theory]
    [MemberData(nameof(FusedCases))]
    public void Fused_activation_backward_matches_finite_differences(string activation, int rows, int c)
    {
        var a = activation switch { "relu" => Activation.Relu, "relu6" => Activation.Clip(0, 6), _ => Activation.HardSwish };
        // Spread so that y covers both sides of every kink (0 and 6; −3 and 3).
        var x = Random(rows * c, 41, -2, 3);
        var gamma = Random(c, 42, 1.5, 4);
        var beta = Random(c, 43, -1, 2);
        var r = Random(rows * c, 44);
        var z = new double[rows * c];
        double[] mean = new double[c], invStd = new double[c], scale = new double[c];
        double Loss()
        {
            TrainReference.BatchNormActivationTrainForward<double>(rows, c, a, x, gamma, beta, 1e-5, 0.1, new double[c], new double[c], mean, invStd, scale, z);
            return Dot(r, z);
        }

        Loss();
        var dx = Poisoned(rows * c);
        var dgamma = Poisoned(c);
        var dbeta = Poisoned(c);
        TrainReference.BatchNormActivationBackward<double>(rows, c, a, x, r, gamma, beta, mean, invStd, scale, dx, dgamma, dbeta);
        AssertClose("dx", dx, Numeric(x, Loss));
        AssertClose("dgamma", dgamma, Numeric(gamma, Loss));
        AssertClose("dbeta", dbeta, Numeric(beta, Loss));
    }

    [Fact]
    public void One_row_per_channel_is_refused_as_pytorch_does()
    {
        var e = Assert.Throws<ArgumentException>(() => TrainReference.BatchNormTrainForward<double>(1, 2, new double[2], [1, 1], [0, 0],
            1e-5, 0.1, new double[2], new double[2], new double[2], new double[2], new double[2]));
        Assert.Contains("more than 1 value per channel", e.Message);
    }

    [Fact]
    public void Eval_forward_uses_the_running_statistics_and_updates_nothing()
    {
        double[] mean = [1, -2], variance = [3, 0.5];
        var y = new double[4];
        TrainReference.BatchNormEvalForward<double>(2, 2, [1, 0, 4, -2], [2, 1], [0.5, 0], 0.0, mean, variance, y);
        Assert.Equal(0.5, y[0], 12);
        Assert.Equal(2 / Math.Sqrt(0.5), y[1], 12);
        Assert.Equal(2 * 3 / Math.Sqrt(3) + 0.5, y[2], 12);
        Assert.Equal(0, y[3], 12);
        Assert.Equal([1.0, -2.0], mean);
        Assert.Equal([3.0, 0.5], variance);
    }
}
