using LightNets.Training;
using LightNets.Training.Optim;

namespace LightNets.Tests.Training.Optim;

/// <summary>
/// TfRmsProp (and Sgd, for TF's momentum optimizer) against hand-written double-precision transcriptions of TensorFlow's
/// CPU kernels, from tensorflow/core/kernels/training_ops.cc (TF 1.x/2.x, functor::ApplyRMSProp,
/// ApplyCenteredRMSProp, ApplyMomentum) and the slot initial values of tensorflow/python/training/rmsprop.py ("rms" =
/// ones, "mg" and "momentum" = zeros). Same parameters, gradients and changing learning rates as the PyTorch fixtures.
/// </summary>
public class TfFormulaTests(ITestOutputHelper output)
{
    /// <summary>ApplyRMSProp / ApplyCenteredRMSProp, one element, in double.</summary>
    private static void TfRmsPropElement(ref double w, ref double ms, ref double mg, ref double mom, double g,
        double lr, double rho, double momentum, double eps, bool centered)
    {
        ms += (g * g - ms) * (1 - rho);                 // ms.device(d) += (grad.square() - ms) * (1 - rho())
        double denominator;
        if (centered)
        {
            mg += (g - mg) * (1 - rho);                 // mg.device(d) += (grad - mg) * (1 - rho())
            denominator = ms - mg * mg + eps;           // (ms - mg.square()) + epsilon()
        }
        else denominator = ms + eps;
        mom = mom * momentum + g * lr / Math.Sqrt(denominator);   // mom * momentum() + (grad * lr()) / denom.sqrt()
        w -= mom;                                        // var.device(d) -= mom
    }

    public static TheoryData<double, double, double, bool, double> RmsPropSettings => new()
    {
        // decay, momentum, epsilon, centered, weight decay
        { 0.9, 0.9, 1.0, false, 4e-5 },    // MobileNetV2's recipe with TF-slim's ε = 1
        { 0.9, 0.0, 1e-10, false, 0 },     // TF's defaults
        { 0.99, 0.9, 1e-3, true, 1e-5 },
        { 0.9, 0.5, 0.0316, false, 0.01 },
    };

    [Theory]
    [MemberData(nameof(RmsPropSettings))]
    public void TfRmsProp_follows_TensorFlow_ApplyRMSProp(double decay, double momentum, double epsilon, bool centered, double weightDecay)
    {
        var (parameters, grads, lrs) = Inputs();
        var mask = default(WeightDecayMask);
        var optimizer = new TfRmsProp(parameters, decay, momentum, epsilon, centered, weightDecay);
        // The transcription starts from the same float32 values, in double; "rms" starts at 1.
        var w = parameters.Select(p => p.Value.Select(v => (double)v).ToArray()).ToArray();
        var ms = parameters.Select(p => Enumerable.Repeat(1.0, p.Value.Length).ToArray()).ToArray();
        var mg = parameters.Select(p => new double[p.Value.Length]).ToArray();
        var mom = parameters.Select(p => new double[p.Value.Length]).ToArray();

        var worst = 0.0;
        for (var step = 0; step < lrs.Length; step++)
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                grads[step][i].CopyTo(parameters[i].Grad, 0);
                var wd = mask.Decays(parameters[i].Kind) ? weightDecay : 0;
                for (var j = 0; j < w[i].Length; j++)
                {
                    // The L2 regularizer's gradient joins the loss gradient before the optimizer sees it.
                    var g = grads[step][i][j] + wd * w[i][j];
                    TfRmsPropElement(ref w[i][j], ref ms[i][j], ref mg[i][j], ref mom[i][j], g, lrs[step], decay, momentum, epsilon, centered);
                }
            }
            optimizer.Step(lrs[step]);
            worst = Math.Max(worst, Compare(parameters, w, Tolerance));
        }
        output.WriteLine($"worst relative error {worst:E2}");
        Assert.Equal(lrs.Length, optimizer.StepsOf(0));
    }

    /// <summary>ApplyMomentum (use_nesterov or not), one element, in double.</summary>
    private static void TfMomentumElement(ref double w, ref double accum, double g, double lr, double momentum, bool nesterov)
    {
        accum = accum * momentum + g;                                  // accum.device(d) = accum * momentum() + grad
        w -= nesterov ? g * lr + accum * momentum * lr : lr * accum;   // var -= grad*lr + accum*momentum*lr  |  lr * accum
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sgd_with_momentum_is_TensorFlow_ApplyMomentum(bool nesterov)
    {
        var (parameters, grads, lrs) = Inputs();
        var optimizer = new Sgd(parameters, momentum: 0.9, nesterov: nesterov);
        var w = parameters.Select(p => p.Value.Select(v => (double)v).ToArray()).ToArray();
        var accum = parameters.Select(p => new double[p.Value.Length]).ToArray();
        var worst = 0.0;
        for (var step = 0; step < lrs.Length; step++)
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                grads[step][i].CopyTo(parameters[i].Grad, 0);
                for (var j = 0; j < w[i].Length; j++) TfMomentumElement(ref w[i][j], ref accum[i][j], grads[step][i][j], lrs[step], 0.9, nesterov);
            }
            optimizer.Step(lrs[step]);
            worst = Math.Max(worst, Compare(parameters, w, Tolerance));
        }
        output.WriteLine($"worst relative error {worst:E2}");
    }

    /// <summary>
    /// Float32 against double after five steps, as |float − double| / max(|w|, 1) (the error is absolute, from rounding
    /// the updates, so tiny weights must not inflate it): measured worst 4.4e-7 (centered, ε = 1e-3, where ms − mg²
    /// cancels), 1.8e-7 otherwise. The mean square starting at 0, or ε outside the root, fails it.
    /// </summary>
    private const double Tolerance = 2e-6;

    private static double Compare(Parameter[] parameters, double[][] expected, double tolerance)
    {
        var worst = 0.0;
        for (var i = 0; i < parameters.Length; i++)
            for (var j = 0; j < expected[i].Length; j++)
            {
                var err = Math.Abs(parameters[i].Value[j] - expected[i][j]) / Math.Max(Math.Abs(expected[i][j]), 1);
                worst = Math.Max(worst, err);
                Assert.True(err <= tolerance, $"{parameters[i].Name}[{j}]: {parameters[i].Value[j]:R} vs TF formula {expected[i][j]:R} (relative error {err:E2})");
            }
        return worst;
    }

    private static (Parameter[] Parameters, float[][][] Grads, double[] Lrs) Inputs()
    {
        using var doc = OptimFixtures.Load("optimizers.json");
        var root = doc.RootElement;
        var grads = root.GetProperty("grads").EnumerateArray()
            .Select(step => step.EnumerateArray().Select(OptimFixtures.Floats).ToArray()).ToArray();
        return (OptimFixtures.Parameters(root), grads, OptimFixtures.Doubles(root.GetProperty("lrs")));
    }
}
