using LightNets.Graphs;
using LightNets.Models;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;
using LightNets.Tests.Onnx;

namespace LightNets.Tests.Runtime;

/// <summary>The compiled plan (fusions, views, NHWC kernels) against the reference interpreter on every zoo configuration.</summary>
public class InferenceSessionTests
{
    /// <summary>Max |fast − reference| / max |reference|: float32 in other summation orders, with FMA, through ~50 layers.</summary>
    private const double RelativeTolerance = 1e-4;

    public static TheoryData<string, int> Configurations()
    {
        var data = new TheoryData<string, int>();
        var i = 0;
        foreach (var c in ModelZoo.Configurations)
            data.Add(OnnxExportTests.ZooKey(c), i++ % 2 == 0 ? 1 : 2);
        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Zoo_configuration_matches_the_reference(string key, int threads)
    {
        var config = ModelZoo.Configurations.Single(c => OnnxExportTests.ZooKey(c) == key);
        var graph = ModelZoo.Build(config.Entry.Family, config.Options.Merge(new ModelOptions
        {
            Resolution = 64, Init = new WeightInit(Seed: 21, RandomizeStatistics: true),
        }));
        var x = new Rng(3).NormalTensor(1, 3, 64, 64);
        using var session = new InferenceSession(graph, new SessionOptions { Threads = threads });
        OnnxExportTests.AssertClose(ReferenceInterpreter.Run(graph, x), session.Run(x), RelativeTolerance, $"{key} ({threads} threads, {session.Isa})");
    }
}
