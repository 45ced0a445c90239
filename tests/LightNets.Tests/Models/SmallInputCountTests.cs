using LightNets.Cost;
using LightNets.Graphs;
using LightNets.Models;

namespace LightNets.Tests.Models;

/// <summary>
/// The small-input variants' params, MACs and last feature map, zero tolerance, against PyTorch: tests/fixtures/
/// small_input_counts.py builds each network in torch 1.13 / torchvision 0.14 (torchvision's own MobileNetV2, V3 and
/// ShuffleNetV2, built from their settings with the variant's strides; MobileNetV1 and ShuffleNetV1, which torchvision
/// lacks, from their tables), changes the stem as each family's variant says, and counts with forward hooks and its
/// modules' residual flags. The lines below are its output.
/// </summary>
public class SmallInputCountTests
{
    [Theory]
    // model, MobileNetV3 rounding, input channels, classes, resolution, params, MACs, last map, residual adds
    [InlineData("mobilenetv1_100", "", 1, 10, 32, 3216650, 174966784, 4, 0)]
    [InlineData("mobilenetv1_100", "", 1, 10, 28, 3216650, 139911424, 4, 0)]
    [InlineData("mobilenetv1_100", "", 3, 1000, 32, 4231976, 176570368, 4, 0)]
    [InlineData("mobilenetv1_025", "", 1, 10, 32, 215498, 11891200, 4, 0)]
    [InlineData("mobilenetv1_025", "", 1, 10, 28, 215498, 9486400, 4, 0)]
    [InlineData("mobilenetv1_025", "", 3, 1000, 32, 470072, 12292096, 4, 0)]
    [InlineData("mobilenetv1_050", "", 1, 10, 32, 823434, 45016064, 4, 0)]
    [InlineData("mobilenetv1_050", "", 1, 10, 28, 823434, 35967104, 4, 0)]
    [InlineData("mobilenetv1_050", "", 3, 1000, 32, 1331592, 45817856, 4, 0)]
    [InlineData("shufflenetv1_g3_100", "", 1, 10, 32, 913906, 42148224, 4, 13)]
    [InlineData("shufflenetv1_g3_100", "", 1, 10, 28, 913906, 34176384, 4, 13)]
    [InlineData("shufflenetv1_g3_100", "", 3, 1000, 32, 1865728, 43540992, 4, 13)]
    [InlineData("shufflenetv1_g3_050", "", 1, 10, 32, 241918, 10905792, 4, 13)]
    [InlineData("shufflenetv1_g3_050", "", 1, 10, 28, 241918, 8835072, 4, 13)]
    [InlineData("shufflenetv1_g3_050", "", 3, 1000, 32, 718324, 11602176, 4, 13)]
    [InlineData("shufflenetv1_g8_050", "", 1, 10, 32, 249850, 11349504, 4, 13)]
    [InlineData("shufflenetv1_g8_050", "", 1, 10, 28, 249850, 9166464, 4, 13)]
    [InlineData("shufflenetv1_g8_050", "", 3, 1000, 32, 1011448, 12404736, 4, 13)]
    [InlineData("mobilenetv2_100", "", 1, 10, 32, 2236106, 87386624, 4, 10)]
    [InlineData("mobilenetv2_100", "", 1, 10, 28, 2236106, 72938624, 4, 10)]
    [InlineData("mobilenetv2_100", "", 3, 1000, 32, 3504872, 89243648, 4, 10)]
    [InlineData("mobilenetv2_035", "", 1, 10, 32, 408650, 15316224, 4, 11)]
    [InlineData("mobilenetv2_035", "", 1, 10, 28, 408650, 12841824, 4, 11)]
    [InlineData("mobilenetv2_035", "", 3, 1000, 32, 1677128, 16878336, 4, 11)]
    [InlineData("mobilenetv2_050", "", 1, 10, 32, 700202, 27674112, 4, 10)]
    [InlineData("mobilenetv2_050", "", 1, 10, 28, 700202, 23111712, 4, 10)]
    [InlineData("mobilenetv2_050", "", 3, 1000, 32, 1968680, 29236224, 4, 10)]
    [InlineData("shufflenetv2_050", "", 1, 10, 32, 351610, 10459648, 4, 0)]
    [InlineData("shufflenetv2_050", "", 1, 10, 28, 351610, 9040528, 4, 0)]
    [InlineData("shufflenetv2_050", "", 3, 1000, 32, 1366792, 11915776, 4, 0)]
    [InlineData("shufflenetv2_100", "", 1, 10, 32, 1263422, 44559744, 4, 0)]
    [InlineData("shufflenetv2_100", "", 1, 10, 28, 1263422, 37554084, 4, 0)]
    [InlineData("shufflenetv2_100", "", 3, 1000, 32, 2278604, 46015872, 4, 0)]
    [InlineData("mobilenetv3_large_100", "", 1, 10, 32, 4214554, 66164096, 4, 10)]
    [InlineData("mobilenetv3_large_100", "", 1, 10, 28, 4214554, 54827336, 4, 10)]
    [InlineData("mobilenetv3_large_100", "", 3, 1000, 32, 5483032, 67726208, 4, 10)]
    [InlineData("mobilenetv3_large_050", "torchvision", 1, 10, 32, 1099842, 19460352, 4, 10)]
    [InlineData("mobilenetv3_large_050", "torchvision", 1, 10, 28, 1099842, 16005312, 4, 10)]
    [InlineData("mobilenetv3_large_050", "torchvision", 3, 1000, 32, 1734576, 20241408, 4, 10)]
    [InlineData("mobilenetv3_small_100", "", 1, 10, 32, 1527818, 17212416, 4, 7)]
    [InlineData("mobilenetv3_small_100", "", 1, 10, 28, 1527818, 14701896, 4, 7)]
    [InlineData("mobilenetv3_small_100", "", 3, 1000, 32, 2542856, 18521088, 4, 7)]
    [InlineData("mobilenetv3_small_050", "torchvision", 1, 10, 32, 409250, 5399552, 4, 8)]
    [InlineData("mobilenetv3_small_050", "torchvision", 1, 10, 28, 409250, 4549832, 4, 8)]
    [InlineData("mobilenetv3_small_050", "torchvision", 3, 1000, 32, 917264, 6053888, 4, 8)]
    public void Counts_match_pytorch(string model, string rounding, int channels, int classes, int resolution, long parameters, long macs, int lastMap, int residualAdds)
    {
        var report = CostReport.Analyze(ModelZoo.Build(model, new ModelOptions
        {
            SmallInput = true, InputChannels = channels, Classes = classes, Resolution = resolution,
            Rounding = rounding == "torchvision" ? WidthRounding.Torchvision : null,
        }));
        Assert.Equal(parameters, report.Params);
        Assert.Equal(macs, report.Macs);
        var g = report.Graph;
        var pooled = g.ShapeOf(g.Nodes.Single(n => n.Block == "classifier" && n.Op is GlobalAveragePoolOp).Inputs[0]);
        Assert.Equal((lastMap, lastMap), (pooled.H, pooled.W));
        // A block the variant runs at stride 1 is residual where its widths match (MobileNetV2 0.35's features.2,
        // MobileNetV3-Small's features.1), as a network built from the changed table is.
        Assert.Equal(residualAdds, g.Nodes.Count(n => n.Op is AddOp));
    }
}
