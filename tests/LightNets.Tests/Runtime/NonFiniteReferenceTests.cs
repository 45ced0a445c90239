using LightNets.Graphs;
using LightNets.Runtime.Kernels.Reference;
using LightNets.Tensors;
using static LightNets.Tests.Runtime.ReferenceAssert;

namespace LightNets.Tests.Runtime;

/// <summary>
/// The reference kernels' rules for NaN and ±∞, each written down in its kernel with its source (PyTorch, and ONNX
/// Runtime where it is consistent): NaN propagates through every op, ±∞ goes through IEEE 754 arithmetic, and
/// convolution padding contributes nothing. The compiled runtime is held to these (NonFiniteRuntimeTests).
/// </summary>
public class NonFiniteReferenceTests
{
    private const float NaN = float.NaN;
    private const float Inf = float.PositiveInfinity;

    /// <summary>Element-wise equality where NaN equals NaN (and +0 equals −0, as == has it).</summary>
    private static void Same(float[] expected, Tensor actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var ok = float.IsNaN(expected[i]) ? float.IsNaN(actual.Data[i]) : actual.Data[i] == expected[i];
            Assert.True(ok, $"element {i}: expected {expected[i]:R} but got {actual.Data[i]:R}");
        }
    }

    [Fact]
    public void Relu_propagates_nan_and_passes_infinities_through_the_formula()
    {
        Same([NaN, Inf, 0, 0, 2], ActivationReference.Relu(Of([1, 5], NaN, Inf, -Inf, -0f, 2)));
        Assert.True(float.IsNaN(ActivationReference.Relu(-NaN))); // either sign of NaN
    }

    [Fact]
    public void Clip_and_relu6_propagate_nan_and_clamp_infinities()
    {
        var x = Of([1, 4], NaN, Inf, -Inf, 7);
        Same([NaN, 6, 0, 6], ActivationReference.Clip(x, ClipOp.Relu6));
        Same([NaN, 1, -1, 1], ActivationReference.Clip(x, new ClipOp(-1, 1)));
    }

    [Fact]
    public void Hard_sigmoid_propagates_nan_and_saturates_at_infinities()
    {
        var x = Of([1, 3], NaN, Inf, -Inf);
        Same([NaN, 1, 0], ActivationReference.HardSigmoid(x, HardSigmoidOp.MobileNetV3));
        Same([NaN, 1, 0], ActivationReference.HardSigmoid(x, new HardSigmoidOp(0.2f, 0.5f)));
    }

    [Fact]
    public void Hard_swish_is_nan_at_nan_and_minus_infinity_and_never_overflows_a_finite_input()
    {
        // −∞·ReLU6(−∞ + 3)/6 = −∞·0 = NaN in PyTorch, in the ONNX formula and in ONNX Runtime; +∞·1 = +∞.
        // For x ≥ 3 the value is x itself, also where x·6 would overflow (PyTorch's multiply-first order gives +∞ there).
        Same([NaN, Inf, NaN, 1e38f, float.MaxValue, 0f, 0f], ActivationReference.HardSwish(Of([1, 7], NaN, Inf, -Inf, 1e38f, float.MaxValue, -1e38f, -3f)));
    }

    [Fact]
    public void Sigmoid_of_nan_and_infinities()
    {
        Same([NaN, 1, 0], ActivationReference.Sigmoid(Of([1, 3], NaN, Inf, -Inf)));
    }

    [Fact]
    public void Softmax_turns_a_slice_with_nan_or_plus_infinity_into_nan_and_leaves_the_other_slices()
    {
        var y = ActivationReference.Softmax(Of([5, 3],
            1, NaN, 2,       // NaN anywhere: the whole slice
            0, 0, 0,         // untouched: 1/3 each
            Inf, 0, 1,       // +∞ − +∞ = NaN
            -Inf, 0, 0,      // −∞ is a plain 0 share
            -Inf, -Inf, -Inf // −∞ − −∞ = NaN
        ));
        Same([NaN, NaN, NaN, 1f / 3, 1f / 3, 1f / 3, NaN, NaN, NaN, 0, 0.5f, 0.5f, NaN, NaN, NaN], y);
    }

    [Fact]
    public void Max_pool_is_nan_when_the_window_holds_a_nan_wherever_it_sits()
    {
        // 1×6 row, 1×2 windows at stride 2: NaN first, NaN last, and a −∞ beside a finite value.
        var op = new MaxPoolOp(1, 2, 1, 2, Padding2d.None);
        Same([NaN, NaN, 2], PoolReference.MaxPool(Of([1, 1, 1, 6], NaN, 1, 1, NaN, -Inf, 2), op));
        // 3×3/1 with padding 1 over a 3×3 image whose centre is NaN: every window holds the centre.
        var centre = Of([1, 1, 3, 3], -Inf, -Inf, -Inf, -Inf, NaN, -Inf, -Inf, -Inf, -Inf);
        Same(Enumerable.Repeat(NaN, 9).ToArray(), PoolReference.MaxPool(centre, new MaxPoolOp(3, 3, 1, 1, Padding2d.Symmetric(1))));
        // The padding is skipped, not read as 0: an all −∞ window stays −∞, and a NaN in the corner reaches only its windows.
        var corner = Of([1, 1, 3, 3], NaN, -Inf, -Inf, -Inf, -Inf, -Inf, -Inf, -Inf, -Inf);
        Same([NaN, NaN, -Inf, NaN, NaN, -Inf, -Inf, -Inf, -Inf], PoolReference.MaxPool(corner, new MaxPoolOp(3, 3, 1, 1, Padding2d.Symmetric(1))));
    }

    [Fact]
    public void Averages_follow_ieee_sums()
    {
        var op = new AveragePoolOp(1, 2, 1, 2, Padding2d.None, CountIncludePad: false);
        Same([NaN, NaN, Inf, -Inf], PoolReference.AveragePool(Of([1, 1, 1, 8], NaN, 1, Inf, -Inf, Inf, 5, -Inf, -Inf), op));
        Same([NaN, Inf, 2], PoolReference.GlobalAveragePool(Of([1, 3, 1, 2], 1, NaN, Inf, 3, 1, 3)));
    }

    [Fact]
    public void Add_and_mul_are_ieee_per_element_and_broadcast_nan_along_the_broadcast_axes()
    {
        Same([NaN, NaN, 3], ElementwiseReference.Add(Of([1, 3], Inf, NaN, 1), Of([1, 3], -Inf, 1, 2)));
        Same([NaN, -Inf, NaN], ElementwiseReference.Mul(Of([1, 3], 0, Inf, NaN), Of([1, 3], Inf, -1, 0)));
        // An SE-style gate [1, 2, 1, 1]: a NaN gate turns its whole channel NaN, the other channel is untouched.
        Same([NaN, NaN, 3, 4], ElementwiseReference.Mul(Of([1, 2, 1, 2], 1, 2, 3, 4), Of([1, 2, 1, 1], NaN, 1)));
    }

    [Fact]
    public void Channel_ops_copy_nan_payloads_and_infinities_bit_for_bit()
    {
        var payload = BitConverter.Int32BitsToSingle(unchecked((int)0xFFC1_2345)); // a negative quiet NaN with a payload
        var a = Of([1, 2, 1, 1], payload, Inf);
        var b = Of([1, 2, 1, 1], -Inf, -0f);
        var cat = ChannelReference.Concat([a, b]);
        var shuffled = ChannelReference.ChannelShuffle(cat, 2);
        var back = ChannelReference.ChannelShuffle(shuffled, 2);
        // Copies, not arithmetic: every processor keeps the payload, so here the bits are the point (cf. ExactFloat).
        Assert.Equal(cat.Data.Select(BitConverter.SingleToInt32Bits), back.Data.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(a.Data.Select(BitConverter.SingleToInt32Bits), ChannelReference.Slice(cat, 0, 2).Data.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(ChannelReference.Split(cat, [3, 1])[1].Data[0]));
    }

    [Fact]
    public void A_non_finite_conv_weight_reaches_only_the_outputs_whose_window_holds_its_tap_inside_the_input()
    {
        // 3×3 image of ones, 3×3 window, padding 1. Tap (0, 0) is NaN in channel 0 and +∞ in channel 1, the other taps 1.
        // Output (oy, ox) reads tap (0, 0) at input (oy − 1, ox − 1): inside the image only for oy, ox ≥ 1. Elsewhere
        // that tap is padding, skipped, so the output is the count of the other in-bounds taps, not NaN (0·∞).
        var x = Of([1, 1, 3, 3], 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var w = new Tensor(Shape.Nchw(2, 1, 3, 3));
        w.Data.AsSpan().Fill(1f);
        w.Data[0] = NaN;
        w.Data[9] = Inf;
        var y = ConvReference.Conv2d(x, w, null, Conv2dOp.Square(3));
        Same([4, 6, 4, 6, NaN, NaN, 4, NaN, NaN, 4, 6, 4, 6, Inf, Inf, 4, Inf, Inf], y);

        // 0·∞ = NaN for a tap inside the input, and +∞ and −∞ terms together give NaN.
        var z = Of([1, 1, 1, 2], 0, 1);
        Same([NaN], ConvReference.Conv2d(z, Of([1, 1, 1, 2], Inf, 1), null, new Conv2dOp(1, 2, 1, 1, Padding2d.None, 1, 1, 1)));
        Same([NaN], ConvReference.Conv2d(Of([1, 1, 1, 2], Inf, -Inf), Of([1, 1, 1, 2], 1, 1), null, new Conv2dOp(1, 2, 1, 1, Padding2d.None, 1, 1, 1)));
    }

    [Fact]
    public void Gemm_spreads_a_nan_weight_row_to_its_output_column_for_every_row_of_x()
    {
        var x = Of([2, 2], 1, 2, 3, 4);
        var w = Of([3, 2], 1, 0, NaN, 1, Inf, 1);
        Same([1, NaN, Inf, 3, NaN, Inf], GemmReference.Gemm(x, w, null));
        // ∞·0 = NaN, ∞·1 + 0·∞ = NaN, ∞·(−1) + 0·1 = −∞.
        Same([NaN, NaN, -Inf], GemmReference.Gemm(Of([1, 2], Inf, 0), Of([3, 2], 0, 1, 1, Inf, -1, 1), null));
    }

    [Fact]
    public void Batch_norm_is_ieee_per_element()
    {
        // Channel 0: γ = 2; channel 1: γ = −1; channel 2: γ = 0 (0·∞ = NaN); channel 3: NaN mean.
        var x = Of([1, 4, 1, 2], Inf, -Inf, Inf, 1, Inf, 1, 1, 1);
        var y = BatchNormReference.BatchNorm(x, Of([4], 2, -1, 0, 1), Of([4], 0, 0, 0, 0), Of([4], 0, 0, 0, NaN), Of([4], 1, 1, 1, 1), 0f);
        Same([Inf, -Inf, -Inf, -1, NaN, 0, NaN, NaN], y);
    }
}
