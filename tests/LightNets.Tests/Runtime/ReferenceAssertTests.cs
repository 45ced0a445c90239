using LightNets.Tensors;
using LightNets.Tests.Onnx;
using Xunit.Sdk;
using static LightNets.Tests.Runtime.ReferenceAssert;

namespace LightNets.Tests.Runtime;

/// <summary>The comparison the runtime tests rely on fails for each way an output can be wrong.</summary>
public class ReferenceAssertTests
{
    private static readonly ElementTolerance Bound = new(1e-6, 1e-5);

    [Fact]
    public void Matches_accepts_nan_for_nan_equal_infinities_and_finite_values_within_the_bound()
    {
        var expected = Of([1, 6], float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0, 1000, -0.5f);
        var actual = Of([1, 6], -float.NaN, float.PositiveInfinity, float.NegativeInfinity, 9e-7f, 1000.0078f, -0.500004f);
        Matches(expected, actual, Bound, "ok");
    }

    [Theory]
    [InlineData(float.NaN, 1f)]                                        // NaN where the reference is finite
    [InlineData(1f, float.NaN)]                                        // a number where the reference is NaN
    [InlineData(float.PositiveInfinity, float.NegativeInfinity)]      // the other infinity
    [InlineData(float.PositiveInfinity, float.MaxValue)]              // a finite value for an infinity
    [InlineData(float.MaxValue, float.PositiveInfinity)]              // an infinity for a finite value
    [InlineData(2e-6f, 0f)]                                            // beyond the absolute part near 0
    [InlineData(1000.02f, 1000f)]                                      // beyond the relative part far from 0
    public void Matches_rejects(float got, float want)
    {
        var e = Assert.Throws<TrueException>(() => Matches(Of([1, 2, 1, 2], 0, 0, 0, want), Of([1, 2, 1, 2], 0, 0, 0, got), Bound, "case"));
        Assert.Contains("1 of 4 elements", e.Message);
        Assert.Contains("[0, 1, 0, 1]", e.Message);
    }

    [Fact]
    public void A_per_element_bound_catches_what_a_fraction_of_the_largest_output_let_through()
    {
        // Logits of O(0.3) with one near-zero logit off by 2·10⁻⁵: within 1e-4 × max |ref| (the comparison these tests
        // used), but 100 times its own measured error and far outside the network bound.
        var expected = new Rng(1).NormalTensor(1, 100);
        for (var i = 0; i < 100; i++) expected.Data[i] *= 0.3f;
        var actual = expected.Clone();
        actual.Data[7] = expected.Data[7] + 2e-5f;
        OnnxExportTests.AssertClose(expected, actual, 1e-4, "old check");
        Assert.Throws<TrueException>(() => Matches(expected, actual, PlanTolerance.Network, "per element"));
    }

    [Fact]
    public void An_output_too_small_for_the_absolute_bound_is_refused()
    {
        var tiny = Of([1, 3], 1e-9f, -2e-9f, 3e-9f);
        var e = Assert.Throws<TrueException>(() => MatchesOutput(tiny, tiny.Clone(), PlanTolerance.Network, "decayed"));
        Assert.Contains("too small", e.Message);
    }
}
