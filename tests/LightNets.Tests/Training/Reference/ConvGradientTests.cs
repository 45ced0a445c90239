using LightNets.Graphs;
using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Reference;
using static LightNets.Tests.Training.Reference.GradCheck;

namespace LightNets.Tests.Training.Reference;

/// <summary>Finite-difference checks of the convolution's two backward rules on every geometry the five families use, and odd ones.</summary>
public class ConvGradientTests
{
    // n, h, w, cin, cout, kh, kw, stride h/w, pad top/left/bottom/right, dilation h/w, groups, bias
    public static TheoryData<string, int[], bool> Cases => new()
    {
        { "1x1 dense, batch 2", [2, 5, 4, 3, 5, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1], true },
        { "3x3 s1 p1", [1, 5, 6, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1], false },
        { "3x3 s2 p1, batch 2", [2, 7, 6, 3, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1], true },
        { "3x3 dilation 2 p2", [1, 7, 7, 2, 3, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1], true },
        { "3x1 dilation 2x1, stride 1x2", [2, 7, 5, 2, 2, 3, 1, 1, 2, 2, 0, 2, 0, 2, 1, 1], false },
        { "3x3 groups 2", [2, 5, 5, 4, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2], false },
        { "1x1 groups 3 (ShuffleNetV1)", [1, 4, 5, 6, 9, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 3], true },
        { "depthwise 3x3 s2", [2, 7, 5, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5], true },
        { "depthwise 5x5 s1 p2", [1, 6, 7, 3, 3, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 3], false },
        { "depthwise 3x3 dilation 2", [1, 7, 6, 4, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 4], true },
        { "depthwise multiplier 2", [1, 5, 5, 3, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3], true },
        { "7x7 s2 p3", [1, 9, 8, 2, 3, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1], true },
        { "TF SAME s2 (pad 0 before, 1 after)", [1, 6, 6, 3, 2, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1, 1], true },
        { "asymmetric 3x5, pads 1/2/0/1", [2, 5, 6, 2, 2, 3, 5, 1, 2, 1, 2, 0, 1, 1, 1, 1], false },
        { "window larger than the padded input's last rows (s3)", [1, 8, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1], true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_matches_finite_differences(string name, int[] g, bool hasBias)
    {
        var op = new Conv2dOp(g[5], g[6], g[7], g[8], new Padding2d(g[9], g[10], g[11], g[12]), g[13], g[14], g[15]);
        var s = ConvShape.Create(g[0], g[1], g[2], g[3], g[4], op);
        s.Validate();
        var x = Random((int)s.InputLength, 1);
        var w = Random((int)s.WeightLength, 2);
        var b = hasBias ? Random(s.Cout, 3) : [];
        var r = Random((int)s.OutputLength, 4);
        var y = new double[s.OutputLength];
        double Loss()
        {
            TrainReference.ConvForward<double>(s, x, w, b, y);
            return Dot(r, y);
        }

        var dx = Poisoned(s.InputLength);
        var dw = Poisoned(s.WeightLength);
        var db = hasBias ? Poisoned(s.Cout) : [];
        TrainReference.ConvBackwardData<double>(s, r, w, dx);
        TrainReference.ConvBackwardWeight<double>(s, x, r, dw, db);

        AssertClose($"{name} dx", dx, Numeric(x, Loss));
        AssertClose($"{name} dw", dw, Numeric(w, Loss));
        if (hasBias) AssertClose($"{name} dbias", db, Numeric(b, Loss));
    }

    [Fact]
    public void Forward_skips_the_padding_and_adds_the_bias_once()
    {
        // A 1-channel 2×2 input, all-ones 3×3 kernel, padding 1: each output sums the in-image cells of its window.
        var s = ConvShape.Create(1, 2, 2, 1, 1, Conv2dOp.Square(3));
        var y = new double[4];
        TrainReference.ConvForward<double>(s, [1, 2, 3, 4], Enumerable.Repeat(1.0, 9).ToArray(), [0.5], y);
        Assert.Equal([10.5, 10.5, 10.5, 10.5], y);
    }

    [Fact]
    public void A_span_of_the_wrong_length_is_refused_by_name()
    {
        var s = ConvShape.Create(1, 3, 3, 2, 2, Conv2dOp.Square(3));
        var e = Assert.Throws<ArgumentException>(() =>
            TrainReference.ConvForward<double>(s, new double[17], new double[s.WeightLength], [], new double[s.OutputLength]));
        Assert.Equal("x", e.ParamName);
        Assert.Throws<ArgumentException>(() => ConvShape.Create(1, 3, 3, 4, 6, Conv2dOp.Square(3, groups: 4)).Validate());
    }
}
