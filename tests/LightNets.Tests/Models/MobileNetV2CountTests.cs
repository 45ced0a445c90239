using LightNets.Cost;
using LightNets.Models.MobileNetV2;

namespace LightNets.Tests.Models;

/// <summary>ARCH-SPEC §6.1/§6.2 integers for MobileNetV2 (torchvision definition), zero tolerance.</summary>
public class MobileNetV2CountTests
{
    [Theory]
    [InlineData(1.0, 3_504_872, 3_470_760, 3_487_816, 300_774_272, 299_494_272)]
    [InlineData(1.4, 6_108_776, 6_060_840, 6_084_808, 582_195_824, 580_403_824)]
    [InlineData(1.3, 5_386_792, 5_342_536, 5_364_664, 509_374_560, 507_710_560)]
    [InlineData(0.75, 2_636_424, 2_609_784, 2_623_104, 209_069_792, 207_789_792)]
    [InlineData(0.5, 1_968_680, 1_950_136, 1_959_408, 97_131_840, 95_851_840)]
    [InlineData(0.35, 1_677_128, 1_663_048, 1_670_088, 59_285_808, 58_005_808)]
    public void Totals_match_the_spec(double width, long c1, long noBn, long folded, long macs, long macsNoFc)
    {
        var r = CostReport.Analyze(MobileNetV2.Build(new MobileNetV2Config { Width = width }));
        Assert.Equal(c1, r.Params);
        Assert.Equal(noBn, r.ParamsNoBatchNorm);
        Assert.Equal(folded, r.ParamsFolded);
        Assert.Equal(macs, r.Macs);
        Assert.Equal(macsNoFc, r.MacsWithoutClassifier);
    }

    [Fact]
    public void Keras_total_counts_running_statistics()
    {
        Assert.Equal(3_538_984, CostReport.Analyze(MobileNetV2.Build(new MobileNetV2Config())).KerasParams);
    }

    [Fact]
    public void Elementwise_counts_match_the_spec()
    {
        var e = CostReport.Analyze(MobileNetV2.Build(new MobileNetV2Config())).Elementwise();
        Assert.Equal(6_678_112, e.BatchNorm);
        Assert.Equal(0, e.Relu);
        Assert.Equal(6_105_792, e.Relu6);
        Assert.Equal(216_384, e.ResidualAdd);
        Assert.Equal(62_720, e.GlobalPoolInput);
        Assert.Equal(6_679_112, e.ConvFcOutput);
        Assert.Equal(1_204_224, e.Largest);
        Assert.Equal(16_916_072, e.MemoryAccess);
    }
}
