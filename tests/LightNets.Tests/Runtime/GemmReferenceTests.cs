using LightNets.Runtime.Kernels.Reference;
using static LightNets.Tests.Runtime.ReferenceAssert;

namespace LightNets.Tests.Runtime;

public class GemmReferenceTests
{
    private static readonly float[] X = [1, 2, 3, 4, 5, 6];         // [2, 3]
    private static readonly float[] W = [1, 0, -1, 0.5f, 0.5f, 0.5f]; // [2, 3]: rows are output features

    [Fact]
    public void Multiplies_by_the_transposed_weight()
    {
        var y = GemmReference.Gemm(Of([2, 3], X), Of([2, 3], W), null);
        // Row 0: 1 − 3, 0.5·6; row 1: 4 − 6, 0.5·15.
        Close([2, 2], [-2, 3, -2, 7.5f], y, Tolerance.Exact);
    }

    [Fact]
    public void Adds_the_bias_per_output_feature()
    {
        var y = GemmReference.Gemm(Of([2, 3], X), Of([2, 3], W), Of([2], 10, -1));
        Close([2, 2], [8, 2, 8, 6.5f], y, Tolerance.Exact);
    }

    [Fact]
    public void Feature_mismatch_is_an_argument_error()
    {
        Assert.Throws<ArgumentException>(() => GemmReference.Gemm(Of([2, 3], X), Of([3, 2], W), null));
    }
}
