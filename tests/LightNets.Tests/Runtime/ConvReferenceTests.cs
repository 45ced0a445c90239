using LightNets.Graphs;
using LightNets.Runtime.Kernels.Reference;
using LightNets.Tensors;
using static LightNets.Tests.Runtime.ReferenceAssert;

namespace LightNets.Tests.Runtime;

public class ConvReferenceTests
{
    // The 4×4 input used below, x(r, c) = 4r + c + 1:
    //    1  2  3  4
    //    5  6  7  8
    //    9 10 11 12
    //   13 14 15 16

    private static readonly float[] Ones3x3 = [1, 1, 1, 1, 1, 1, 1, 1, 1];

    [Fact]
    public void Padding_edges_of_a_3x3_sum_count_only_real_cells()
    {
        var x = Iota(1, 1, 3, 3); // 1..9
        var w = Of([1, 1, 3, 3], Ones3x3);
        var y = ConvReference.Conv2d(x, w, null, Conv2dOp.Square(3));
        // Each output is the sum of the in-bounds 3×3 neighbourhood.
        Close([1, 1, 3, 3], [12, 21, 16, 27, 45, 33, 24, 39, 28], y, Tolerance.Exact);
    }

    [Fact]
    public void Kernel_is_applied_as_cross_correlation_not_flipped()
    {
        var x = Iota(1, 1, 3, 3);
        // y(oy, ox) = 1·x(oy − 1, ox − 1) + 2·x(oy + 1, ox + 1), zero outside.
        var w = Of([1, 1, 3, 3], 1, 0, 0, 0, 0, 0, 0, 0, 2);
        var y = ConvReference.Conv2d(x, w, null, Conv2dOp.Square(3));
        Close([1, 1, 3, 3], [10, 12, 0, 16, 19, 2, 0, 4, 5], y, Tolerance.Exact);
    }

    [Fact]
    public void Stride_2_with_padding_1()
    {
        var y = ConvReference.Conv2d(Iota(1, 1, 4, 4), Of([1, 1, 3, 3], Ones3x3), null, Conv2dOp.Square(3, stride: 2));
        // Windows: rows/cols {-1..1} and {1..3}: 1+2+5+6, 2+3+4+6+7+8, 5+6+9+10+13+14, 6+7+8+10+11+12+14+15+16.
        Close([1, 1, 2, 2], [14, 30, 57, 99], y, Tolerance.Exact);
    }

    [Fact]
    public void Asymmetric_padding_0_before_1_after_as_tf_same()
    {
        var op = new Conv2dOp(3, 3, 2, 2, new Padding2d(0, 0, 1, 1));
        var y = ConvReference.Conv2d(Iota(1, 1, 4, 4), Of([1, 1, 3, 3], Ones3x3), null, op);
        // Windows: rows/cols {0..2} and {2..4} (4 is the bottom/right padding).
        // (0,0) 1+2+3+5+6+7+9+10+11; (0,1) 3+4+7+8+11+12; (1,0) 9+10+11+13+14+15; (1,1) 11+12+15+16.
        Close([1, 1, 2, 2], [54, 45, 72, 54], y, Tolerance.Exact);
    }

    [Fact]
    public void Dilation_2_samples_every_other_cell()
    {
        var x = Iota(1, 1, 5, 5, offset: -1); // x(r, c) = 5r + c
        var w = Of([1, 1, 3, 3], Ones3x3);
        var valid = ConvReference.Conv2d(x, w, null, new Conv2dOp(3, 3, 1, 1, Padding2d.None, DilationH: 2, DilationW: 2));
        // Rows {0, 2, 4} × cols {0, 2, 4}: 3·5·(0+2+4) + 3·(0+2+4) = 90 + 18.
        Close([1, 1, 1, 1], [108], valid, Tolerance.Exact);

        var same = ConvReference.Conv2d(x, w, null, new Conv2dOp(3, 3, 1, 1, Padding2d.Symmetric(2), DilationH: 2, DilationW: 2));
        Assert.Equal(Shape.Nchw(1, 1, 5, 5), same.Shape);
        Assert.Equal(108f, same.At(0, 0, 2, 2));
        // Corner: rows {−2, 0, 2} × cols {−2, 0, 2}, in bounds x(0,0) + x(0,2) + x(2,0) + x(2,2) = 0 + 2 + 10 + 12.
        Assert.Equal(24f, same.At(0, 0, 0, 0));
        // (0, 4): rows {0, 2} × cols {2, 4}: 2 + 4 + 12 + 14.
        Assert.Equal(32f, same.At(0, 0, 0, 4));
    }

