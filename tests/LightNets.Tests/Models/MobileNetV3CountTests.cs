using LightNets.Cost;
using LightNets.Models;
using LightNets.Models.MobileNetV3;

namespace LightNets.Tests.Models;

/// <summary>ARCH-SPEC §6.1 integers for MobileNetV3, zero tolerance.</summary>
public class MobileNetV3CountTests
{
    private static CostReport Cost(MobileNetV3Variant v, double width = 1.0, WidthRounding rounding = WidthRounding.Timm, int resolution = 224, bool headSe = false) =>
        CostReport.Analyze(MobileNetV3.Build(new MobileNetV3Config
        {
            Variant = v, Width = width, Rounding = rounding, Resolution = resolution, PaperSmallHeadSqueezeExcite = headSe,
        }));

    [Theory]
    [InlineData(MobileNetV3Variant.Large, 5_483_032, 5_458_632, 5_470_832, 216_589_760, 215_309_760)]
    [InlineData(MobileNetV3Variant.Small, 2_542_856, 2_530_744, 2_536_800, 56_510_400, 55_486_400)]
    public void Width_one_matches_torchvision(MobileNetV3Variant v, long c1, long noBn, long folded, long macs, long macsNoFc)
    {
        foreach (var rounding in new[] { WidthRounding.Timm, WidthRounding.Torchvision })
        {
            var r = Cost(v, rounding: rounding);
            Assert.Equal(c1, r.Params);
            Assert.Equal(noBn, r.ParamsNoBatchNorm);
            Assert.Equal(folded, r.ParamsFolded);
            Assert.Equal(macs, r.Macs);
            Assert.Equal(macsNoFc, r.MacsWithoutClassifier);
        }
    }

    [Theory]
    [InlineData(MobileNetV3Variant.Large, 3_377_576, 3_359_160, 3_368_368, 140_033_816, 139_073_816)]
    [InlineData(MobileNetV3Variant.Small, 1_653_920, 1_644_720, 1_649_320, 39_115_576, 38_347_576)]
    public void Torchvision_rule_at_075(MobileNetV3Variant v, long c1, long noBn, long folded, long macs, long macsNoFc)
    {
        var r = Cost(v, 0.75, WidthRounding.Torchvision);
        Assert.Equal(c1, r.Params);
        Assert.Equal(noBn, r.ParamsNoBatchNorm);
        Assert.Equal(folded, r.ParamsFolded);
        Assert.Equal(macs, r.Macs);
        Assert.Equal(macsNoFc, r.MacsWithoutClassifier);
    }

    [Theory]
    [InlineData(MobileNetV3Variant.Large, 3_993_528, 154_560_624)]
    [InlineData(MobileNetV3Variant.Small, 2_041_872, 43_399_344)]
    public void Tf_rule_at_075(MobileNetV3Variant v, long c1, long macs)
    {
        var r = Cost(v, 0.75, WidthRounding.Timm);
        Assert.Equal(c1, r.Params);
        Assert.Equal(macs, r.Macs);
    }

    [Fact]
    public void Paper_small_head_se()
    {
        var r = Cost(MobileNetV3Variant.Small, headSe: true);
        Assert.Equal(2_709_464, r.Params);
        Assert.Equal(56_676_288, r.Macs);
    }

    [Theory]
    [InlineData(MobileNetV3Variant.Large, 256, 281_663_360)]
    [InlineData(MobileNetV3Variant.Large, 192, 160_192_640)]
    [InlineData(MobileNetV3Variant.Large, 160, 112_472_000)]
    [InlineData(MobileNetV3Variant.Large, 128, 73_427_840)]
    [InlineData(MobileNetV3Variant.Large, 96, 43_060_160)]
    [InlineData(MobileNetV3Variant.Small, 256, 73_175_040)]
    [InlineData(MobileNetV3Variant.Small, 192, 42_067_712)]
    [InlineData(MobileNetV3Variant.Small, 160, 29_846_976)]
    [InlineData(MobileNetV3Variant.Small, 128, 19_848_192)]
    [InlineData(MobileNetV3Variant.Small, 96, 12_071_360)]
    public void Other_resolutions(MobileNetV3Variant v, int resolution, long macs)
    {
        Assert.Equal(macs, Cost(v, resolution: resolution).Macs);
    }

    [Theory]
    [InlineData(MobileNetV3Variant.Large, 4_399_808, 2_315_392, 1_511_264, 4_056, 597_408, 423_360, 644_448, 4_407_168, 802_816, 14_369_056)]
    [InlineData(MobileNetV3Variant.Small, 1_412_768, 470_992, 799_136, 2_296, 285_376, 53_312, 313_600, 1_417_680, 225_792, 5_483_072)]
    public void Elementwise_counts_match_the_spec(MobileNetV3Variant v, long bn, long relu, long hswish, long hsig, long seMul,
        long resAdd, long gpool, long actOut, long largest, long mac)
    {
        var e = Cost(v).Elementwise();
        Assert.Equal(bn, e.BatchNorm);
        Assert.Equal(relu, e.Relu);
        Assert.Equal(hswish, e.HardSwish);
        Assert.Equal(hsig, e.HardSigmoid);
        Assert.Equal(seMul, e.SqueezeExciteMul);
        Assert.Equal(resAdd, e.ResidualAdd);
        Assert.Equal(gpool, e.GlobalPoolInput);
        Assert.Equal(actOut, e.ConvFcOutput);
        Assert.Equal(largest, e.Largest);
        Assert.Equal(mac, e.MemoryAccess);
    }
}
