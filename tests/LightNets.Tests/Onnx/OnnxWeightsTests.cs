using Google.Protobuf;
using LightNets.Graphs;
using LightNets.Graphs.Passes;
using LightNets.Models;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Tests.Onnx;

/// <summary>--weights: trained weights from an ONNX file into a zoo graph, by name and by position, with clear mismatches.</summary>
public sealed class OnnxWeightsTests
{
    private static Graph Zoo(string name, ulong seed, ModelOptions? options = null) =>
        ModelZoo.Build(name, (options ?? new ModelOptions()) with
        {
            Resolution = options?.Resolution ?? 48,
            Init = new WeightInit(seed, RandomizeStatistics: true),
        });

    private static string Export(Graph graph, bool fold)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lightnets-weights-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, OnnxExporter.Export(graph, new OnnxExportOptions { Opset = 17, FoldBatchNorm = fold }).ToByteArray());
        return path;
    }

    [Fact]
    public void Our_own_export_loads_by_name()
    {
        var trained = Zoo("mobilenetv3_small_050", seed: 1);
        var path = Export(trained, fold: false);
        try
        {
            var loaded = OnnxWeights.LoadInto(Zoo("mobilenetv3_small_050", seed: 2), path);
            Assert.Equal(Path.GetFileName(path), loaded.Metadata["weights"]);
            var x = new Rng(3).NormalTensor(1, 3, 48, 48);
            OnnxExportTests.AssertClose(ReferenceInterpreter.Run(trained, x), ReferenceInterpreter.Run(loaded, x), 1e-6, "by name");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_folded_export_with_other_names_loads_by_position()
    {
        var trained = Zoo("shufflenetv2_050", seed: 1);
        var folded = FoldBatchNorm.Apply(trained);
        // Rename every initializer, as torch.onnx does ("onnx::Conv_123"), so that only positions can match.
        var renamed = folded.Initializers.Keys.Select((k, i) => (k, i)).ToDictionary(p => p.k, p => $"onnx::Conv_{p.i}");
        var nodes = folded.Nodes.Select(n => n.WithInputs(n.Inputs.Select(v => renamed.GetValueOrDefault(v, v)).ToArray()));
        var source = folded.With(nodes, folded.Initializers.ToDictionary(kv => renamed[kv.Key], kv => kv.Value));

        var loaded = OnnxWeights.LoadInto(Zoo("shufflenetv2_050", seed: 2), source, "renamed.onnx");
        var x = new Rng(4).NormalTensor(1, 3, 48, 48);
        OnnxExportTests.AssertClose(ReferenceInterpreter.Run(trained, x), ReferenceInterpreter.Run(loaded, x), 1e-5, "by position");
    }

    [Fact]
    public void A_torchvision_export_loads_into_the_matching_zoo_model_by_position()
    {
        const string fixture = "mobilenet_v2_025_op17_dyn";
        var zoo = Zoo("mobilenetv2_100", seed: 7, new ModelOptions { Width = 0.25, Classes = 10 }).WithBatch(2);
        var loaded = OnnxWeights.LoadInto(zoo, OnnxFixtures.Model(fixture));
        OnnxExportTests.AssertClose(OnnxFixtures.Output(fixture), ReferenceInterpreter.Run(loaded, OnnxFixtures.Input(fixture)), 1e-4, fixture);
    }

    [Fact]
    public void A_different_width_names_the_first_tensor_that_differs()
    {
        var zoo = Zoo("mobilenetv2_100", seed: 7, new ModelOptions { Width = 0.5, Classes = 10 });
        var e = Assert.Throws<OnnxWeightsException>(() => OnnxWeights.LoadInto(zoo, OnnxFixtures.Model("mobilenet_v2_025_op11_static")));
        Assert.Contains("layer #1 weight differs", e.Message);
        Assert.Contains("16×3×3×3", e.Message.Replace("x", "×"));
        Assert.Contains("mobilenet_v2_025_op11_static.onnx", e.Message);
    }

    [Fact]
    public void Another_family_is_rejected_with_the_layer_counts_or_the_first_shape()
    {
        var zoo = Zoo("mobilenetv2_100", seed: 7, new ModelOptions { Width = 0.25, Classes = 10 });
        var e = Assert.Throws<OnnxWeightsException>(() => OnnxWeights.LoadInto(zoo, OnnxFixtures.Model("mobilenet_v3_small_025_op13_dyn")));
        Assert.Contains("weights by position", e.Message);
    }

    [Fact]
    public void A_name_match_with_another_shape_is_rejected_by_name()
    {
        var path = Export(Zoo("mobilenetv1_025", seed: 1, new ModelOptions { Classes = 10 }), fold: false);
        try
        {
            var e = Assert.Throws<OnnxWeightsException>(() => OnnxWeights.LoadInto(Zoo("mobilenetv1_025", seed: 1), path));
            Assert.Matches("initializer '.*' is 1000.* in the model but 10.* in ", e.Message);
        }
        finally { File.Delete(path); }
    }
}
