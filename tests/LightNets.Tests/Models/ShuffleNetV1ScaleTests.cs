using LightNets.Cost;
using LightNets.Models;
using LightNets.Models.ShuffleNetV1;

namespace LightNets.Tests.Models;

/// <summary>
/// "ShuffleNet s×" for every g and s: the paper gives no channel table (ARCH-SPEC §2.5), so the scaled widths come from
/// megvii's table or <see cref="ShuffleNetV1.Widths"/>'s rule, and are checked against the nominal complexities.
/// </summary>
public class ShuffleNetV1ScaleTests
{
    public static TheoryData<int, double> Configurations()
    {
        var data = new TheoryData<int, double>();
        foreach (var g in ShuffleNetV1Table.Groups)
        {
            foreach (var s in new[] { 0.25, 0.5, 1.0, 1.5, 2.0 }) data.Add(g, s);
        }
        return data;
    }

    /// <summary>s² × 140 M, except the classes P-SN1 Table 2 names for the small sizes (fixed costs dominate there).</summary>
    private static double Nominal(double s) => s switch { 0.25 => 13, 0.5 => 38, _ => s * s * 140 };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Builds_and_stays_within_twenty_percent_of_its_nominal_complexity(int g, double s)
    {
        var name = $"shufflenetv1_g{g}_{(int)Math.Round(s * 100):000}";
        var report = CostReport.Analyze(ModelZoo.Build(name));
        var millions = report.Macs / 1e6;
        Assert.InRange(millions, 0.8 * Nominal(s), 1.2 * Nominal(s));

        // Every width the rule picks keeps the unit's divisibility: bottleneck C/4, C and the first branch C − C_in by g.
        var (stem, stages) = ShuffleNetV1.Widths(g, s);
        var inputs = stages.Prepend(stem).ToArray();
        for (var i = 0; i < stages.Length; i++)
        {
            Assert.Equal(0, stages[i] / 4 % g);
            Assert.Equal(0, (stages[i] - inputs[i]) % g);
        }
    }

    [Theory]
    [InlineData(3, 0.5, 12, 120)]
    [InlineData(8, 0.5, 16, 192)]
    [InlineData(3, 2.0, 48, 480)]
    public void Megvii_configurations_take_precedence(int g, double s, int stem, int stage2)
    {
        var (actualStem, stages) = ShuffleNetV1.Widths(g, s);
        Assert.Equal((stem, stage2), (actualStem, stages[0]));
    }

    [Theory]
    [InlineData(0, 1.0, "g = 0")]
    [InlineData(5, 1.0, "g = 5")]
    [InlineData(-3, 1.0, "g = -3")]
    [InlineData(3, 0.0, "scale factor s")]
    [InlineData(3, double.NaN, "scale factor s")]
    [InlineData(3, double.PositiveInfinity, "scale factor s")]
    [InlineData(3, 17.0, "scale factor s")]
    public void Groups_and_scales_outside_the_family_are_refused(int g, double s, string named)
    {
        var e = Assert.Throws<ModelConfigurationException>(() => ShuffleNetV1.Build(new ShuffleNetV1Config { Groups = g, Scale = s }));
        Assert.Contains(named, e.Message);
    }
}
