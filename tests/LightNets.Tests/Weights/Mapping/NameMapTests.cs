using LightNets.Graphs;
using LightNets.Models;
using LightNets.Models.MobileNetV3;
using LightNets.Models.ShuffleNetV2;
using LightNets.Weights.Mapping;

namespace LightNets.Tests.Weights.Mapping;

/// <summary>
/// The name maps against full-size checkpoints' names and shapes (names.json: torchvision's models and timm- and
/// megvii-named ones at 1000 classes and several widths), and against every zoo configuration.
/// </summary>
public class NameMapTests
{
    [Theory]
    [MemberData(nameof(CheckpointFixtures.FullSizeNames), MemberType = typeof(CheckpointFixtures))]
    public void Full_size_checkpoint_fits_exactly_its_zoo_model(string key)
    {
        var (fits, tensors) = CheckpointFixtures.FullSize[key];
        var file = CheckpointTensors.FromShapes(key, tensors);

        var found = CheckpointFits.Find(file);

        var fit = Assert.Single(found);
        Assert.Equal(fits, CheckpointLoader.Command(fit));
        Assert.Equal(1000, fit.Options.Classes);
        Assert.Equal(3, fit.Options.InputChannels);
        Assert.Equal(key.Split('_')[0] switch { "tv" => CheckpointSource.Torchvision, "timm" => CheckpointSource.Timm, _ => CheckpointSource.Megvii }, fit.Naming.Source);
    }

    public static IEnumerable<object[]> NamingsAndEntries =>
        CheckpointNamings.All.SelectMany(n => ModelZoo.Entries.Where(e => e.Family == n.Family)
            .Where(e => n.Implies.Variant is null || e.Defaults.Variant == n.Implies.Variant)
            .Select(e => new object[] { n.Name, e.Name }));

    /// <summary>Every zoo entry of a family gets a name for each of its initializers under each of the family's sources, each name once.</summary>
    [Theory]
    [MemberData(nameof(NamingsAndEntries))]
    public void Every_initializer_of_every_entry_gets_one_checkpoint_name(string naming, string entry)
    {
        var n = CheckpointNamings.All.Single(x => x.Name == naming);
        var graph = ModelZoo.Build(entry, n.Implies);

        var map = NameMap.For(graph, n);

        Assert.Equal(graph.Initializers.Keys.Order(), map.Tensors.Select(t => t.Initializer).Order());
        Assert.Equal(map.Tensors.Count, map.Tensors.Select(t => t.Source).Distinct().Count());
        Assert.All(map.Tensors, t => Assert.Equal(graph.Initializers[t.Initializer].Shape, t.Shape));
        Assert.Equal(graph.Nodes.Last(x => x.Kind == OpKind.Gemm).Inputs[1], Assert.Single(map.Tensors, t => t.Classifier && t.Shape.Rank == 2).Initializer);
    }

    [Theory]
    [InlineData("mobilenetv2_100", "features.17.conv.2.weight", "features.17.conv.3.running_var", "classifier.1.bias")]
    [InlineData("mobilenetv3_large_100", "features.4.block.2.fc1.bias", "features.16.1.weight", "classifier.3.weight")]
    [InlineData("shufflenetv2_100", "stage2.0.branch1.2.weight", "stage4.3.branch2.6.running_mean", "fc.bias")]
    public void Torchvision_names_follow_its_modules(string model, params string[] names)
    {
        var naming = CheckpointNamings.All.Single(n => n.Source == CheckpointSource.Torchvision && n.Family == ModelZoo.Find(model).Family);
        var sources = NameMap.For(ModelZoo.Build(model, naming.Implies), naming).Tensors.Select(t => t.Source).ToHashSet();
        Assert.All(names, n => Assert.Contains(n, sources));
    }

    [Fact]
    public void Timm_numbers_blocks_by_stage_and_index()
    {
        var naming = MobileNetV3Checkpoints.TimmLarge;
        var map = NameMap.For(ModelZoo.Build("mobilenetv3_large_100", naming.Implies), naming);
        var byZoo = map.Tensors.ToDictionary(t => t.Initializer, t => t.Source);

        Assert.Equal("conv_stem.weight", byZoo["features.0.conv.conv.weight"]);
        Assert.Equal("blocks.0.0.conv_dw.weight", byZoo["features.1.dw.conv.weight"]);
        Assert.Equal("blocks.3.3.conv_pwl.weight", byZoo["features.10.project.conv.weight"]);
        Assert.Equal("blocks.5.2.se.conv_expand.bias", byZoo["features.15.se.fc2.bias"]);
        Assert.Equal("blocks.6.0.bn1.running_var", byZoo["features.16.conv.bn.running_var"]);
        Assert.Equal("conv_head.weight", byZoo["classifier.head.weight"]);
        Assert.Equal("classifier.weight", byZoo["classifier.fc.weight"]);
    }

    [Fact]
    public void A_block_the_source_does_not_have_is_named_in_the_error()
    {
        var graph = ModelZoo.Build("mobilenetv3_small_100", new ModelOptions { HeadSqueezeExcite = true, Rounding = WidthRounding.Torchvision });

        var e = Assert.Throws<WeightMappingException>(() => NameMap.For(graph, MobileNetV3Checkpoints.Torchvision));

        Assert.Contains("features.12", e.Message);
        Assert.Contains("conv se.fc1 se.fc2", e.Message);
    }

    [Fact]
    public void The_small_input_variant_has_the_same_names_as_the_imagenet_layout()
    {
        var naming = ShuffleNetV2Checkpoints.Torchvision;
        var small = NameMap.For(ModelZoo.Build("shufflenetv2_050", new ModelOptions { SmallInput = true, Resolution = 32 }), naming);
        var full = NameMap.For(ModelZoo.Build("shufflenetv2_050"), naming);
        Assert.Equal(full.Tensors.Select(t => t.Source), small.Tensors.Select(t => t.Source));
    }
}
