using System.Collections.Concurrent;
using LightNets.Cost;
using LightNets.Models;

namespace LightNets.Tests.Models;

/// <summary>
/// Every published figure reproduces at its own rounding, and every erratum does not: the list stays honest both ways.
/// </summary>
public class PublishedFigureTests
{
    private static readonly Dictionary<string, PublishedFigure> ByKey = Published.Figures.ToDictionary(f => f.Key);

    // Many figures share a network (one model quoted by several sources): cost each network once.
    private static readonly ConcurrentDictionary<string, CostReport> Reports = new();

    private static CostReport Cost(PublishedFigure f) =>
        Reports.GetOrAdd($"{f.Model} {f.Overrides.Describe(ModelZoo.Find(f.Model).Family)}", _ => Published.Cost(f));

    /// <summary>Figure keys: strings, so that every figure is its own test case with a readable name.</summary>
    public static TheoryData<string> Keys() => new(Published.Figures.Select(f => f.Key));

    [Theory]
    [MemberData(nameof(Keys))]
    public void Figure_reproduces_unless_it_is_a_known_erratum(string key)
    {
        var f = ByKey[key];
        var report = Cost(f);
        Assert.True(f.MacsMillions is not null || f.ParamsMillions is not null, "a figure publishes MACs or params");
        if (f.MacsMillions is { } macs)
        {
            var ours = Published.Rounded(Published.Macs(f, report), f.MacsRounding, f.MacsDecimals);
            Assert.True(Published.MacsReproduce(f, report) == (f.MacsErratum is null),
                f.MacsErratum is null ? $"published {macs} M MACs, ours {ours} M" : $"erratum reproduces after all: {ours} M ({f.MacsErratum})");
        }
        if (f.ParamsMillions is { } @params)
        {
            var ours = Published.Rounded(Published.Params(f, report), f.ParamsRounding, f.ParamsDecimals);
            Assert.True(Published.ParamsReproduce(f, report) == (f.ParamsErratum is null),
                f.ParamsErratum is null ? $"published {@params} M params, ours {ours} M" : $"erratum reproduces after all: {ours} M ({f.ParamsErratum})");
        }
        Assert.Equal(f.MacsErratum is not null || f.ParamsErratum is not null, f.Erratum is not null);
    }

    [Fact]
    public void Keys_are_unique_and_rows_are_well_formed()
    {
        Assert.Equal(Published.Figures.Count, ByKey.Count);
        foreach (var f in Published.Figures)
        {
            Assert.True(ModelZoo.TryFind(f.Model, out var entry) && entry.Name == f.Model, $"{f.Model} is a zoo name");
            Assert.InRange(f.MacsDecimals, 0, 6);
            Assert.InRange(f.ParamsDecimals, 0, 6);
            if (f.Top1 is { } top1) Assert.InRange(top1, 30, 80);
            if (f.MacsErratum is not null) Assert.NotNull(f.MacsMillions);
            if (f.ParamsErratum is not null) Assert.NotNull(f.ParamsMillions);
            Assert.True(f.MacsRounding != PublishedRounding.Nominal || !f.MacsWithoutClassifier);
            Assert.NotEqual(PublishedRounding.Nominal, f.ParamsRounding);
        }
    }

    [Fact]
    public void The_required_sources_are_covered()
    {
        string[] sources =
        [
            "P-MN1 Table 6", "P-MN1 Table 7", "R-TFS-V1", "P-SN1 Table 1", "P-SN1 Table 2", "P-SN1 Table 5",
            "R-MEG ShuffleNetV1/README.md", "R-TFS-MN", "P-MN2 Table 4", "P-SN2 Table 5", "R-TV-V2 IMAGENET1K_V1",
            "R-TV-V3 IMAGENET1K_V1", "R-TV-SN2 IMAGENET1K_V1", "P-MN3 Table 3", "P-MN3 Table 9",
        ];
        foreach (var source in sources) Assert.Contains(Published.Figures, f => f.Source == source);
        Assert.Equal(22 + 4, Published.Figures.Count(f => f.Source == "R-TFS-MN"));
        Assert.Equal(16, Published.Figures.Count(f => f.Source == "R-TFS-V1"));
        Assert.Equal(19, Published.Figures.Count(f => f.Source == "P-MN3 Table 9"));
    }

    [Theory]
    [InlineData("R-TFS-V1: mobilenetv1_075 (192px)")]
    [InlineData("R-TFS-V1: mobilenetv1_025 (192px)")]
    [InlineData("R-MEG ShuffleNetV1/README.md: shufflenetv1_g3_100 (megvii layout)")]
    [InlineData("P-MN2 Table 4: mobilenetv2_140")]
    [InlineData("P-SN2 Table 5: shufflenetv2_050 (paper layout)")]
    [InlineData("P-MN3 Table 3: mobilenetv3_large_100 (paper rounding)")]
    [InlineData("P-MN3 Table 9: mobilenetv3_small_100 (256px, paper rounding)")]
    public void Known_errata_are_recorded_with_a_reason(string key)
    {
        var erratum = ByKey[key].Erratum;
        Assert.NotNull(erratum);
        Assert.True(erratum.Length > 20, erratum);
    }

