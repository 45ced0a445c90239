using LightNets.Graphs;
using LightNets.Runtime.Kernels.Reference;
using LightNets.Tensors;
using static LightNets.Tests.Runtime.ReferenceAssert;

namespace LightNets.Tests.Runtime;

public class ActivationReferenceTests
{
    [Fact]
    public void Relu_zeroes_negatives()
    {
        var y = ActivationReference.Relu(Of([1, 5], -2, -0.5f, 0, 0.5f, 3));
        Close([1, 5], [0, 0, 0, 0.5f, 3], y, Tolerance.Exact);
    }

    [Fact]
    public void Clip_as_relu6_and_as_a_symmetric_band()
    {
        var x = Of([1, 6], -1, 0, 3, 6, 7.5f, 1e9f);
        Close([1, 6], [0, 0, 3, 6, 6, 6], ActivationReference.Clip(x, ClipOp.Relu6), Tolerance.Exact);
        Close([1, 6], [-1, 0, 1, 1, 1, 1], ActivationReference.Clip(x, new ClipOp(-1, 1)), Tolerance.Exact);
    }

    [Fact]
    public void Hard_sigmoid_of_mobilenetv3_at_its_kinks()
    {
        // ReLU6(x + 3)/6: 0 up to −3, 0.5 at 0, 1 from 3 on, linear between.
        var y = ActivationReference.HardSigmoid(Of([1, 7], -4, -3, -1.5f, 0, 1.5f, 3, 4), HardSigmoidOp.MobileNetV3);
        Close([1, 7], [0, 0, 0.25f, 0.5f, 0.75f, 1, 1], y, Tolerance.FewUlps);
    }

    [Fact]
    public void Hard_sigmoid_with_onnx_default_parameters()
    {
        // ONNX's default α = 0.2, β = 0.5: kinks at ±2.5.
        var y = ActivationReference.HardSigmoid(Of([1, 5], -3, -2.5f, 0, 2.5f, 3), new HardSigmoidOp(0.2f, 0.5f));
        Close([1, 5], [0, 0, 0.5f, 1, 1], y, Tolerance.FewUlps);
    }

    [Fact]
    public void Hard_swish_at_its_kinks()
    {
        // x·ReLU6(x + 3)/6: 0 up to −3, x from 3 on; −1 → −1·2/6, 1 → 1·4/6.
        var y = ActivationReference.HardSwish(Of([1, 7], -4, -3, -1, 0, 1, 3, 4));
        Close([1, 7], [0, 0, -1f / 3, 0, 2f / 3, 3, 4], y, Tolerance.FewUlps);
        Assert.Equal(0f, y.Data[1]); // exactly 0 at the lower kink
        Assert.Equal(3f, y.Data[5]); // exactly x at the upper kink
    }

    [Fact]
    public void Sigmoid_values_and_saturation()
    {
        var ln3 = MathF.Log(3);
        var y = ActivationReference.Sigmoid(Of([1, 5], 0, ln3, -ln3, 100, -100));
        // 1/(1 + 1/3) = 0.75, 1/(1 + 3) = 0.25; far out it saturates to 1 and 0 without NaN.
        Close([1, 5], [0.5f, 0.75f, 0.25f, 1, 0], y, Tolerance.FewUlps);
    }

    [Fact]
    public void Softmax_of_1_2_3()
    {
        var y = ActivationReference.Softmax(Of([1, 3], 1, 2, 3));
        // e^−2, e^−1, 1 over their sum 1.5032147...
        Close([1, 3], [0.090030573f, 0.24472847f, 0.66524096f], y, Tolerance.FewUlps);
    }

    [Fact]
    public void Softmax_is_stable_for_large_inputs_and_sums_to_one()
    {
        var large = ActivationReference.Softmax(Of([2, 3], 1000, 1001, 1002, -1000, -1001, -1002));
        Close([0.090030573f, 0.24472847f, 0.66524096f, 0.66524096f, 0.24472847f, 0.090030573f], large.Data, Tolerance.FewUlps);

        var x = Random(7, 4, 10);
        for (var i = 0; i < x.Data.Length; i++) x.Data[i] *= 50;
        var y = ActivationReference.Softmax(x);
        for (var n = 0; n < 4; n++)
        {
            var sum = 0.0;
            for (var c = 0; c < 10; c++)
            {
                Assert.InRange(y.At(n, c), 0f, 1f);
                sum += y.At(n, c);
            }
            Assert.Equal(1.0, sum, Tolerance.FewUlps * 10);
        }
    }

    [Fact]
    public void Softmax_of_a_feature_map_runs_over_channels_at_each_pixel()
    {
        var ln3 = MathF.Log(3);
        // Pixel 0 holds (0, 0) across the two channels, pixel 1 holds (ln 3, 0).
        var y = ActivationReference.Softmax(Of([1, 2, 1, 2], 0, ln3, 0, 0));
        Close([1, 2, 1, 2], [0.5f, 0.75f, 0.5f, 0.25f], y, Tolerance.FewUlps);
    }

    [Fact]
    public void Element_wise_activations_keep_the_shape()
    {
        var x = Random(3, 2, 3, 4, 5);
        Assert.Equal(x.Shape, ActivationReference.HardSwish(x).Shape);
        Assert.Equal(x.Shape, ActivationReference.Sigmoid(x).Shape);
        Assert.Equal(new Shape(2, 3, 4, 5), ActivationReference.Relu(x).Shape);
    }
}
