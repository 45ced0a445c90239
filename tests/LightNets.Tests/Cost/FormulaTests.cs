using LightNets.Cost;
using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Tests.Cost;

/// <summary>
/// The closed forms of Formulas.cs against each other and against the cost model on built single-layer graphs:
/// MobileNetV1's depthwise-separable ratio, ShuffleNetV2's G1 bound and G2 growth.
/// </summary>
public class FormulaTests
{
    private const double Relative = 1e-12;

    private static void Close(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= Relative * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R}");

    private static CostReport OneLayer(int n, int cin, Func<GraphBuilder, Value, Value> layer)
    {
        var b = new GraphBuilder("one-layer");
        b.Output(layer(b, b.Input("x", Shape.Nchw(1, cin, n, n))));
        return CostReport.Analyze(b.Build());
    }

    public static TheoryData<int, int, int, int> Layers() => new()
    {
        { 14, 3, 512, 512 }, // MobileNetV1 Table 3
        { 112, 3, 32, 64 },
        { 7, 3, 1024, 1024 },
        { 28, 5, 40, 120 },
        { 9, 7, 6, 10 },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Depthwise_separable_ratio(int n, int k, int cin, int cout)
    {
        var standard = Formulas.StandardConvMacs(n, k, cin, cout);
        var separable = Formulas.DepthwiseSeparableMacs(n, k, cin, cout);
        Close(Formulas.DepthwiseSeparableRatio(k, cout), (double)separable / standard);
        Close(1.0 / cout + 1.0 / (k * k), Formulas.DepthwiseSeparableRatio(k, cout));

        // The cost model on built graphs (stride 1, PyTorch padding keeps N×N) counts exactly the same MACs.
        var full = OneLayer(n, cin, (b, x) => b.Conv2d(x, cout, k));
        var dwsep = OneLayer(n, cin, (b, x) => b.Conv2d(b.DepthwiseConv2d(x, k), cout, 1));
        Assert.Equal(standard, full.Macs);
        Assert.Equal(separable, dwsep.Macs);
        Close(Formulas.DepthwiseSeparableRatio(k, cout), (double)dwsep.Macs / full.Macs);
    }

    [Fact]
    public void Table3_of_MobileNetV1()
    {
        Assert.Equal(462, Math.Round(Formulas.StandardConvMacs(14, 3, 512, 512) / 1e6));
        Assert.Equal(52.3, Math.Round(Formulas.DepthwiseSeparableMacs(14, 3, 512, 512) / 1e6, 1));
    }

    [Fact]
    public void G1_lower_bound_is_reached_at_equal_widths_and_only_there()
    {
        foreach (var (h, w) in new[] { (56, 56), (28, 28), (7, 7), (14, 28) })
        {
            foreach (var c1 in new[] { 16, 58, 116, 512 })
            {
                foreach (var c2 in new[] { 16, 58, 116, 512, 1024 })
                {
                    var b = Formulas.PointwiseMacs(h, w, c1, c2);
                    var bound = Formulas.PointwiseMemoryAccessLowerBound((long)h * w, b);
                    var mac = Formulas.PointwiseMemoryAccess(h, w, c1, c2);
                    if (c1 == c2) Close(mac, bound);
                    else Assert.True(bound < mac, $"{h}×{w}, {c1}→{c2}: bound {bound} ≥ MAC {mac}");
                }
            }
        }
    }

    [Fact]
    public void G2_forms_agree_and_grow_with_groups_at_fixed_macs()
    {
        foreach (var (hw, c1, c2) in new[] { (28, 240, 240), (14, 480, 120), (56, 64, 128) })
        {
            foreach (var g in new[] { 1, 2, 4, 8 })
            {
                var b = Formulas.GroupConvMacs(hw, hw, c1, c2, g);
                Close(Formulas.GroupConvMemoryAccess(hw, hw, c1, c2, g), Formulas.GroupConvMemoryAccessAtFixedMacs(hw, hw, c1, b, g));
            }
            var fixedMacs = Formulas.GroupConvMacs(hw, hw, c1, c2, 1);
            var previous = 0.0;
            foreach (var g in new[] { 1, 2, 4, 8, 16 })
            {
                var mac = Formulas.GroupConvMemoryAccessAtFixedMacs(hw, hw, c1, fixedMacs, g);
                Assert.True(mac > previous, $"g = {g}: {mac} ≤ {previous}");
                previous = mac;
            }
        }
    }

    [Theory]
    [InlineData(56, 24, 58, 1)]
    [InlineData(28, 116, 116, 1)]
    [InlineData(7, 1024, 1000, 1)]
    [InlineData(28, 240, 60, 3)]
    [InlineData(14, 480, 120, 8)]
    public void Cost_model_memory_access_of_a_1x1_conv_is_G1s(int hw, int c1, int c2, int g)
    {
        var report = OneLayer(hw, c1, (b, x) => b.Conv2d(x, c2, 1, groups: g));
        Close(Formulas.GroupConvMemoryAccess(hw, hw, c1, c2, g), report.MemoryAccess);
        Close(Formulas.GroupConvMacs(hw, hw, c1, c2, g), report.Macs);
        if (g == 1)
        {
            Assert.Equal(Formulas.PointwiseMemoryAccess(hw, hw, c1, c2), report.MemoryAccess);
            Assert.Equal(Formulas.PointwiseMacs(hw, hw, c1, c2), report.Macs);
        }
    }
}
