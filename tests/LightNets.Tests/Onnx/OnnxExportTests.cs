using Google.Protobuf;
using LightNets.Cli.Engines;
using LightNets.Graphs;
using LightNets.Graphs.Passes;
using LightNets.Models;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Tests.Models;

namespace LightNets.Tests.Onnx;

/// <summary>Every zoo configuration exports to ONNX that ONNX Runtime runs with the reference interpreter's results.</summary>
public class OnnxExportTests
{
    /// <summary>Max |ORT − reference| / max |reference|: float32 sums in different orders.</summary>
    private const double RelativeTolerance = 1e-4;

    /// <summary>Round trips run at a small resolution: the semantics, not the counts, are under test, and the reference interpreter is slow.</summary>
    private const int Resolution = 64;

    public static TheoryData<string, int, bool, bool> Configurations()
    {
        var data = new TheoryData<string, int, bool, bool>();
        var i = 0;
        foreach (var c in ModelZoo.Configurations)
        {
            // Cycle the opset and the two options so that every opset, BN kept/folded and static/dynamic batch is covered.
            var opset = OnnxExportOptions.MinOpset + i % (OnnxExportOptions.MaxOpset - OnnxExportOptions.MinOpset + 1);
            data.Add(ZooKeys.Of(c), opset, i % 2 == 0, i % 3 == 0);
            i++;
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Zoo_configuration_runs_in_onnxruntime(string key, int opset, bool foldBatchNorm, bool dynamicBatch)
    {
        var config = ZooKeys.Find(key);
        var graph = ModelZoo.Build(config.Entry.Family, config.Options.Merge(new ModelOptions
        {
            Resolution = Resolution, Init = new WeightInit(Seed: 7, RandomizeStatistics: true),
        }));
        var batch = dynamicBatch ? 2 : 1;
        var input = new Rng(11).NormalTensor(batch, graph.Input.Shape.C, Resolution, Resolution);
        var expected = ReferenceInterpreter.Run(graph.WithBatch(batch), input);

        var model = OnnxExporter.Export(graph.WithBatch(dynamicBatch ? 1 : batch), new OnnxExportOptions
        {
            Opset = opset, FoldBatchNorm = foldBatchNorm, DynamicBatch = dynamicBatch,
        });
        Assert.Equal(foldBatchNorm, model.Graph.Node.All(n => n.OpType != "BatchNormalization"));
        using var ort = new OnnxRuntimeEngine(model.ToByteArray());
        var actual = ort.Run(input);

        Assert.Equal(expected.Shape, actual.Shape);
        AssertClose(expected, actual, RelativeTolerance, key);
    }

    /// <summary>
    /// Each family's small-input variant with a 1-channel input, at Fashion-MNIST's own 28 px (its maps end on 4×4, not a
    /// multiple of the input), with a dynamic batch of 2: ONNX Runtime gives the reference interpreter's outputs.
    /// </summary>
    [Theory]
    [InlineData("mobilenetv1_050", 11)]
    [InlineData("shufflenetv1_g3_100", 13)]
    [InlineData("shufflenetv1_g8_050", 17)]
    [InlineData("mobilenetv2_050", 14)]
    [InlineData("shufflenetv2_050", 17)]
    [InlineData("mobilenetv3_large_035", 13)]
    [InlineData("mobilenetv3_small_050", 17)]
    public void Small_input_variant_with_one_channel_runs_in_onnxruntime(string name, int opset)
    {
        var graph = ModelZoo.Build(name, ModelZoo.FashionMnist with { Resolution = 28, Init = new WeightInit(Seed: 13, RandomizeStatistics: true) });
        Assert.Equal(new Shape(1, 1, 28, 28), graph.Input.Shape);
        var input = new Rng(17).NormalTensor(2, 1, 28, 28);
        var expected = ReferenceInterpreter.Run(graph.WithBatch(2), input);
        var model = OnnxExporter.Export(graph, new OnnxExportOptions { Opset = opset, DynamicBatch = true });
        Assert.Contains(model.MetadataProps, p => p.Key == "small-input");
        using var ort = new OnnxRuntimeEngine(model.ToByteArray());
        var actual = ort.Run(input);
        Assert.Equal(new Shape(2, 10), actual.Shape);
        AssertClose(expected, actual, RelativeTolerance, name);
    }

    [Theory]
    [InlineData(11, "Mul")]
    [InlineData(13, "Mul")]
    [InlineData(14, "HardSwish")]
    [InlineData(17, "HardSwish")]
    public void HardSwish_is_native_from_opset_14(int opset, string expectedOp)
    {
        var model = OnnxExporter.Export(ModelZoo.Build("mobilenetv3_small_100"), new OnnxExportOptions { Opset = opset });
        Assert.Contains(model.Graph.Node, n => n.OpType == expectedOp);
        if (opset < 14) Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "HardSwish");
        Assert.Equal(opset, model.OpsetImport.Single().Version);
    }

    [Fact]
    public void Channel_shuffle_and_split_use_standard_ops_only()
    {
        var model = OnnxExporter.Export(ModelZoo.Build("shufflenetv2_050"), new OnnxExportOptions { Opset = 13, DynamicBatch = true });
        var ops = model.Graph.Node.Select(n => n.OpType).ToHashSet();
        Assert.Superset(new HashSet<string> { "Reshape", "Transpose", "Split", "Concat", "Conv", "MaxPool", "Gemm" }, ops);
        Assert.Equal("batch", model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
    }

    [Fact]
    public void FoldBatchNorm_preserves_outputs()
    {
        var graph = ModelZoo.Build("mobilenetv3_large_100", new ModelOptions { Resolution = 64, Init = new WeightInit(3, true) });
        var folded = FoldBatchNorm.Apply(graph);
        Assert.DoesNotContain(folded.Nodes, n => n.Op is BatchNormOp);
        var x = new Rng(5).NormalTensor(1, 3, 64, 64);
        AssertClose(ReferenceInterpreter.Run(graph, x), ReferenceInterpreter.Run(folded, x), 1e-5, "folded");
    }

    [Fact]
    public void Options_out_of_range_are_rejected()
    {
        var g = ModelZoo.Build("mobilenetv2_050");
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxExporter.Export(g, new OnnxExportOptions { Opset = 10 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxExporter.Export(g, new OnnxExportOptions { Opset = 18 }));
    }

    internal static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        double maxRef = 0, maxDiff = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            maxRef = Math.Max(maxRef, Math.Abs(expected.Data[i]));
            maxDiff = Math.Max(maxDiff, Math.Abs(expected.Data[i] - actual.Data[i]));
        }
        Assert.True(maxRef > 0, $"{what}: the reference output is all zeros, which proves nothing");
        Assert.True(maxDiff <= tolerance * maxRef, $"{what}: max |diff| {maxDiff:g4} > {tolerance:g} × max |ref| {maxRef:g4}");
    }
}
