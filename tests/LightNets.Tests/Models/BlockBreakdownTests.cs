using LightNets.Cost;
using LightNets.Models;
using LightNets.Tensors;

namespace LightNets.Tests.Models;

/// <summary>
/// ARCH-SPEC §6.2's per-block breakdowns at 224, zero tolerance: params (C1), MACs and the In/Out shapes of every
/// paper-level unit, and together they cover the whole network.
/// </summary>
public class BlockBreakdownTests
{
    /// <summary>One spec row: a block, a range of blocks that each cost the same ("each"), or a range summed ("3 × unit").</summary>
    private sealed record SpecRow(string[] Blocks, bool Summed, Shape In, Shape Out, long Params, long Macs);

    private static Shape Map(int size, int channels) => Shape.Nchw(1, channels, size, size);
    private static Shape Vector(int features) => new(1, features);

    private static SpecRow One(string block, Shape input, Shape output, long @params, long macs) => new([block], false, input, output, @params, macs);

    private static SpecRow Each(string prefix, int first, int last, Shape input, Shape output, long @params, long macs) =>
        new(Range(prefix, first, last), false, input, output, @params, macs);

    private static SpecRow Sum(string prefix, int first, int last, Shape input, Shape output, long @params, long macs) =>
        new(Range(prefix, first, last), true, input, output, @params, macs);

    private static string[] Range(string prefix, int first, int last) =>
        Enumerable.Range(first, last - first + 1).Select(i => $"{prefix}{i}").ToArray();

    private static readonly Dictionary<string, SpecRow[]> Spec = new()
    {
        ["mobilenetv1_100"] =
        [
            One("stem", Map(224, 3), Map(112, 32), 928, 10_838_016),
            One("layer1", Map(112, 32), Map(112, 64), 2_528, 29_302_784),
            One("layer2", Map(112, 64), Map(56, 128), 9_152, 27_496_448),
            One("layer3", Map(56, 128), Map(56, 128), 18_048, 54_992_896),
            One("layer4", Map(56, 128), Map(28, 256), 34_688, 26_593_280),
            One("layer5", Map(28, 256), Map(28, 256), 68_864, 53_186_560),
            One("layer6", Map(28, 256), Map(14, 512), 134_912, 26_141_696),
            Each("layer", 7, 11, Map(14, 512), Map(14, 512), 268_800, 52_283_392),
            One("layer12", Map(14, 512), Map(7, 1024), 531_968, 25_915_904),
            One("layer13", Map(7, 1024), Map(7, 1024), 1_061_888, 51_831_808),
            One("classifier", Map(7, 1024), Vector(1000), 1_025_000, 1_024_000),
        ],
        ["shufflenetv1_g3_100"] =
        [
            One("stem", Map(224, 3), Map(56, 24), 696, 8_128_512),
            One("stage2.0", Map(56, 24), Map(28, 240), 6_972, 8_326_080),
            Sum("stage2.", 1, 3, Map(28, 240), Map(28, 240), 32_580, 23_849_280),
            One("stage3.0", Map(28, 240), Map(14, 480), 21_240, 9_619_680),
            Sum("stage3.", 1, 7, Map(14, 480), Map(14, 480), 286_440, 54_166_560),
            One("stage4.0", Map(14, 480), Map(7, 960), 80_880, 9_513_840),
            Sum("stage4.", 1, 3, Map(7, 960), Map(7, 960), 475_920, 22_896_720),
            One("classifier", Map(7, 960), Vector(1000), 961_000, 960_000),
        ],
        ["mobilenetv2_100"] =
        [
            One("features.0", Map(224, 3), Map(112, 32), 928, 10_838_016),
            One("features.1", Map(112, 32), Map(112, 16), 896, 10_035_200),
            One("features.2", Map(112, 16), Map(56, 24), 5_136, 29_202_432),
            One("features.3", Map(56, 24), Map(56, 24), 8_832, 25_740_288),
            One("features.4", Map(56, 24), Map(28, 32), 10_000, 15_466_752),
            Each("features.", 5, 6, Map(28, 32), Map(28, 32), 14_848, 10_988_544),
            One("features.7", Map(28, 32), Map(14, 64), 21_056, 7_564_032),
            Each("features.", 8, 10, Map(14, 64), Map(14, 64), 54_272, 10_311_168),
            One("features.11", Map(14, 64), Map(14, 96), 66_624, 12_719_616),
            Each("features.", 12, 13, Map(14, 96), Map(14, 96), 118_272, 22_692_096),
            One("features.14", Map(14, 96), Map(7, 160), 155_264, 15_607_872),
            Each("features.", 15, 16, Map(7, 160), Map(7, 160), 320_000, 15_476_160),
            One("features.17", Map(7, 160), Map(7, 320), 473_920, 23_002_560),
            One("features.18", Map(7, 320), Map(7, 1280), 412_160, 20_070_400),
            One("classifier", Map(7, 1280), Vector(1000), 1_281_000, 1_280_000),
        ],
        ["shufflenetv2_100"] =
        [
            One("stem", Map(224, 3), Map(56, 24), 696, 8_128_512),
            One("stage2.0", Map(56, 24), Map(28, 116), 7_398, 8_672_608),
            Sum("stage2.", 1, 3, Map(28, 116), Map(28, 116), 22_794, 17_052_000),
            One("stage3.0", Map(28, 116), Map(14, 232), 43_616, 16_233_504),
            Sum("stage3.", 1, 7, Map(14, 232), Map(14, 232), 200_564, 38_355_632),
            One("stage4.0", Map(14, 232), Map(7, 464), 167_968, 16_028_880),
            Sum("stage4.", 1, 3, Map(7, 464), Map(7, 464), 333_384, 16_131_192),
            One("conv5", Map(7, 464), Map(7, 1024), 477_184, 23_281_664),
            One("classifier", Map(7, 1024), Vector(1000), 1_025_000, 1_024_000),
        ],
        ["mobilenetv3_large_100"] =
        [
            One("features.0", Map(224, 3), Map(112, 16), 464, 5_419_008),
            One("features.1", Map(112, 16), Map(112, 16), 464, 5_017_600),
            One("features.2", Map(112, 16), Map(56, 24), 3_440, 19_468_288),
            One("features.3", Map(56, 24), Map(56, 24), 4_440, 12_870_144),
            One("features.4", Map(56, 24), Map(28, 40), 10_328, 9_091_584),
            Each("features.", 5, 6, Map(28, 40), Map(28, 40), 20_992, 9_886_080),
            One("features.7", Map(28, 40), Map(14, 80), 32_080, 11_712_960),
            One("features.8", Map(14, 80), Map(14, 80), 34_760, 6_624_800),
            Each("features.", 9, 10, Map(14, 80), Map(14, 80), 31_992, 6_094_816),
            One("features.11", Map(14, 80), Map(14, 112), 214_424, 19_025_280),
            One("features.12", Map(14, 112), Map(14, 112), 386_120, 30_914_688),
            One("features.13", Map(14, 112), Map(7, 160), 429_224, 21_069_216),
            Each("features.", 14, 15, Map(7, 160), Map(7, 160), 797_360, 16_689_600),
            One("features.16", Map(7, 160), Map(7, 960), 155_520, 7_526_400),
            // The spec's rows 17 (pool + FC 960→1280) and 18 (FC 1280→1000) are LightNets' "classifier" block.
            One("classifier", Map(7, 960), Vector(1000), 1_230_080 + 1_281_000, 1_228_800 + 1_280_000),
        ],
        ["mobilenetv3_small_100"] =
        [
            One("features.0", Map(224, 3), Map(112, 16), 464, 5_419_008),
            One("features.1", Map(112, 16), Map(56, 16), 744, 1_254_656),
            One("features.2", Map(56, 16), Map(28, 24), 3_864, 5_475_456),
            One("features.3", Map(28, 24), Map(28, 24), 5_416, 3_932_544),
            One("features.4", Map(28, 24), Map(14, 40), 13_736, 3_033_984),
            Each("features.", 5, 6, Map(14, 40), Map(14, 40), 57_264, 4_969_920),
            One("features.7", Map(14, 40), Map(14, 48), 21_968, 2_665_440),
            One("features.8", Map(14, 48), Map(14, 48), 29_800, 3_426_624),
            One("features.9", Map(14, 48), Map(7, 96), 91_848, 4_458_528),
            Each("features.", 10, 11, Map(7, 96), Map(7, 96), 294_096, 6_290_496),
            One("features.12", Map(7, 96), Map(7, 576), 56_448, 2_709_504),
            One("classifier", Map(7, 576), Vector(1000), 590_848 + 1_025_000, 589_824 + 1_024_000),
        ],
    };