    [Fact]
    public void TfSlimV1_convention_gives_the_counts_PUBLISHED_infers()
    {
        long[] expected = [4_243_945, 2_594_537, 1_337_577, 473_065];
        string[] models = ["mobilenetv1_100", "mobilenetv1_075", "mobilenetv1_050", "mobilenetv1_025"];
        for (var i = 0; i < models.Length; i++)
        {
            var report = CostReport.Analyze(ModelZoo.Build(models[i]));
            Assert.Equal(expected[i], Published.Params(ParamsConvention.TfSlimV1, report));
            // Already 1001 classes: no further row is added.
            var r1001 = CostReport.Analyze(ModelZoo.Build(models[i], new ModelOptions { Classes = 1001 }));
            Assert.Equal(expected[i], Published.Params(ParamsConvention.TfSlimV1, r1001));
        }
    }

    [Theory]
    [InlineData(568_740_352, PublishedRounding.Nearest, 0, 569)]
    [InlineData(568_740_352, PublishedRounding.Truncate, 0, 568)]
    [InlineData(300_774_272, PublishedRounding.Truncate, 0, 300)]
    [InlineData(59_285_808, PublishedRounding.Truncate, 1, 59.2)]
    [InlineData(59_285_808, PublishedRounding.Nearest, 1, 59.3)]
    [InlineData(3_504_872, PublishedRounding.Nearest, 6, 3.504872)]
    [InlineData(3_504_872, PublishedRounding.Truncate, 6, 3.504872)]
    [InlineData(2_500_000, PublishedRounding.Nearest, 0, 3)]
    public void Rounding_is_done_in_integers(long count, PublishedRounding rounding, int decimals, double printed)
    {
        Assert.Equal(printed, Published.Rounded(count, rounding, decimals));
    }

    [Fact]
    public void Nominal_classes_allow_twenty_percent()
    {
        var figure = new PublishedFigure { Source = "test", Model = "shufflenetv1_g3_100", MacsMillions = 100, MacsRounding = PublishedRounding.Nominal };
        var report = CostReport.Analyze(ModelZoo.Build("shufflenetv1_g3_100")); // 137.46 M
        Assert.False(Published.MacsReproduce(figure, report));
        Assert.True(Published.MacsReproduce(figure with { MacsMillions = 120 }, report));
        Assert.Throws<ArgumentException>(() => Published.ParamsReproduce(figure, report));
    }

    [Fact]
    public void For_matches_the_network_not_the_spelling()
    {
        // torchvision's alias finds torchvision's metadata and the TF-slim grid at 224 but not other resolutions.
        var v2 = Published.For("mobilenet_v2").Select(f => f.Key).ToArray();
        Assert.Contains("R-TV-V2 IMAGENET1K_V2: mobilenetv2_100", v2);
        Assert.Contains("R-TFS-MN: mobilenetv2_100", v2);
        Assert.DoesNotContain("R-TFS-MN: mobilenetv2_100 (160px)", v2);
        Assert.Contains("R-TFS-MN: mobilenetv2_100 (160px)", Published.For("mobilenetv2_100", new ModelOptions { Resolution = 160 }).Select(f => f.Key));

        // MobileNetV3: every rule builds the same network at α = 1, timm's and the paper's at 0.75, but not at 0.5;
        // the zoo defaults to the paper's rule.
        Assert.Contains(Published.For("mobilenet_v3_large"), f => f.Source == "R-TV-V3 IMAGENET1K_V2");
        Assert.Contains(Published.For("mobilenet_v3_large"), f => f.Source == "P-MN3 Table 9");
        Assert.Contains(Published.For("mobilenetv3_large_075"), f => f.Source == "P-MN3 Table 9");
        Assert.DoesNotContain(Published.For("mobilenetv3_large_075", new ModelOptions { Rounding = WidthRounding.Torchvision }), f => f.Source == "P-MN3 Table 9");
        Assert.DoesNotContain(Published.For("mobilenetv3_large_050", new ModelOptions { Rounding = WidthRounding.Timm }), f => f.Source == "P-MN3 Table 9");
        Assert.Contains(Published.For("mobilenetv3_large_050"), f => f.Source == "P-MN3 Table 9");

        // Layouts: megvii's FC has no bias, so its figures describe another network than the paper layout's.
        Assert.DoesNotContain(Published.For("shufflenetv1_g3_100"), f => f.Source == "R-MEG ShuffleNetV1/README.md");
        Assert.Contains(Published.For("shufflenetv1_g3_100", new ModelOptions { Layout = ModelLayout.Megvii }), f => f.Source == "R-MEG ShuffleNetV1/README.md");
        Assert.All(Published.For("shufflenet_v2_x1_0"), f => Assert.StartsWith("R-TV-SN2", f.Source));
        Assert.Contains(Published.For("shufflenetv2_100", new ModelOptions { Layout = ModelLayout.Paper }), f => f.Source == "P-SN2 Table 5");

        // Batch and weights change no count; classes do.
        Assert.NotEmpty(Published.For("mobilenetv1_100", new ModelOptions { Batch = 4, Activation = Activation.Relu6 }));
        Assert.Empty(Published.For("mobilenetv1_100", new ModelOptions { Classes = 10 }));
        Assert.Throws<ModelConfigurationException>(() => Published.For("mobilenetv9"));
    }

    [Fact]
    public void Every_figure_is_found_by_its_own_configuration()
    {
        foreach (var f in Published.Figures)
            Assert.Contains(f, Published.For(f.Model, f.Overrides));
    }

    [Fact]
    public void Reproduction_is_per_image()
    {
        var f = ByKey["P-MN1 Table 6: mobilenetv1_100"];
        var batch3 = CostReport.Analyze(ModelZoo.Build(f.Model, new ModelOptions { Batch = 3 }));
        Assert.True(Published.MacsReproduce(f, batch3));
        Assert.Equal(568_740_352, Published.Macs(f, batch3));
    }
}
