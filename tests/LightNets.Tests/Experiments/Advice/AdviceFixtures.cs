using LightNets.Graphs;
using LightNets.Onnx;

namespace LightNets.Tests.Experiments.Advice;

/// <summary>The committed ONNX exports of tests/fixtures/advise (made by make_advise_fixtures.py with python3-torch).</summary>
internal static class AdviceFixtures
{
    public static string Directory { get; } = Find();

    public static string ResNet => Path.Combine(Directory, "resnet_tiny.onnx");
    public static string Inception => Path.Combine(Directory, "inception_tiny.onnx");

    public static Graph Load(string path) => OnnxImporter.Load(path, new OnnxImportOptions { Batch = 1 });

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "advise");
            if (System.IO.Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/advise not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>Tests that time networks run alone, after the parallel ones, so that other tests' load does not distort them.</summary>
[CollectionDefinition("Advice timing", DisableParallelization = true)]
public sealed class AdviceTimingCollection;
