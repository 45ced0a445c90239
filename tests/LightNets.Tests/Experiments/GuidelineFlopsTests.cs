using LightNets.Experiments;

namespace LightNets.Tests.Experiments;

/// <summary>
/// F1–F2 of GUIDELINES-SPEC §11: the analyzer's MACs of every table, mode and column equal the spec's integers
/// (§4–§7), the theoretical MAC of the ×1 columns equals Eq. 1, and FLOPs stay within 6% of each table's reference.
/// The integers are copied from the spec, not computed, so that the tables and the builders are checked against it.
/// </summary>
public class GuidelineFlopsTests
{
    private static long Macs(GuidelineTable t, int row, int column) => GuidelineCosts.Of(t.Rows[row].Stacks[column]).Macs;

    private static void AssertColumn(GuidelineTable t, int column, params long[] expected)
    {
        for (var row = 0; row < expected.Length; row++)
            Assert.True(expected[row] == Macs(t, row, column), $"{t.Id} {t.Mode} {t.Columns[column]} {t.Rows[row].Label}: expected {expected[row]:N0}, got {Macs(t, row, column):N0}");
    }

    [Fact]
    public void G1_arm_macs_are_the_spec_integers()
    {
        var t = GuidelineTables.G1(GuidelineMode.Arm);
        AssertColumn(t, 0, 64_225_280, 60_712_960, 63_598_080, 60_963_840);
        AssertColumn(t, 1, 256_901_120, 242_851_840, 254_392_320, 243_855_360);
        AssertColumn(t, 2, 1_027_604_480, 971_407_360, 1_017_569_280, 975_421_440);
    }

    [Fact]
    public void G1_gpu_macs_are_the_spec_integers()
    {
        var t = GuidelineTables.G1(GuidelineMode.Gpu);
        AssertColumn(t, 0, 1_027_604_480, 1_016_064_000, 1_017_569_280, 975_421_440);
        AssertColumn(t, 1, 4_110_417_920, 4_064_256_000, 4_070_277_120, 3_901_685_760);
        AssertColumn(t, 2, 16_441_671_680, 16_257_024_000, 16_281_108_480, 15_606_743_040);
    }

    [Fact]
    public void G2_macs_are_the_spec_integers()
    {
        var gpu = GuidelineTables.G2(GuidelineMode.Gpu);
        AssertColumn(gpu, 0, 513_802_240, 508_032_000, 513_802_240, 508_032_000);
        AssertColumn(gpu, 1, 2_055_208_960, 2_032_128_000, 2_055_208_960, 2_032_128_000);
        AssertColumn(gpu, 2, 8_220_835_840, 8_128_512_000, 8_220_835_840, 8_128_512_000);
        var arm = GuidelineTables.G2(GuidelineMode.Arm);
        AssertColumn(arm, 0, 128_450_560, 127_008_000, 128_450_560, 132_715_520);
        AssertColumn(arm, 1, 513_802_240, 508_032_000, 513_802_240, 530_862_080);
        AssertColumn(arm, 2, 2_055_208_960, 2_032_128_000, 2_055_208_960, 2_123_448_320);
    }

    [Fact]
    public void G3_macs_are_the_spec_integers()
    {
        var gpu = GuidelineTables.G3(GuidelineMode.Gpu);
        AssertColumn(gpu, 0, 513_802_240, 508_032_000, 513_802_240, 513_802_240, 513_802_240);
        AssertColumn(gpu, 1, 2_055_208_960, 2_054_769_920, 2_055_208_960, 2_055_208_960, 2_055_208_960);
        AssertColumn(gpu, 2, 8_220_835_840, 8_219_079_680, 8_220_835_840, 8_220_835_840, 8_220_835_840);
        var arm = GuidelineTables.G3(GuidelineMode.Arm);
        AssertColumn(arm, 0, 128_450_560, 127_008_000, 128_450_560, 128_450_560, 128_450_560);
        AssertColumn(arm, 1, 513_802_240, 508_032_000, 513_802_240, 513_802_240, 513_802_240);
        AssertColumn(arm, 2, 2_055_208_960, 2_054_769_920, 2_055_208_960, 2_055_208_960, 2_055_208_960);
    }