    public static TheoryData<string> Models() => new(Spec.Keys);

    [Theory]
    [MemberData(nameof(Models))]
    public void Blocks_match_the_spec(string model)
    {
        var report = CostReport.Analyze(ModelZoo.Build(model));
        var blocks = report.Blocks.ToDictionary(b => b.Name);
        foreach (var row in Spec[model])
        {
            var actual = row.Blocks.Select(name => blocks.TryGetValue(name, out var b) ? b : throw new Xunit.Sdk.XunitException($"{model} has no block '{name}'")).ToArray();
            if (row.Summed)
            {
                var label = $"{row.Blocks[0]}..{row.Blocks[^1]}";
                Assert.Equal((label, row.In, row.Out, row.Params, row.Macs),
                    (label, actual[0].Input, actual[^1].Output, actual.Sum(b => b.Params), actual.Sum(b => b.Macs)));
            }
            else
            {
                foreach (var b in actual)
                    Assert.Equal((b.Name, row.In, row.Out, row.Params, row.Macs), (b.Name, b.Input, b.Output, b.Params, b.Macs));
            }
        }

        // The rows cover every block exactly once, so the totals are the spec's too.
        var covered = Spec[model].SelectMany(r => r.Blocks).ToArray();
        Assert.Equal(report.Blocks.Select(b => b.Name), covered);
        Assert.Equal(report.Params, Spec[model].Sum(r => r.Params * (r.Summed ? 1 : r.Blocks.Length)));
        Assert.Equal(report.Macs, Spec[model].Sum(r => r.Macs * (r.Summed ? 1 : r.Blocks.Length)));
    }
}
