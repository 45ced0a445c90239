using LightNets.Graphs;
using LightNets.Models;
using LightNets.Runtime;
using LightNets.Tests.Onnx;
using LightNets.Weights.Mapping;

namespace LightNets.Tests.Weights.Mapping;

/// <summary>
/// Every committed checkpoint (torchvision .pth, timm-named .safetensors, megvii-named .pth.tar) loads into its zoo model
/// and computes PyTorch's logits through both engines.
/// </summary>
public class CheckpointFixtureTests
{
    /// <summary>Max |diff| over max |PyTorch| (PyTorch in float64 on the saved weights): LightNets' float32 error only.</summary>
    private const double RelativeTolerance = 1e-5;

    [Theory]
    [MemberData(nameof(CheckpointFixtures.Names), MemberType = typeof(CheckpointFixtures))]
    public void Checkpoint_in_its_zoo_model_computes_pytorchs_logits_in_both_engines(string name)
    {
        var f = CheckpointFixtures.All[name];
        var load = CheckpointLoader.Load(CheckpointFixtures.PathOf(f.File), f.Model, f.Options with { Resolution = f.Resolution, Batch = f.Batch });

        AssertComputesPyTorch(name, load);
        Assert.False(load.ClassifierUntrained);
        Assert.Equal(10, load.Options.Classes);
        Assert.Equal(f.Source, load.Naming.Source.ToString(), ignoreCase: true);
    }

    /// <summary>Naming only the family: width (and ShuffleNetV1's groups, MobileNetV3's variant) come from the file.</summary>
    [Theory]
    [MemberData(nameof(CheckpointFixtures.Names), MemberType = typeof(CheckpointFixtures))]
    public void Checkpoint_in_its_family_infers_the_configuration(string name)
    {
        var f = CheckpointFixtures.All[name];
        var load = CheckpointLoader.Load(CheckpointFixtures.Read(name), CheckpointFixtures.FamilyName(f.Model),
            new ModelOptions { Resolution = f.Resolution, Batch = f.Batch });

        Assert.Equal(f.Options.Width ?? ModelZoo.Find(f.Model).Defaults.Width, load.Options.Width);
        AssertComputesPyTorch(name, load);
    }

    [Theory]
    [MemberData(nameof(CheckpointFixtures.Names), MemberType = typeof(CheckpointFixtures))]
    public void Loaded_model_names_the_file_and_its_source_and_holds_no_random_weight(string name)
    {
        var f = CheckpointFixtures.All[name];
        var file = CheckpointFixtures.Read(name);
        var load = CheckpointLoader.Load(file, f.Model, f.Options);

        Assert.Equal(f.File, load.Graph.Metadata["weights"]);
        Assert.Equal(load.Naming.Name, load.Graph.Metadata["weights-source"]);
        // Every initializer came from the file, and every tensor of the file but BN's counters went somewhere.
        Assert.Equal(load.Graph.Initializers.Count, load.Loaded);
        Assert.Equal(file.Names.Count, load.Loaded + load.Ignored);
        Assert.All(file.Names.Where(CheckpointTensors.IsIgnored), n => Assert.EndsWith(".num_batches_tracked", n));
    }

    [Fact]
    public void Megvii_checkpoints_lose_the_data_parallel_prefix_and_run_in_megvii_wiring()
    {
        var file = CheckpointFixtures.Read("megvii_shufflenetv2_050");
        Assert.Equal("module.", file.StrippedPrefix);
        Assert.Contains("first_conv.0.weight", file.Names);

        var load = CheckpointLoader.Load(file, "shufflenetv2_050", new ModelOptions { Resolution = 64 });
        Assert.StartsWith("megvii", load.Graph.Metadata["wiring"]);
        // The zoo's layers and counts, with megvii's shuffles: a shuffle in front of each basic unit's split, none after a concat.
        Assert.Equal(ModelZoo.Build("shufflenetv2_050", load.Options).Initializers.Keys.Order(), load.Graph.Initializers.Keys.Order());
        Assert.Equal(3 + 7 + 3, load.Graph.Nodes.Count(n => n.Name.EndsWith(".even_odd", StringComparison.Ordinal)));
        Assert.All(load.Graph.Nodes.Where(n => n.Kind == OpKind.ChannelShuffle), n => Assert.Equal(OpKind.Split, Assert.Single(load.Graph.Consumers(n.Outputs[0])).Kind));
    }

    [Fact]
    public void Torchvision_mobilenet_v3_keeps_its_batchnorm_epsilon_and_timm_gets_pytorchs_default()
    {
        var tv = CheckpointLoader.Load(CheckpointFixtures.Read("tv_mobilenet_v3_small_035"), "mobilenetv3_small_035");
        var timm = CheckpointLoader.Load(CheckpointFixtures.Read("timm_mobilenetv3_small_035"), "mobilenetv3_small_035");

        Assert.All(tv.Graph.Nodes.Select(n => n.Op).OfType<BatchNormOp>(), bn => Assert.Equal(1e-3f, bn.Epsilon));
        Assert.All(timm.Graph.Nodes.Select(n => n.Op).OfType<BatchNormOp>(), bn => Assert.Equal(1e-5f, bn.Epsilon));
        Assert.Equal(WidthRounding.Torchvision, tv.Options.Rounding);
        Assert.Equal(WidthRounding.Timm, timm.Options.Rounding);
    }

    private static void AssertComputesPyTorch(string name, CheckpointLoad load)
    {
        var input = CheckpointFixtures.Input(name);
        var expected = CheckpointFixtures.Output(name);
        var graph = load.Graph.WithBatch(input.Shape[0]);

        var reference = ReferenceInterpreter.Run(graph, input);
        OnnxExportTests.AssertClose(expected, reference, RelativeTolerance, $"{name}: reference interpreter vs PyTorch");
        using var session = new InferenceSession(graph, new SessionOptions { GuardBuffers = true });
        OnnxExportTests.AssertClose(expected, session.Run(input), RelativeTolerance, $"{name}: compiled session vs PyTorch");
    }
}
