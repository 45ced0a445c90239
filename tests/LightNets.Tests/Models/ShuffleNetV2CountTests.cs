using LightNets.Cost;
using LightNets.Models;
using LightNets.Models.ShuffleNetV2;

namespace LightNets.Tests.Models;

/// <summary>ARCH-SPEC §6.1 integers for ShuffleNetV2 in both layouts, zero tolerance.</summary>
public class ShuffleNetV2CountTests
{
    [Theory]
    [InlineData(0.5, 1_366_792, 1_358_840, 1_362_816, 40_476_448, 39_452_448)]
    [InlineData(1.0, 2_278_604, 2_262_424, 2_270_514, 144_907_992, 143_883_992)]
    [InlineData(1.5, 3_503_624, 3_480_184, 3_491_904, 295_759_392, 294_735_392)]
    [InlineData(2.0, 7_393_996, 7_360_280, 7_377_138, 583_253_464, 581_205_464)]
    public void Torchvision_layout_matches(double scale, long c1, long noBn, long folded, long macs, long macsNoFc)
    {
        var r = CostReport.Analyze(ShuffleNetV2.Build(new ShuffleNetV2Config { Scale = scale }));
        Assert.Equal(c1, r.Params);
        Assert.Equal(noBn, r.ParamsNoBatchNorm);
        Assert.Equal(folded, r.ParamsFolded);
        Assert.Equal(macs, r.Macs);
        Assert.Equal(macsNoFc, r.MacsWithoutClassifier);
    }

    [Theory]
    [InlineData(0.5, 1_365_792, 40_476_448)]
    [InlineData(1.0, 2_278_760, 145_814_296)]
    [InlineData(1.5, 3_506_720, 298_970_656)]
    [InlineData(2.0, 7_402_600, 590_783_000)]
    public void Paper_layout_matches(double scale, long c1, long macs)
    {
        var r = CostReport.Analyze(ShuffleNetV2.Build(new ShuffleNetV2Config { Scale = scale, Layout = ModelLayout.Paper }));
        Assert.Equal(c1, r.Params);
        Assert.Equal(macs, r.Macs);
    }

    [Theory]
    [InlineData(1.0, 2_262_580, 144_790_296)]
    [InlineData(1.5, 3_483_280, 297_946_656)]
    [InlineData(2.0, 7_368_884, 588_735_000)]
    public void Paper_layout_no_bn_and_macs_without_fc(double scale, long noBn, long macsNoFc)
    {
        var r = CostReport.Analyze(ShuffleNetV2.Build(new ShuffleNetV2Config { Scale = scale, Layout = ModelLayout.Paper }));
        Assert.Equal(noBn, r.ParamsNoBatchNorm);
        Assert.Equal(macsNoFc, r.MacsWithoutClassifier);
    }

    [Theory]
    [InlineData(0.5, 1_023_904, 821_632, 1_024_904, 301_056, 3_413_944)]
    [InlineData(1.0, 1_950_200, 1_488_032, 1_951_200, 301_056, 6_250_088)]
    [InlineData(1.5, 2_767_520, 2_076_032, 2_768_520, -1, 9_173_048)]
    [InlineData(2.0, 3_743_992, 2_792_608, 3_744_992, 382_592, 15_036_904)]
    public void Elementwise_counts_match_the_spec(double scale, long bn, long relu, long actOut, long largest, long mac)
    {
        var e = CostReport.Analyze(ShuffleNetV2.Build(new ShuffleNetV2Config { Scale = scale })).Elementwise();
        Assert.Equal(bn, e.BatchNorm);
        Assert.Equal(relu, e.Relu);
        Assert.Equal(actOut, e.ConvFcOutput);
        if (largest > 0) Assert.Equal(largest, e.Largest);
        Assert.Equal(mac, e.MemoryAccess);
        Assert.Equal(75_264, e.MaxPoolOutput);
    }

    /// <summary>A scale Table 5 has no column for is a configuration error naming the four it has, never a guess.</summary>
    [Theory]
    [InlineData(0.75)]
    [InlineData(1.0000001)]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_scale_outside_the_table_is_refused(double scale)
    {
        var e = Assert.Throws<ModelConfigurationException>(() => ShuffleNetV2.Build(new ShuffleNetV2Config { Scale = scale }));
        Assert.Contains("defined for 0.5×, 1×, 1.5× and 2× only", e.Message);
    }
}
