using LightNets.Training.Kernels.Reference;
using static LightNets.Tests.Training.Reference.GradCheck;

namespace LightNets.Tests.Training.Reference;

/// <summary>Finite-difference checks of the fully connected layer and of softmax cross-entropy with label smoothing.</summary>
public class LinearAndLossGradientTests
{
    [Theory]
    [InlineData(3, 7, 5, true)]
    [InlineData(1, 4, 10, false)]
    [InlineData(2, 1, 1, true)]
    public void Linear_backward_matches_finite_differences(int n, int inF, int outF, bool hasBias)
    {
        var x = Random(n * inF, 11);
        var w = Random(outF * inF, 12);
        var b = hasBias ? Random(outF, 13) : [];
        var r = Random(n * outF, 14);
        var y = new double[n * outF];
        double Loss()
        {
            TrainReference.LinearForward<double>(n, inF, outF, x, w, b, y);
            return Dot(r, y);
        }

        var dx = Poisoned(n * inF);
        var dw = Poisoned(outF * inF);
        var db = hasBias ? Poisoned(outF) : [];
        TrainReference.LinearBackward<double>(n, inF, outF, x, w, r, dx, dw, db);
        AssertClose("dx", dx, Numeric(x, Loss));
        AssertClose("dw", dw, Numeric(w, Loss));
        if (hasBias) AssertClose("db", db, Numeric(b, Loss));

        // Without dx (the first trained layer) the weight gradient is the same.
        var dw2 = Poisoned(outF * inF);
        TrainReference.LinearBackward<double>(n, inF, outF, x, w, r, [], dw2, []);
        Assert.Equal(dw, dw2);
    }

    [Theory]
    [InlineData(4, 5, 0.0, 1.0)]
    [InlineData(4, 5, 0.1, 1.0)]
    [InlineData(3, 10, 0.25, 3.0)]
    [InlineData(1, 2, 1.0, 1.0)]
    public void Cross_entropy_gradient_matches_finite_differences(int n, int classes, double smoothing, double spread)
    {
        var logits = Random(n * classes, 21, -spread, spread);
        var labels = Enumerable.Range(0, n).Select(i => (i * 7 + 3) % classes).ToArray();
        var scratch = new double[n * classes];
        double Loss() => TrainReference.SoftmaxCrossEntropy<double>(n, classes, logits, labels, smoothing, scratch);

        var d = Poisoned(n * classes);
        TrainReference.SoftmaxCrossEntropy<double>(n, classes, logits, labels, smoothing, d);
        AssertClose("dlogits", d, Numeric(logits, Loss));
    }

    [Fact]
    public void Cross_entropy_of_huge_logits_stays_finite()
    {
        // exp(1000) overflows: the log-softmax must subtract the row maximum first.
        var d = new double[3];
        var loss = TrainReference.SoftmaxCrossEntropy<double>(1, 3, [1000, 0, -1000], [1], 0.0, d);
        Assert.Equal(1000, loss, 9);
        Assert.Equal([1.0, -1.0, 0.0], d.Select(v => Math.Round(v, 12)));
        var f = new float[3];
        Assert.True(float.IsFinite(TrainReference.SoftmaxCrossEntropy<float>(1, 3, [1e30f, 0, -1e30f], [2], 0.1f, f)));
    }

    [Fact]
    public void A_label_outside_the_classes_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            TrainReference.SoftmaxCrossEntropy<double>(2, 3, new double[6], [0, 3], 0.0, new double[6]));
        Assert.Contains("label 3", e.Message);
    }
}
