using LightNets.Cost;
using LightNets.Graphs;
using LightNets.Models;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Tests.Models;

namespace LightNets.Tests.Onnx;

/// <summary>zoo → ONNX → import → reference interpreter gives the zoo's outputs and the zoo's counts, for every configuration.</summary>
public class OnnxRoundTripTests
{
    private const double RelativeTolerance = 1e-4;
    private const int Resolution = 64;

    public static TheoryData<string, int, bool, bool> Configurations() => OnnxExportTests.Configurations();

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Zoo_configuration_survives_export_and_import(string key, int opset, bool foldBatchNorm, bool dynamicBatch)
    {
        var config = ZooKeys.Find(key);
        var graph = ModelZoo.Build(config.Entry.Family, config.Options.Merge(new ModelOptions
        {
            Resolution = Resolution, Init = new WeightInit(Seed: 5, RandomizeStatistics: true),
        }));
        var model = OnnxExporter.Export(graph, new OnnxExportOptions { Opset = opset, FoldBatchNorm = foldBatchNorm, DynamicBatch = dynamicBatch });
        var batch = dynamicBatch ? 3 : 1;
        var imported = OnnxImporter.Import(model, baseDirectory: null, new OnnxImportOptions { Batch = batch });

        var x = new Rng(9).NormalTensor(batch, graph.Input.Shape.C, Resolution, Resolution);
        OnnxExportTests.AssertClose(ReferenceInterpreter.Run(graph.WithBatch(batch), x), ReferenceInterpreter.Run(imported, x), RelativeTolerance, key);

        var zoo = CostReport.Analyze(graph);
        var back = CostReport.Analyze(imported.WithBatch(1));
        Assert.Equal(zoo.Macs, back.Macs);
        Assert.Equal(foldBatchNorm ? zoo.ParamsFolded : zoo.Params, back.Params);
        Assert.Equal(zoo.ParamsFolded, back.ParamsFolded);
        Assert.Equal(zoo.MemoryAccess, back.MemoryAccess);
    }
}
