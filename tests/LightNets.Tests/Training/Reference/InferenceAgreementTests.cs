using LightNets.Graphs;
using LightNets.Runtime.Kernels.Reference;
using LightNets.Tensors;
using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Reference;

namespace LightNets.Tests.Training.Reference;

/// <summary>
/// The training forward rules against the inference reference kernels (NCHW, float32) on geometries PyTorch cannot
/// express, such as ONNX's asymmetric padding: training and inference must compute the same function.
/// </summary>
public class InferenceAgreementTests
{
    [Theory]
    [InlineData(2, 7, 6, 4, 6, 3, 3, 2, 2, 0, 0, 1, 1, 1, 2)]   // TF SAME s2, groups 2
    [InlineData(1, 9, 8, 3, 3, 5, 3, 1, 2, 2, 1, 2, 1, 2, 3)]   // depthwise, dilation 2 rows, asymmetric
    [InlineData(1, 5, 5, 5, 7, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1)]
    public void Conv_forward_matches_inference(int n, int h, int w, int cin, int cout, int kh, int kw, int sh, int sw,
        int top, int left, int bottom, int right, int dilation, int groups)
    {
        var op = new Conv2dOp(kh, kw, sh, sw, new Padding2d(top, left, bottom, right), dilation, 1, groups);
        var x = Random(new Shape(n, cin, h, w), 1);
        var wt = Random(new Shape(cout, cin / groups, kh, kw), 2);
        var b = Random(new Shape(cout), 3);
        var expected = ConvReference.Conv2d(x, wt, b, op);
        var s = ConvShape.Create(n, h, w, cin, cout, op);
        var y = new float[s.OutputLength];
        TrainReference.ConvForward<float>(s, ToNhwc(x), wt.Data, b.Data, y);
        AssertClose(ToNhwc(expected), y);
    }

    [Theory]
    [InlineData(3, 3, 2, 2, 1, 0, 0, 2, true)]
    [InlineData(3, 3, 2, 2, 1, 1, 1, 1, true)]
    [InlineData(2, 3, 2, 3, 0, 1, 1, 2, false)]
    public void Pool_forward_matches_inference(int kh, int kw, int sh, int sw, int top, int left, int bottom, int right, bool ceil)
    {
        var x = Random(new Shape(2, 3, 7, 8), 4);
        var pad = new Padding2d(top, left, bottom, right);
        var max = new MaxPoolOp(kh, kw, sh, sw, pad, ceil);
        var p = PoolShape.Create(2, 7, 8, 3, max);
        var y = new float[p.OutputLength];
        TrainReference.MaxPoolForward<float>(p, ToNhwc(x), y, new int[p.OutputLength]);
        AssertClose(ToNhwc(PoolReference.MaxPool(x, max)), y);

        foreach (var include in new[] { false, true })
        {
            var avg = new AveragePoolOp(kh, kw, sh, sw, pad, include, ceil);
            TrainReference.AvgPoolForward<float>(p, include, ToNhwc(x), y);
            AssertClose(ToNhwc(PoolReference.AveragePool(x, avg)), y);
        }
    }

    private static Tensor Random(Shape shape, int seed)
    {
        var rng = new Random(seed);
        var t = new Tensor(shape);
        for (var i = 0; i < t.Data.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    private static float[] ToNhwc(Tensor t) => Array.ConvertAll(TrainingFixtures.Nhwc(t), v => (float)v);

    /// <summary>Both sum the same float terms in different orders: a few ulps of the sum of magnitudes (≤ 75 terms of order 1).</summary>
    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-5f, $"[{i}]: {actual[i]:R}, inference {expected[i]:R}");
    }
}