    [Theory]
    [InlineData(GuidelineMode.Arm)]
    [InlineData(GuidelineMode.Gpu)]
    public void G4_macs_and_elementwise_counts_are_the_spec_integers(GuidelineMode mode)
    {
        var t = GuidelineTables.G4(mode);
        long[] macs = [34_119_680, 136_478_720, 545_914_880];
        long[] relu = [1_505_280, 3_010_560, 6_021_120];
        long[] add = [1_003_520, 2_007_040, 4_014_080];
        for (var c = 0; c < 3; c++)
        {
            // All four variants (and the fused ablation) have the same FLOPs: ReLU and Add count 0.
            Assert.All(t.Rows, r => Assert.Equal(macs[c], GuidelineCosts.Of(r.Stacks[c]).Macs));
            var yy = GuidelineCosts.Of(t.Rows[t.RowIndex("yes/yes")].Stacks[c]);
            Assert.Equal(relu[c], yy.ReluElements);
            Assert.Equal(add[c], yy.AddElements);
            Assert.Equal(0, GuidelineCosts.Of(t.Rows[t.RowIndex("no/yes")].Stacks[c]).ReluElements);
            Assert.Equal(add[c], GuidelineCosts.Of(t.Rows[t.RowIndex("no/yes")].Stacks[c]).AddElements);
            Assert.Equal(relu[c], GuidelineCosts.Of(t.Rows[t.RowIndex("yes/no")].Stacks[c]).ReluElements);
            Assert.Equal(0, GuidelineCosts.Of(t.Rows[t.RowIndex("yes/no")].Stacks[c]).AddElements);
            var nn = GuidelineCosts.Of(t.Rows[t.RowIndex("no/no")].Stacks[c]);
            Assert.Equal((0L, 0L), (nn.ReluElements, nn.AddElements));
        }
    }

    [Fact]
    public void Theoretical_mac_of_the_x1_columns_is_the_spec_integers()
    {
        long Mac(GuidelineTable t, int row) => GuidelineCosts.Of(t.Rows[row].Stacks[0]).MemoryAccess;
        long[] g1Gpu = [16_384_000, 17_258_400, 23_154_560, 29_664_000];
        long[] g1Arm = [4_034_560, 4_158_880, 5_727_800, 7_357_680];
        long[] g2Gpu = [8_192_000, 11_451_600, 16_220_160, 22_741_200];
        long[] g2Arm = [4_055_040, 5_685_300, 8_069_120, 11_582_800];
        for (var r = 0; r < 4; r++)
        {
            Assert.Equal(g1Gpu[r], Mac(GuidelineTables.G1(GuidelineMode.Gpu), r));
            Assert.Equal(g1Arm[r], Mac(GuidelineTables.G1(GuidelineMode.Arm), r));
            Assert.Equal(g2Gpu[r], Mac(GuidelineTables.G2(GuidelineMode.Gpu), r));
            Assert.Equal(g2Arm[r], Mac(GuidelineTables.G2(GuidelineMode.Arm), r));
        }
    }

    [Theory]
    [InlineData(GuidelineMode.Arm)]
    [InlineData(GuidelineMode.Gpu)]
    public void Flops_stay_within_six_percent_of_the_reference_and_g1_never_above_it(GuidelineMode mode)
    {
        foreach (var t in GuidelineTables.For(mode))
        {
            foreach (var cell in t.Cells)
            {
                var reference = Macs(t, t.ReferenceOf(cell.Row), cell.Column);
                var macs = Macs(t, cell.Row, cell.Column);
                Assert.True(Math.Abs(macs - reference) <= 0.06 * reference, $"{cell.Describe()}: {macs:N0} vs {reference:N0}");
                if (t.Id == Guideline.G1) Assert.True(macs <= reference, $"{cell.Describe()} has more FLOPs than 1:1");
            }
        }
    }

    [Fact]
    public void The_g1_deviations_match_the_spec()
    {
        var t = GuidelineTables.G1(GuidelineMode.Arm);
        double[] dev = [0, -5.47, -0.98, -5.08];
        for (var r = 0; r < 4; r++)
            Assert.Equal(dev[r], Math.Round(100.0 * (Macs(t, r, 0) - Macs(t, 0, 0)) / Macs(t, 0, 0), 2));
    }
}
