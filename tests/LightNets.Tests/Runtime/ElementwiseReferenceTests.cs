using LightNets.Runtime.Kernels.Reference;
using LightNets.Tensors;
using static LightNets.Tests.Runtime.ReferenceAssert;

namespace LightNets.Tests.Runtime;

public class ElementwiseReferenceTests
{
    [Fact]
    public void Equal_shapes_add_and_multiply_element_by_element()
    {
        var a = Of([1, 2, 1, 2], 1, 2, 3, 4);
        var b = Of([1, 2, 1, 2], 10, 20, 30, -40);
        Close([1, 2, 1, 2], [11, 22, 33, -36], ElementwiseReference.Add(a, b), Tolerance.Exact);
        Close([1, 2, 1, 2], [10, 40, 90, -160], ElementwiseReference.Mul(a, b), Tolerance.Exact);
    }

    [Fact]
    public void Squeeze_excite_scale_broadcasts_over_the_plane_in_either_order()
    {
        var scale = Of([1, 2, 1, 1], 2, -1);
        var map = Of([1, 2, 2, 2], 1, 2, 3, 4, 5, 6, 7, 8);
        float[] expected = [2, 4, 6, 8, -5, -6, -7, -8];
        Close([1, 2, 2, 2], expected, ElementwiseReference.Mul(scale, map), Tolerance.Exact);
        Close([1, 2, 2, 2], expected, ElementwiseReference.Mul(map, scale), Tolerance.Exact);
    }

    [Fact]
    public void Per_image_channel_vector_broadcasts_with_batch_2()
    {
        var bias = Of([2, 2, 1, 1], 100, 200, 300, 400);
        var map = Of([2, 2, 1, 2], 1, 2, 3, 4, 5, 6, 7, 8);
        Close([2, 2, 1, 2], [101, 102, 203, 204, 305, 306, 407, 408], ElementwiseReference.Add(map, bias), Tolerance.Exact);
        Close([2, 2, 1, 2], [101, 102, 203, 204, 305, 306, 407, 408], ElementwiseReference.Add(bias, map), Tolerance.Exact);
    }

    [Fact]
    public void Rank_2_against_rank_1_aligns_on_the_right()
    {
        var m = Of([2, 3], 1, 2, 3, 4, 5, 6);
        var v = Of([3], 10, 20, 30);
        Close([2, 3], [11, 22, 33, 14, 25, 36], ElementwiseReference.Add(m, v), Tolerance.Exact);
        Close([2, 3], [10, 40, 90, 40, 100, 180], ElementwiseReference.Mul(v, m), Tolerance.Exact);
    }

    [Fact]
    public void Both_operands_can_broadcast_at_once()
    {
        var column = Of([2, 1], 1, 2);
        var row = Of([1, 3], 10, 20, 30);
        Close([2, 3], [11, 21, 31, 12, 22, 32], ElementwiseReference.Add(column, row), Tolerance.Exact);
        Assert.Equal(new Shape(2, 3), ElementwiseReference.BroadcastShape(row.Shape, column.Shape));
        Assert.Equal(Shape.Nchw(4, 3, 5, 6), ElementwiseReference.BroadcastShape(Shape.Nchw(4, 1, 5, 1), new Shape(3, 1, 6)));
    }

    [Fact]
    public void Incompatible_shapes_are_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => ElementwiseReference.Add(Of([1, 2], 1, 2), Of([1, 3], 1, 2, 3)));
        Assert.Contains("2 vs 3", ex.Message);
    }
}
