using LightNets.Cost;
using LightNets.Models.MobileNetV1;

namespace LightNets.Tests.Models;

/// <summary>ARCH-SPEC §6.1/§6.2 integers for MobileNetV1, zero tolerance.</summary>
public class MobileNetV1CountTests
{
    [Theory]
    [InlineData(1.0, 224, 4_231_976, 4_210_088, 4_221_032, 568_740_352, 567_716_352)]
    [InlineData(0.75, 224, 2_585_560, 2_569_144, 2_577_352, 325_400_448, 324_632_448)]
    [InlineData(0.5, 224, 1_331_592, 1_320_648, 1_326_120, 149_497_088, 148_985_088)]
    [InlineData(0.25, 224, 470_072, 464_600, 467_336, 41_030_272, 40_774_272)]
    [InlineData(1.0, 192, 4_231_976, 4_210_088, 4_221_032, 418_121_728, 417_097_728)]
    [InlineData(1.0, 160, 4_231_976, 4_210_088, 4_221_032, 290_675_200, 289_651_200)]
    [InlineData(1.0, 128, 4_231_976, 4_210_088, 4_221_032, 186_400_768, 185_376_768)]
    public void Totals_match_the_spec(double width, int resolution, long c1, long noBn, long folded, long macs, long macsNoFc)
    {
        var r = CostReport.Analyze(MobileNetV1.Build(new MobileNetV1Config { Width = width, Resolution = resolution }));
        Assert.Equal(c1, r.Params);
        Assert.Equal(noBn, r.ParamsNoBatchNorm);
        Assert.Equal(folded, r.ParamsFolded);
        Assert.Equal(macs, r.Macs);
        Assert.Equal(macsNoFc, r.MacsWithoutClassifier);
    }

    [Fact]
    public void Elementwise_counts_match_the_spec()
    {
        var e = CostReport.Analyze(MobileNetV1.Build(new MobileNetV1Config())).Elementwise();
        Assert.Equal(5_042_688, e.BatchNorm);
        Assert.Equal(5_042_688, e.Relu);
        Assert.Equal(50_176, e.GlobalPoolInput);
        Assert.Equal(5_043_688, e.ConvFcOutput);
        Assert.Equal(802_816, e.Largest);
        Assert.Equal(14_396_840, e.MemoryAccess);
    }
}
