using LightNets;
using LightNets.Graphs;
using LightNets.Models;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Tests.Models;

/// <summary>The registry: every entry and configuration builds and runs, aliases resolve, bad options are refused.</summary>
public class ModelZooTests
{
    public static TheoryData<string> EntryNames() => new(ModelZoo.Entries.Select(e => e.Name));

    /// <summary>
    /// Knobs in range can still multiply into more weights than memory holds (α = 16 and 100,000 classes: a 6.5 GB
    /// classifier); the builder refuses them by name before drawing any weight.
    /// </summary>
    [Theory]
    [InlineData("mobilenetv3_small_100", 16.0, 100_000)]
    [InlineData("mobilenetv2_100", 16.0, 60_000)]
    [InlineData("mobilenetv1_100", 16.0, 100_000)]
    public void Configurations_beyond_the_weight_bound_are_refused_before_allocating(string name, double width, int classes)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ModelConfigurationException>(() => ModelZoo.Build(name, new ModelOptions { Width = width, Classes = classes }));
        Assert.Contains("2^30 weights", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < GraphBuilder.MaxWeightElements * sizeof(float) / 4,
            "the refusal came after the weights were drawn");
    }

    [Fact]
    public void Every_entry_and_configuration_builds()
    {
        Assert.Equal(ModelZoo.Entries.Count, ModelZoo.Entries.Select(e => e.Name).Distinct().Count());
        foreach (var entry in ModelZoo.Entries)
            Assert.NotEmpty(ModelZoo.Build(entry.Name).Nodes);
        foreach (var configuration in ModelZoo.Configurations)
            Assert.NotEmpty(ModelZoo.Build(configuration.Entry.Name, configuration.Overrides).Nodes);
    }

    [Theory]
    [InlineData("mobilenet_v2", "mobilenetv2_100")]
    [InlineData("mobilenet_v3_large", "mobilenetv3_large_100")]
    [InlineData("mobilenet_v3_small", "mobilenetv3_small_100")]
    [InlineData("shufflenet_v2_x0_5", "shufflenetv2_050")]
    [InlineData("shufflenet_v2_x1_0", "shufflenetv2_100")]
    [InlineData("shufflenet_v2_x1_5", "shufflenetv2_150")]
    [InlineData("shufflenet_v2_x2_0", "shufflenetv2_200")]
    [InlineData("MobileNet_V2", "mobilenetv2_100")]
    public void Torchvision_aliases_resolve(string alias, string name)
    {
        Assert.Equal(name, ModelZoo.Find(alias).Name);
        Assert.Contains(alias, ModelZoo.Names, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void An_unknown_name_lists_the_nearest_names()
    {
        var e = Assert.Throws<ModelConfigurationException>(() => ModelZoo.Find("mobilenetv2_10"));
        Assert.Contains("mobilenetv2_10", e.Message);
        Assert.Contains("mobilenetv2_100", e.Message);
        Assert.Throws<ModelConfigurationException>(() => ModelZoo.Build("resnet50"));
        Assert.Equal("mobilenetv2_130", ModelZoo.Nearest("mobilenetv2_13", 3)[0]);
    }

    public static TheoryData<string, ModelOptions, string> InapplicableOptions() => new()
    {
        { "mobilenetv2_100", new ModelOptions { Groups = 3 }, "--groups" },
        { "mobilenetv1_100", new ModelOptions { Layout = ModelLayout.Paper }, "--layout" },
        { "mobilenetv2_100", new ModelOptions { Layout = ModelLayout.Torchvision }, "--layout" },
        { "shufflenetv2_100", new ModelOptions { Rounding = WidthRounding.Torchvision }, "--rounding" },
        { "mobilenetv3_large_100", new ModelOptions { Activation = Activation.Relu6 }, "--activation" },
        { "mobilenetv1_100", new ModelOptions { HeadSqueezeExcite = true }, "--head-se" },
        { "shufflenetv1_g3_100", new ModelOptions { Variant = LightNets.Models.MobileNetV3.MobileNetV3Variant.Small }, "variant" },
        { "shufflenetv1_g3_100", new ModelOptions { Layout = ModelLayout.Torchvision }, "no torchvision layout" },
    };

    [Theory]
    [MemberData(nameof(InapplicableOptions))]
    public void Options_that_do_not_apply_are_refused(string model, ModelOptions overrides, string mentioned)
    {
        var e = Assert.Throws<ModelConfigurationException>(() => ModelZoo.Build(model, overrides));
        Assert.Contains(mentioned, e.Message);
    }

    [Theory]
    [InlineData("mobilenetv1_100", 0.0)]
    [InlineData("mobilenetv2_100", -0.5)]
    [InlineData("mobilenetv3_small_100", 0.0)]
    [InlineData("shufflenetv1_g3_100", -1.0)]
    [InlineData("shufflenetv2_100", 0.0)]
    [InlineData("shufflenetv2_100", 0.75)] // not a column of Table 5
    public void Bad_widths_are_refused(string model, double width) =>
        Assert.Throws<ModelConfigurationException>(() => ModelZoo.Build(model, new ModelOptions { Width = width }));

    [Theory]
    [InlineData(31)]
    [InlineData(0)]
    [InlineData(-224)]
    [InlineData(4097)]
    public void Resolutions_out_of_range_are_refused(int resolution)
    {
        foreach (var model in new[] { "mobilenetv1_100", "shufflenetv1_g3_100", "mobilenetv2_100", "shufflenetv2_100", "mobilenetv3_large_100" })
            Assert.Throws<ModelConfigurationException>(() => ModelZoo.Build(model, new ModelOptions { Resolution = resolution }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(16)]
    public void Groups_outside_the_table_are_refused(int groups) =>
        Assert.Throws<ModelConfigurationException>(() => ModelZoo.Build("shufflenetv1_g3_100", new ModelOptions { Groups = groups }));

    private static readonly WeightInit Random = new(Seed: 11, RandomizeStatistics: true);

    [Theory]
    [MemberData(nameof(EntryNames))]
    public void Every_entry_runs_on_the_reference_interpreter(string name)
    {
        var graph = ModelZoo.Build(name, new ModelOptions { Resolution = 64, Init = Random });
        var logits = ReferenceInterpreter.Run(graph, new Rng(5).NormalTensor([1, 3, 64, 64]));
        Assert.Equal(new Shape(1, 1000), logits.Shape);
        Assert.All(logits.Data, v => Assert.True(float.IsFinite(v)));
        Assert.Contains(logits.Data, v => v != 0f);
    }

    [Fact]
    public void A_batch_of_two_equals_two_runs_of_one()
    {
        var graph = ModelZoo.Build("mobilenetv3_small_100", new ModelOptions { Resolution = 64, Init = Random });
        var images = new Rng(9).NormalTensor([2, 3, 64, 64]);
        var both = ReferenceInterpreter.Run(graph.WithBatch(2), images);
        var perImage = images.Data.Length / 2;
        for (var n = 0; n < 2; n++)
        {
            var one = Tensor.FromArray(Shape.Nchw(1, 3, 64, 64), images.Data.AsSpan(n * perImage, perImage));
            var logits = ReferenceInterpreter.Run(graph, one);
            Assert.Equal(logits.Data, both.Data.AsSpan(n * 1000, 1000).ToArray());
        }
    }
}
