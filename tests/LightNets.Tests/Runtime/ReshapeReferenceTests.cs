using LightNets.Runtime.Kernels.Reference;
using static LightNets.Tests.Runtime.ReferenceAssert;

namespace LightNets.Tests.Runtime;

public class ReshapeReferenceTests
{
    [Fact]
    public void Flatten_keeps_row_major_order_and_copies()
    {
        var x = Of([2, 2, 1, 2], 1, 2, 3, 4, 5, 6, 7, 8);
        var y = ReshapeReference.Flatten(x);
        Close([2, 4], [1, 2, 3, 4, 5, 6, 7, 8], y, Tolerance.Exact);
        y.Data[0] = 42;
        Assert.Equal(1f, x.Data[0]);
    }

    [Fact]
    public void Dropout_at_inference_is_an_identity_copy()
    {
        var x = Random(5, 1, 3, 2, 2);
        var y = ReshapeReference.Identity(x);
        Identical(x, y);
        Assert.NotSame(x.Data, y.Data);
    }
}
