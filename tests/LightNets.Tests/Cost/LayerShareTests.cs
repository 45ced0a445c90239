using LightNets.Cost;
using LightNets.Models.MobileNetV1;

namespace LightNets.Tests.Cost;

/// <summary>
/// MobileNetV1 Table 2 (resource per layer type, 1.0-224) as corrected in PUBLISHED §1.4: the paper's "1.19 %" for the
/// 3×3 stem is a transposition of 1.91 %. Weights exclude BN and the FC bias.
/// </summary>
public class LayerShareTests
{
    private static readonly CostReport Report = CostReport.Analyze(MobileNetV1.Build(new MobileNetV1Config()));

    private static double Share(IReadOnlyDictionary<LayerClass, long> byClass, LayerClass c) =>
        Math.Round(100.0 * byClass.GetValueOrDefault(c) / byClass.Values.Sum(), 2);

    [Fact]
    public void Mult_add_shares()
    {
        var macs = LayerTable.MacsByClass(Report);
        Assert.Equal(539_492_352, macs[LayerClass.Pointwise]);
        Assert.Equal(17_385_984, macs[LayerClass.Depthwise]);
        Assert.Equal(10_838_016, macs[LayerClass.Conv]);
        Assert.Equal(1_024_000, macs[LayerClass.FullyConnected]);
        Assert.Equal(Report.Macs, macs.Values.Sum());
        Assert.Equal(
            [94.86, 3.06, 1.91, 0.18],
            new[] { LayerClass.Pointwise, LayerClass.Depthwise, LayerClass.Conv, LayerClass.FullyConnected }.Select(c => Share(macs, c)));
    }

    [Fact]
    public void Parameter_shares()
    {
        var weights = LayerTable.WeightsByClass(Report);
        Assert.Equal(1_024_000, weights[LayerClass.FullyConnected]); // no bias
        Assert.Equal(3_185_088, weights.Where(p => p.Key != LayerClass.FullyConnected).Sum(p => p.Value)); // TF-slim's base: conv weights only
        Assert.Equal(
            [74.59, 1.06, 0.02, 24.33],
            new[] { LayerClass.Pointwise, LayerClass.Depthwise, LayerClass.Conv, LayerClass.FullyConnected }.Select(c => Share(weights, c)));
    }

    [Fact]
    public void Only_these_four_classes_occur()
    {
        Assert.Equal(
            [LayerClass.Conv, LayerClass.Pointwise, LayerClass.Depthwise, LayerClass.FullyConnected],
            LayerTable.WeightsByClass(Report).Keys.Order());
        Assert.All(LayerTable.MacsByClass(Report).Where(p => p.Value > 0), p => Assert.NotEqual(LayerClass.Other, p.Key));
    }
}