    [Fact]
    public void Groups_read_only_their_own_input_channels()
    {
        var x = Of([1, 4, 1, 1], 1, 2, 3, 4);
        // 4 outputs in 2 groups: outputs 0–1 read channels 0–1, outputs 2–3 read channels 2–3.
        var w = Of([4, 2, 1, 1], 1, 0, 0, 1, 1, 1, 1, -1);
        var y = ConvReference.Conv2d(x, w, null, Conv2dOp.Square(1, groups: 2));
        Close([1, 4, 1, 1], [1, 2, 3 + 4, 3 - 4], y, Tolerance.Exact);

        var w2 = Of([2, 2, 1, 1], 10, 20, 30, 40);
        var y2 = ConvReference.Conv2d(x, w2, null, Conv2dOp.Square(1, groups: 2));
        Close([1, 2, 1, 1], [1 * 10 + 2 * 20, 3 * 30 + 4 * 40], y2, Tolerance.Exact);
    }

    [Fact]
    public void Depthwise_convolves_each_channel_with_its_own_filter()
    {
        var x = new Tensor(Shape.Nchw(1, 2, 3, 3));
        for (var i = 0; i < 9; i++)
        {
            x.Data[i] = i + 1;  // channel 0: 1..9
            x.Data[9 + i] = 1;  // channel 1: all ones
        }
        var w = Of([2, 1, 3, 3], [.. Ones3x3, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
        var y = ConvReference.Conv2d(x, w, null, Conv2dOp.Square(3, groups: 2));
        // Channel 1: 2 × (number of in-bounds cells): 4 at corners, 6 on edges, 9 in the centre.
        Close([1, 2, 3, 3], [12, 21, 16, 27, 45, 33, 24, 39, 28, 8, 12, 8, 12, 18, 12, 8, 12, 8], y, Tolerance.Exact);
    }

    [Fact]
    public void Bias_is_added_per_output_channel()
    {
        var x = Of([1, 2, 1, 2], 1, 2, 3, 4); // channel 0: [1, 2], channel 1: [3, 4]
        var w = Of([2, 2, 1, 1], 0.5f, -1, 0, 1);
        var b = Of([2], 10, -0.25f);
        var y = ConvReference.Conv2d(x, w, b, Conv2dOp.Square(1));
        // out0 = 0.5·x0 − x1 + 10; out1 = x1 − 0.25.
        Close([1, 2, 1, 2], [7.5f, 7, 2.75f, 3.75f], y, Tolerance.Exact);
    }

    [Fact]
    public void Batch_of_three_convolves_each_image_alone()
    {
        // Image k is the 4×4 input plus 100k, so each window sum grows by 100k × (in-bounds cells: 4, 6, 6, 9).
        var x = Iota(3, 1, 4, 4);
        for (var k = 1; k < 3; k++)
        {
            for (var i = 0; i < 16; i++) x.Data[k * 16 + i] = i + 1 + 100 * k;
        }
        var y = ConvReference.Conv2d(x, Of([1, 1, 3, 3], Ones3x3), null, Conv2dOp.Square(3, stride: 2));
        Close([3, 1, 2, 2], [14, 30, 57, 99, 414, 630, 657, 999, 814, 1230, 1257, 1899], y, Tolerance.Exact);
    }

    [Fact]
    public void Multi_channel_non_square_kernel_and_strides()
    {
        // 1×3 kernel, stride (1, 2), on two input channels: y = Σ_c Σ_kx w[c, kx]·x[c, oy, 2·ox + kx − 1].
        var x = Of([1, 2, 2, 4], 1, 2, 3, 4, 5, 6, 7, 8, /* ch1 */ 1, 1, 1, 1, 2, 2, 2, 2);
        var w = Of([1, 2, 1, 3], 1, 2, 3, /* ch1 */ 0, 10, 0);
        var op = new Conv2dOp(1, 3, 1, 2, new Padding2d(0, 1, 0, 1));
        var y = ConvReference.Conv2d(x, w, null, op);
        // Row 0, ox 0: cols {−1, 0, 1}: 2·1 + 3·2 + 10·1 = 18; ox 1: cols {1, 2, 3}: 1·2 + 2·3 + 3·4 + 10·1 = 30.
        // Row 1, ox 0: 2·5 + 3·6 + 10·2 = 48; ox 1: 1·6 + 2·7 + 3·8 + 10·2 = 64.
        Close([1, 1, 2, 2], [18, 30, 48, 64], y, Tolerance.Exact);
    }

    [Fact]
    public void Mismatched_weight_is_an_argument_error_not_an_index_error()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            ConvReference.Conv2d(Iota(1, 3, 4, 4), Of([1, 2, 1, 1], 1, 1), null, Conv2dOp.Square(1)));
        Assert.Contains("groups", ex.Message);
    }
}
