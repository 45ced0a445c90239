using LightNets.Cost;
using LightNets.Models;
using LightNets.Onnx;
using LightNets.Runtime;

namespace LightNets.Samples;

public static class OnnxSample
{
    public static int Run()
    {
        var graph = ModelZoo.Build("shufflenetv2_100");
        var path = Path.Combine(Path.GetTempPath(), $"lightnets-sample-{Environment.ProcessId}.onnx");
        try
        {
            // Standard ONNX that ONNX Runtime runs: channel shuffle as Reshape→Transpose→Reshape, split as Split.
            OnnxExporter.Save(graph, path, new OnnxExportOptions { Opset = 17 });
            Console.WriteLine($"wrote {path}: {new FileInfo(path).Length:N0} bytes");

            // Read back, the importer recognises the shuffle again; cost and outputs match the zoo model's.
            var imported = OnnxImporter.Load(path);
            Console.WriteLine($"MACs: zoo {CostReport.Analyze(graph).Macs:N0}, imported {CostReport.Analyze(imported).Macs:N0}");

            var input = new float[graph.Input.Shape.ElementCount];
            for (var i = 0; i < input.Length; i++) input[i] = MathF.Cos(i * 0.01f);
            var expected = Run(graph, input);
            var actual = Run(imported, input);
            var maxDiff = expected.Zip(actual, (e, a) => MathF.Abs(e - a)).Max();
            Console.WriteLine($"max |zoo − imported| over {expected.Length} logits: {maxDiff:G2}");
            return maxDiff <= 1e-4f ? 0 : 1;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static float[] Run(LightNets.Graphs.Graph graph, float[] input)
    {
        using var session = new InferenceSession(graph);
        var output = new float[session.OutputShape.ElementCount];
        session.Run(input, output);
        return output;
    }
}
