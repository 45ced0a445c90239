using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Runtime;

namespace LightNets.Tests.Onnx;

/// <summary>Every committed torchvision export imports and computes PyTorch's output.</summary>
public class OnnxImporterFixtureTests
{
    /// <summary>Max |diff| relative to max |reference|: float32 through ~50 layers in another summation order.</summary>
    private const double RelativeTolerance = 1e-4;

    [Theory]
    [MemberData(nameof(OnnxFixtures.All), MemberType = typeof(OnnxFixtures))]
    public void Fixture_matches_pytorch(string name)
    {
        var input = OnnxFixtures.Input(name);
        var expected = OnnxFixtures.Output(name);
        var graph = OnnxImporter.Load(OnnxFixtures.Model(name), new OnnxImportOptions { Batch = input.Shape[0] });

        var actual = ReferenceInterpreter.Run(graph, input);

        Assert.Equal(expected.Shape, actual.Shape);
        var maxRef = expected.Data.Max(MathF.Abs);
        var maxDiff = expected.Data.Zip(actual.Data, (e, a) => MathF.Abs(e - a)).Max();
        Assert.True(maxDiff / maxRef <= RelativeTolerance, $"{name}: max |diff| {maxDiff:G3} vs max |ref| {maxRef:G3}");
    }

    /// <summary>The compiled runtime on the same files: one and two threads, against the reference interpreter and PyTorch.</summary>
    [Theory]
    [MemberData(nameof(OnnxFixtures.All), MemberType = typeof(OnnxFixtures))]
    public void Compiled_session_matches_the_reference_and_pytorch(string name)
    {
        var input = OnnxFixtures.Input(name);
        var expected = OnnxFixtures.Output(name);
        var graph = OnnxImporter.Load(OnnxFixtures.Model(name), new OnnxImportOptions { Batch = input.Shape[0] });
        var reference = ReferenceInterpreter.Run(graph, input);
        foreach (var threads in new[] { 1, 2 })
        {
            using var session = new InferenceSession(graph, new SessionOptions { GuardBuffers = true, Threads = threads });
            var actual = session.Run(input);
            OnnxExportTests.AssertClose(reference, actual, RelativeTolerance, $"{name}: compiled ({threads} threads) vs reference");
            OnnxExportTests.AssertClose(expected, actual, RelativeTolerance, $"{name}: compiled ({threads} threads) vs PyTorch");
        }
    }

    [Theory]
    [MemberData(nameof(OnnxFixtures.All), MemberType = typeof(OnnxFixtures))]
    public void Fixture_metadata_names_the_file(string name)
    {
        var graph = OnnxImporter.Load(OnnxFixtures.Model(name));
        Assert.Equal(name + ".onnx", graph.Metadata["source"]);
        Assert.StartsWith("pytorch", graph.Metadata["producer"]);
        Assert.Equal(name[(name.IndexOf("_op", StringComparison.Ordinal) + 3)..].Split('_')[0], graph.Metadata["opset"]);
        Assert.Equal("logits", graph.Output);
        Assert.Equal("input", graph.Input.Name);
    }

    [Theory]
    [InlineData("shufflenet_v2_tiny_op11_static")]
    [InlineData("shufflenet_v2_tiny_op13_dyn")]
    [InlineData("shufflenet_v2_tiny_op17_dyn")]
    public void ShuffleNet_shape_subgraphs_fold_to_channel_shuffles(string name)
    {
        var graph = OnnxImporter.Load(OnnxFixtures.Model(name), new OnnxImportOptions { Batch = 2 });
        var kinds = graph.Nodes.GroupBy(n => n.Kind).ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(16, kinds[OpKind.ChannelShuffle]);
        Assert.Equal(56, kinds[OpKind.Conv2d]);
        Assert.Equal(37, kinds[OpKind.Relu]);
        Assert.Equal(26, kinds[OpKind.Slice]);
        Assert.Equal(16, kinds[OpKind.Concat]);
        Assert.Equal(1, kinds[OpKind.GlobalAveragePool]);
        Assert.Equal(1, kinds[OpKind.Flatten]);
        Assert.Equal(1, kinds[OpKind.Gemm]);
        Assert.Equal(1, kinds[OpKind.MaxPool]);
        Assert.Equal(155, graph.Nodes.Count);
        Assert.Equal(2, graph.Input.Shape[0]);
    }

    [Theory]
    [InlineData("mobilenet_v3_small_025_op13_dyn", 19, 9)]
    [InlineData("mobilenet_v3_small_025_op17_static_ext", 19, 9)]
    [InlineData("mobilenet_v3_large_020_op17_dyn", 21, 8)]
    public void MobileNetV3_has_hardswish_and_hardsigmoid_gates(string name, int hardSwish, int hardSigmoid)
    {
        var graph = OnnxImporter.Load(OnnxFixtures.Model(name));
        Assert.Equal(hardSwish, graph.Nodes.Count(n => n.Kind == OpKind.HardSwish));
        Assert.Equal(hardSigmoid, graph.Nodes.Count(n => n.Kind == OpKind.HardSigmoid));
        Assert.Equal(hardSigmoid, graph.Nodes.Count(n => n.Kind == OpKind.Mul));
    }
}
