using LightNets.Graphs;
using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Reference;
using static LightNets.Tests.Training.TrainingFixtures;

namespace LightNets.Tests.Training.Reference;

/// <summary>
/// The reference kernels against PyTorch 1.13 where its conventions are subtle (ops/ fixtures): BatchNorm's running
/// variance (unbiased) and momentum, label smoothing, max-pool ties (the first maximum gets the gradient), average
/// pooling's divisor with and without padding and in ceil mode, activation derivatives at the kinks. The reference runs
/// in double on PyTorch's float32 inputs, so the tolerance only absorbs PyTorch's float32 rounding.
/// </summary>
public class TorchOpFixtureTests
{
    /// <summary>PyTorch computes in float32: a few ulps of values of order 1–10, with sums of up to 100 terms.</summary>
    private const double Float32Rounding = 2e-5;

    [Theory]
    [InlineData("0.1", 0.1)]
    [InlineData("0.01", 0.01)]
    public void Batch_norm_updates_running_statistics_as_pytorch(string tag, double momentum)
    {
        var name = "bn_m" + tag;
        var xt = Op(name, "x");
        int rows = xt.Shape.N * xt.Shape.H * xt.Shape.W, c = xt.Shape.C;
        var x = Nhwc(xt);
        double[] gamma = Doubles(Op(name, "gamma")), beta = Doubles(Op(name, "beta"));
        double[] rm = Doubles(Op(name, "rm0")), rv = Doubles(Op(name, "rv0"));
        double[] mean = new double[c], invStd = new double[c], y = new double[x.Length];
        TrainReference.BatchNormTrainForward<double>(rows, c, x, gamma, beta, 1e-5, momentum, rm, rv, mean, invStd, y);
        Close("y", Nhwc(Op(name, "y")), y);
        Close("running mean", Doubles(Op(name, "rm")), rm);
        Close("running var (unbiased)", Doubles(Op(name, "rv")), rv);

        double[] dx = new double[x.Length], dgamma = new double[c], dbeta = new double[c];
        TrainReference.BatchNormBackward<double>(rows, c, x, Nhwc(Op(name, "dy")), gamma, mean, invStd, dx, dgamma, dbeta);
        Close("dx", Nhwc(Op(name, "dx")), dx);
        Close("dgamma", Doubles(Op(name, "dgamma")), dgamma);
        Close("dbeta", Doubles(Op(name, "dbeta")), dbeta);
    }

    [Theory]
    [InlineData("ce_s0", 0.0)]
    [InlineData("ce_s0.1", 0.1)]
    public void Cross_entropy_with_label_smoothing_matches_pytorch(string name, double smoothing)
    {
        var logits = Op(name, "logits");
        int n = logits.Shape[0], classes = logits.Shape[1];
        var labels = Array.ConvertAll(Op(name, "labels").Data, v => (int)v);
        var d = new double[n * classes];
        var loss = TrainReference.SoftmaxCrossEntropy<double>(n, classes, Doubles(logits), labels, smoothing, d);
        Close("loss", Doubles(Op(name, "loss")), [loss]);
        Close("dlogits", Doubles(Op(name, "dlogits")), d);
    }

    [Theory]
    [InlineData("maxpool_ties", 1, false)]
    [InlineData("maxpool_ceil", 0, true)]
    public void Max_pool_picks_the_first_maximum_as_pytorch(string name, int padding, bool ceil)
    {
        var xt = Op(name, "x");
        var p = PoolShape.Create(xt.Shape.N, xt.Shape.H, xt.Shape.W, xt.Shape.C,
            new MaxPoolOp(3, 3, 2, 2, Padding2d.Symmetric(padding), ceil));
        var y = new double[p.OutputLength];
        var argmax = new int[p.OutputLength];
        TrainReference.MaxPoolForward<double>(p, Nhwc(xt), y, argmax);
        Close("y", Nhwc(Op(name, "y")), y);

        // PyTorch's index is h·W + w within the (n, c) plane; ours is the flat NHWC index of the same cell.
        var expected = Nhwc(Op(name, "indices"));
        for (var o = 0; o < argmax.Length; o++)
        {
            var c = o % p.C;
            var pixel = argmax[o] / p.C;
            Assert.Equal(c, argmax[o] % p.C);
            Assert.True(expected[o] == pixel % (p.H * p.W), $"output {o}: argmax at plane index {pixel % (p.H * p.W)}, PyTorch {expected[o]}");
        }

        var dx = new double[p.InputLength];
        TrainReference.MaxPoolBackward<double>(p, Nhwc(Op(name, "dy")), argmax, dx);
        Close("dx", Nhwc(Op(name, "dx")), dx);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void Average_pool_divides_as_pytorch(bool countIncludePad, bool ceil)
    {
        var name = $"avgpool_pad{(countIncludePad ? 1 : 0)}_ceil{(ceil ? 1 : 0)}";
        var xt = Op(name, "x");
        var p = PoolShape.Create(xt.Shape.N, xt.Shape.H, xt.Shape.W, xt.Shape.C,
            new AveragePoolOp(3, 3, 2, 2, Padding2d.Symmetric(1), countIncludePad, ceil));
        var y = new double[p.OutputLength];
        TrainReference.AvgPoolForward<double>(p, countIncludePad, Nhwc(xt), y);
        Close("y", Nhwc(Op(name, "y")), y);
        var dx = new double[p.InputLength];
        TrainReference.AvgPoolBackward<double>(p, countIncludePad, Nhwc(Op(name, "dy")), dx);
        Close("dx", Nhwc(Op(name, "dx")), dx);
    }

    public static TheoryData<string, Activation> Activations => new()
    {
        { "act_relu", Activation.Relu },
        { "act_relu6", Activation.Relu6 },
        { "act_hardswish", Activation.HardSwish },
        { "act_hardsigmoid", Activation.HardSigmoid() },
        { "act_hardtanh", Activation.Clip(-1, 2.5f) },
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void Activation_derivatives_at_the_kinks_match_pytorch(string name, Activation a)
    {
        // In float, as the engine runs: the kinks (−3, 0, 3, 6, ±1e-7, 6 + 1 ulp) must fall on PyTorch's side exactly.
        var x = Op(name, "x").Data;
        var dy = Op(name, "dy").Data;
        var y = new float[x.Length];
        var dx = new float[x.Length];
        TrainReference.ActivationForward<float>(a, x, y);
        TrainReference.ActivationBackward<float>(a, x, dy, dx);
        var expectedY = Op(name, "y").Data;
        var expectedDx = Op(name, "dx").Data;
        for (var i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(expectedY[i] - y[i]) <= 1e-6f * Math.Max(1f, Math.Abs(expectedY[i])),
                $"{name} y({x[i]:R}) = {y[i]:R}, PyTorch {expectedY[i]:R}");
            Assert.True(Math.Abs(expectedDx[i] - dx[i]) <= 1e-6f * Math.Max(1f, Math.Abs(expectedDx[i])),
                $"{name} dx at x = {x[i]:R}: {dx[i]:R}, PyTorch {expectedDx[i]:R}");
        }
    }

    private static void Close(string what, double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Float32Rounding * Math.Max(1, Math.Abs(expected[i])),
                $"{what}[{i}]: {actual[i]:R}, PyTorch {expected[i]:R}");
        }
    }
}
