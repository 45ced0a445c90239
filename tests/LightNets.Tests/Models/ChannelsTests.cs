using LightNets.Graphs;
using LightNets.Models;
using LightNets.Models.MobileNetV2;

namespace LightNets.Tests.Models;

/// <summary>ARCH-SPEC §0.4's make_divisible worked values, the rule in MobileNetV2's α table (§3.3), and TF-slim's V1 depth.</summary>
public class ChannelsTests
{
    [Theory]
    [InlineData(5.6, 8)]
    [InlineData(8.4, 8)]
    [InlineData(11.2, 16)] // ⌊15.2/8⌋·8 = 8 < 10.08, so 16
    [InlineData(18, 24)] // ⌊22/8⌋·8 = 16 < 16.2, so 24
    [InlineData(33.6, 32)]
    [InlineData(44.8, 48)] // ⌊48.8/8⌋·8 = 48
    [InlineData(88.08, 88)]
    [InlineData(960, 960)]
    [InlineData(1792, 1792)]
    public void Make_divisible_worked_values(double v, int expected) => Assert.Equal(expected, Channels.MakeDivisible(v));

    [Fact]
    public void Make_divisible_honours_divisor_and_minimum()
    {
        Assert.Equal(16, Channels.MakeDivisible(3, 8, min: 16));
        Assert.Equal(8, Channels.MakeDivisible(5, 4)); // ⌊7/4⌋·4 = 4 < 4.5, so 8
        Assert.Equal(12, Channels.MakeDivisible(11, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Channels.MakeDivisible(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Channels.MakeDivisible(-8));
        Assert.Throws<ArgumentOutOfRangeException>(() => Channels.MakeDivisible(double.NaN));
    }

    [Theory]
    [InlineData(32, 1.0, 32)]
    [InlineData(32, 0.75, 24)]
    [InlineData(1024, 0.75, 768)]
    [InlineData(64, 0.5, 32)]
    [InlineData(1024, 0.25, 256)]
    [InlineData(32, 0.25, 8)]
    [InlineData(16, 0.25, 8)] // ⌊4⌋ → the minimum depth 8
    [InlineData(100, 0.333, 33)] // floor, not round
    public void TfSlim_depth(int channels, double alpha, int expected) => Assert.Equal(expected, Channels.TfSlimDepth(channels, alpha));

    [Fact]
    public void TfSlim_depth_minimum_is_a_parameter() => Assert.Equal(4, Channels.TfSlimDepth(16, 0.25, minDepth: 1));

    /// <summary>ARCH-SPEC §3.3: stem, the seven stage outputs and the last conv for each published α.</summary>
    [Theory]
    [InlineData(0.35, 16, new[] { 8, 8, 16, 24, 32, 56, 112 }, 1280)]
    [InlineData(0.5, 16, new[] { 8, 16, 16, 32, 48, 80, 160 }, 1280)]
    [InlineData(0.75, 24, new[] { 16, 24, 24, 48, 72, 120, 240 }, 1280)]
    [InlineData(1.0, 32, new[] { 16, 24, 32, 64, 96, 160, 320 }, 1280)]
    [InlineData(1.3, 40, new[] { 24, 32, 40, 80, 128, 208, 416 }, 1664)]
    [InlineData(1.4, 48, new[] { 24, 32, 48, 88, 136, 224, 448 }, 1792)]
    public void MobileNetV2_widths_follow_make_divisible(double alpha, int stem, int[] stages, int last)
    {
        var graph = MobileNetV2.Build(new MobileNetV2Config { Width = alpha });
        int OutputChannels(string block) => graph.ShapeOf(graph.Nodes.Last(n => n.Block == block).Outputs[0]).C;
        Assert.Equal(stem, OutputChannels("features.0"));
        var ends = new[] { 1, 3, 6, 10, 13, 16, 17 }; // last block of each bottleneck sequence (n = 1, 2, 3, 4, 3, 3, 1)
        Assert.Equal(stages, ends.Select(i => OutputChannels($"features.{i}")).ToArray());
        Assert.Equal(last, OutputChannels("features.18"));
        Assert.All(graph.Nodes.Where(n => n.Op is Conv2dOp), n => Assert.Equal(0, graph.ShapeOf(n.Outputs[0]).C % 8));
    }
}
