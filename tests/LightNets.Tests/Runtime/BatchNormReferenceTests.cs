using LightNets.Runtime.Kernels.Reference;
using LightNets.Tensors;
using static LightNets.Tests.Runtime.ReferenceAssert;

namespace LightNets.Tests.Runtime;

public class BatchNormReferenceTests
{
    // γ = [3, 0.5], β = [1, −1], μ = [1, −1], σ² = [3.75, 0], ε = 0.25: √(σ² + ε) = [2, 0.5] exactly.
    private static readonly float[] Gamma = [3, 0.5f];
    private static readonly float[] Beta = [1, -1];
    private static readonly float[] Mean = [1, -1];
    private static readonly float[] Variance = [3.75f, 0];
    private const float Epsilon = 0.25f;

    private static Tensor Bn(Tensor x, float epsilon = Epsilon) => BatchNormReference.BatchNorm(
        x, Of([2], Gamma), Of([2], Beta), Of([2], Mean), Of([2], Variance), epsilon);

    [Fact]
    public void Normalizes_each_channel_with_its_own_statistics()
    {
        // Channel 0: 3·(x − 1)/2 + 1 on [1, 3] → [1, 4]. Channel 1: 0.5·(x + 1)/0.5 − 1 on [−2, 0] → [−2, 0].
        var y = Bn(Of([1, 2, 1, 2], 1, 3, -2, 0));
        Close([1, 2, 1, 2], [1, 4, -2, 0], y, Tolerance.Exact);
    }

    [Fact]
    public void Batch_and_rank_2_inputs_use_axis_1_as_channels()
    {
        var batched = Bn(Of([2, 2, 1, 1], 1, -2, 3, 0));
        Close([2, 2, 1, 1], [1, -2, 4, 0], batched, Tolerance.Exact);

        var vectors = Bn(Of([2, 2], 1, -2, 3, 0));
        Close([2, 2], [1, -2, 4, 0], vectors, Tolerance.Exact);
    }

    [Fact]
    public void Epsilon_is_added_inside_the_square_root()
    {
        var y = BatchNormReference.BatchNorm(Of([1, 1, 1, 1], 2), Of([1], 1), Of([1], 0), Of([1], 0), Of([1], 1), 1e-5f);
        // 2 / √1.00001 = 1.99999000007...
        Close([1, 1, 1, 1], [1.99999000007f], y, Tolerance.FewUlps);
    }

    [Fact]
    public void Wrong_statistics_length_is_an_argument_error()
    {
        Assert.Throws<ArgumentException>(() => BatchNormReference.BatchNorm(
            Of([1, 3, 1, 1], 1, 2, 3), Of([2], Gamma), Of([2], Beta), Of([2], Mean), Of([2], Variance), Epsilon));
    }
}
