using LightNets.Models;
using LightNets.Tensors;
using LightNets.Weights;
using LightNets.Weights.Mapping;

namespace LightNets.Tests.Weights.Mapping;

/// <summary>Checkpoints that do not fit: the first tensor that differs is named, with the names closest to it.</summary>
public class CheckpointErrorTests
{
    private const string MobileNetV2 = "tv_mobilenet_v2_025";
    private static readonly ModelOptions Quarter = new() { Width = 0.25 };

    [Fact]
    public void A_missing_tensor_is_named_with_the_files_closest_names()
    {
        var file = CheckpointFixtures.Shapes(MobileNetV2, s => s.Where(t => t.Name != "features.5.conv.1.1.running_var"));

        var e = Assert.Throws<WeightMappingException>(() => CheckpointLoader.Load(file, "mobilenetv2", Quarter));

        Assert.Contains("has no tensor 'features.5.conv.1.1.running_var'", e.Message);
        Assert.Contains("BatchNorm running_var of features.5.dw", e.Message);
        // Edit distance: the same tensor of the neighbouring blocks, which shows that block 5's is the one missing.
        Assert.Contains("closest names in the file: 'features.15.conv.1.1.running_var', 'features.2.conv.1.1.running_var'", e.Message);
    }

    [Fact]
    public void An_extra_tensor_is_named_with_the_models_closest_names()
    {
        var file = CheckpointFixtures.Shapes(MobileNetV2, s => s.Append(("features.18.2.weight", [16])));

        var e = Assert.Throws<WeightMappingException>(() => CheckpointLoader.Load(file, "mobilenetv2", Quarter));

        Assert.Contains("has 'features.18.2.weight' [16], which has no place in the model", e.Message);
        Assert.Contains("closest names the model takes: 'features.18.0.weight', 'features.18.1.weight'", e.Message);
    }

    [Fact]
    public void A_tensor_of_another_shape_is_named_with_both_shapes()
    {
        var file = CheckpointFixtures.Shapes(MobileNetV2, s => s.Select(t => t.Name == "features.3.conv.1.0.weight" ? (t.Name, new[] { 48, 1, 5, 5 }) : t));

        var e = Assert.Throws<WeightMappingException>(() => CheckpointLoader.Load(file, "mobilenetv2", Quarter));

        Assert.Contains("'features.3.conv.1.0.weight' is [48, 1, 5, 5]", e.Message);
        Assert.Contains("weight of features.3.dw is [48, 1, 3, 3]", e.Message);
    }

    [Fact]
    public void Another_width_fails_on_its_first_tensor_and_says_what_the_file_fits()
    {
        var e = Assert.Throws<WeightMappingException>(() => CheckpointLoader.Load(CheckpointFixtures.Shapes(MobileNetV2), "mobilenetv2_100"));

        Assert.Contains("does not fit mobilenetv2_100", e.Message);
        Assert.Contains("'features.0.0.weight' is [8, 3, 3, 3]", e.Message);
        Assert.Contains("it fits mobilenetv2 --width 0.25 (α=0.25", e.Message);
    }

    [Theory]
    [InlineData("timm_mobilenetv3_small_035", WidthRounding.Torchvision, "--rounding timm, MobileNetV3-Small only, not --rounding torchvision")]
    [InlineData("timm_mobilenetv3_small_035", WidthRounding.Paper, "--rounding timm, MobileNetV3-Small only, not --rounding paper")]
    [InlineData("tv_mobilenet_v3_small_035", WidthRounding.Timm, "--rounding torchvision only, not --rounding timm")]
    public void MobileNetV3_loads_only_into_its_sources_rounding(string fixture, WidthRounding rounding, string expected)
    {
        var e = Assert.Throws<WeightMappingException>(() =>
            CheckpointLoader.Load(CheckpointFixtures.Shapes(fixture), "mobilenetv3_small_035", new ModelOptions { Rounding = rounding }));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_checkpoint_of_another_family_says_whose_it_is()
    {
        var e = Assert.Throws<WeightMappingException>(() => CheckpointLoader.Load(CheckpointFixtures.Shapes(MobileNetV2), "shufflenetv2_050"));

        Assert.Contains("is not a ShuffleNetV2 checkpoint", e.Message);
        Assert.Contains("torchvision MobileNetV2", e.Message);
    }

    [Fact]
    public void Unknown_names_are_quoted()
    {
        var file = CheckpointTensors.FromShapes("odd.safetensors", [("encoder.layer0.weight", [8, 3, 3, 3]), ("head.weight", [10, 8])]);

        var e = Assert.Throws<WeightMappingException>(() => CheckpointLoader.Load(file, "mobilenetv2"));

        Assert.Contains("none LightNets knows", e.Message);
        Assert.Contains("'encoder.layer0.weight'", e.Message);
    }

    [Fact]
    public void Other_classes_keep_the_backbone_and_leave_the_classifier_untrained()
    {
        var name = "tv_shufflenet_v2_x0_5";
        var file = CheckpointFixtures.Read(name);

        var load = CheckpointLoader.Load(file, "shufflenetv2_050", new ModelOptions { Classes = 5 });

        Assert.True(load.ClassifierUntrained);
        Assert.Equal(10, load.FileClasses);
        Assert.Contains("for 10 classes and the model has 5", load.Warning);
        Assert.Equal(file.Get("conv5.0.weight")!.Data, load.Graph.Initializers["conv5.conv5.conv.weight"].Data);
        var fresh = ModelZoo.Build("shufflenetv2_050", new ModelOptions { Classes = 5 });
        Assert.Equal(fresh.Initializers["classifier.fc.weight"].Data, load.Graph.Initializers["classifier.fc.weight"].Data);
        Assert.Equal(new Shape(1, 5), load.Graph.ShapeOf(load.Graph.Output));
        Assert.Equal(load.Graph.Initializers.Count - 2, load.Loaded);
    }

    [Fact]
    public void Without_classes_the_model_takes_the_files()
    {
        var load = CheckpointLoader.Load(CheckpointFixtures.Read("tv_shufflenet_v2_x0_5"), "shufflenetv2_050");
        Assert.False(load.ClassifierUntrained);
        Assert.Null(load.Warning);
        Assert.Equal(10, load.Options.Classes);
    }

    [Fact]
    public void An_integer_tensor_where_a_weight_belongs_is_refused()
    {
        var original = WeightFiles.Read(CheckpointFixtures.PathOf(CheckpointFixtures.All["timm_mobilenetv1_025"].File));
        var tensors = original.Select(t => t.Name == "conv_stem.weight" ? new NamedTensor(t.Name, "int64", true, t.Shape, t.Data, t.Bytes * 2) : t).ToArray();
        var file = CheckpointTensors.From(new StateDict(original.Format, original.SourceName, tensors, original.Metadata, original.Prefix));

        var e = Assert.Throws<WeightMappingException>(() => CheckpointLoader.Load(file, "mobilenetv1_025"));

        Assert.Contains("'conv_stem.weight'", e.Message);
        Assert.Contains("int64", e.Message);
    }
}
