using LightNets.Cost;
using LightNets.Models.ShuffleNetV1;

namespace LightNets.Tests.Models;

/// <summary>ARCH-SPEC §6.1 and megvii integers for ShuffleNetV1, zero tolerance.</summary>
public class ShuffleNetV1CountTests
{
    [Theory]
    [InlineData(1, 1_531_936, 1_517_248, 1_524_592, 143_078_976, 142_502_976)]
    [InlineData(2, 1_733_848, 1_713_448, 1_723_648, 140_836_512, 140_036_512)]
    [InlineData(3, 1_865_728, 1_841_248, 1_853_488, 137_460_672, 136_500_672)]
    [InlineData(4, 1_968_344, 1_940_600, 1_954_472, 134_339_776, 133_251_776)]
    [InlineData(8, 2_434_768, 2_395_600, 2_415_184, 138_365_952, 136_829_952)]
    public void One_x_totals_match_the_spec(int groups, long c1, long noBn, long folded, long macs, long macsNoFc)
    {
        var r = CostReport.Analyze(ShuffleNetV1.Build(new ShuffleNetV1Config { Groups = groups }));
        Assert.Equal(c1, r.Params);
        Assert.Equal(noBn, r.ParamsNoBatchNorm);
        Assert.Equal(folded, r.ParamsFolded);
        Assert.Equal(macs, r.Macs);
        Assert.Equal(macsNoFc, r.MacsWithoutClassifier);
    }

    [Theory]
    [InlineData(3, 0.5, 717_324, 37_589_856)]
    [InlineData(3, 1.0, 1_864_728, 137_460_672)]
    [InlineData(3, 1.5, 3_441_168, 292_443_552)]
    [InlineData(3, 2.0, 5_449_776, 524_045_184)]
    [InlineData(8, 0.5, 1_010_448, 40_469_760)]
    [InlineData(8, 1.0, 2_433_768, 138_365_952)]
    [InlineData(8, 1.5, 4_268_952, 290_188_800)]
    [InlineData(8, 2.0, 6_521_232, 521_942_016)]
    public void Megvii_configurations_match(int groups, double scale, long c1, long macs)
    {
        var r = CostReport.Analyze(ShuffleNetV1.Build(new ShuffleNetV1Config { Groups = groups, Scale = scale, ClassifierBias = false }));
        Assert.Equal(c1, r.Params);
        Assert.Equal(macs, r.Macs);
    }

    [Fact]
    public void Elementwise_counts_match_the_spec()
    {
        var g3 = CostReport.Analyze(ShuffleNetV1.Build(new ShuffleNetV1Config { Groups = 3 })).Elementwise();
        Assert.Equal(2_998_800, g3.BatchNorm);
        Assert.Equal(2_575_440, g3.Relu);
        Assert.Equal(1_364_160, g3.ResidualAdd);
        Assert.Equal(47_040, g3.GlobalPoolInput);
        Assert.Equal(89_376, g3.AveragePoolOutput);
        Assert.Equal(75_264, g3.MaxPoolOutput);
        Assert.Equal(2_999_800, g3.ConvFcOutput);
        Assert.Equal(301_056, g3.Largest);
        Assert.Equal(7_806_880, g3.MemoryAccess);

        var g8 = CostReport.Analyze(ShuffleNetV1.Build(new ShuffleNetV1Config { Groups = 8 })).Elementwise();
        Assert.Equal(4_628_736, g8.BatchNorm);
        Assert.Equal(3_951_360, g8.Relu);
        Assert.Equal(2_182_656, g8.ResidualAdd);
        Assert.Equal(131_712, g8.AveragePoolOutput);
        Assert.Equal(11_635_792, g8.MemoryAccess);
    }
}
