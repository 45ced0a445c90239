using LightNets.Cost;
using LightNets.Graphs;
using LightNets.Models;
using LightNets.Models.MobileNetV3;

namespace LightNets.Tests.Models;

/// <summary>
/// <see cref="WidthRounding.Paper"/>: TF-slim's depth multiplier on every layer including the stem (timm keeps 16 below
/// α = 0.75), and the head scaled by max(1, α). The totals were cross-checked with an independent re-implementation of
/// TF-slim's mobilenet_v3.py rules; they reproduce P-MN3 Table 9's 0.5 and 1.25 MAdds (see Published).
/// </summary>
public class MobileNetV3PaperRuleTests
{
    [Theory]
    [InlineData(MobileNetV3Variant.Large, 0.35, 8, 1280, 2_131_832, 39_472_336)]
    [InlineData(MobileNetV3Variant.Large, 0.5, 8, 1280, 2_689_520, 69_247_600)]
    [InlineData(MobileNetV3Variant.Large, 1.25, 24, 1600, 8_256_296, 355_925_920)]
    [InlineData(MobileNetV3Variant.Small, 0.35, 8, 1024, 1_358_288, 12_815_840)]
    [InlineData(MobileNetV3Variant.Small, 0.5, 8, 1024, 1_592_704, 21_052_560)]
    [InlineData(MobileNetV3Variant.Small, 1.25, 24, 1280, 3_645_960, 91_241_184)]
    public void Paper_rule_widths_and_totals(MobileNetV3Variant variant, double width, int stem, int head, long c1, long macs)
    {
        var graph = MobileNetV3.Build(new MobileNetV3Config { Variant = variant, Width = width, Rounding = WidthRounding.Paper });
        Assert.Equal(stem, graph.ShapeOf(graph.Nodes.First(n => n.Block == "features.0").Outputs[0]).C);
        Assert.Equal(head, graph.ShapeOf(graph.Nodes.First(n => n.Block == "classifier" && n.Op is GemmOp).Outputs[0]).C);
        var report = CostReport.Analyze(graph);
        Assert.Equal((c1, macs), (report.Params, report.Macs));
    }

    [Theory]
    [InlineData(0.35, 16)]
    [InlineData(0.5, 16)]
    [InlineData(0.75, 16)]
    public void Timm_rule_keeps_timms_stem(double width, int stem)
    {
        var graph = MobileNetV3.Build(new MobileNetV3Config { Width = width, Rounding = WidthRounding.Timm });
        Assert.Equal(stem, graph.ShapeOf(graph.Nodes.First(n => n.Block == "features.0").Outputs[0]).C);
    }

    [Theory]
    [InlineData(1.0, WidthRounding.Timm, WidthRounding.Torchvision, true)]
    [InlineData(1.0, WidthRounding.Paper, WidthRounding.Torchvision, true)]
    [InlineData(0.75, WidthRounding.Timm, WidthRounding.Paper, true)]
    [InlineData(0.75, WidthRounding.Timm, WidthRounding.Torchvision, false)]
    [InlineData(0.5, WidthRounding.Timm, WidthRounding.Paper, false)]
    [InlineData(0.35, WidthRounding.Paper, WidthRounding.Timm, false)]
    [InlineData(1.25, WidthRounding.Timm, WidthRounding.Paper, false)]
    [InlineData(0.6, WidthRounding.Timm, WidthRounding.Paper, true)] // make_divisible(9.6) = 16: the stems agree
    public void Same_network(double width, WidthRounding a, WidthRounding b, bool same)
    {
        foreach (var variant in new[] { MobileNetV3Variant.Large, MobileNetV3Variant.Small })
        {
            Assert.Equal(same, MobileNetV3.SameNetwork(variant, width, a, b));
            Assert.Equal(same, MobileNetV3.SameNetwork(variant, width, b, a));
            // ... and it is what the builder does.
            var ra = CostReport.Analyze(MobileNetV3.Build(new MobileNetV3Config { Variant = variant, Width = width, Rounding = a }));
            var rb = CostReport.Analyze(MobileNetV3.Build(new MobileNetV3Config { Variant = variant, Width = width, Rounding = b }));
            Assert.Equal(same, (ra.Params, ra.Macs) == (rb.Params, rb.Macs));
        }
    }
}
