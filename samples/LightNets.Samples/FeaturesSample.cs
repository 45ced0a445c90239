using LightNets.Models;
using LightNets.Runtime;

namespace LightNets.Samples;

public static class FeaturesSample
{
    public static int Run()
    {
        // Transfer learning needs the features beside the logits: make the pooled features a second output.
        var graph = ModelZoo.Build("mobilenetv3_small_100");
        var features = graph.Nodes.Single(n => n.Name == "classifier.flatten").Outputs[0];
        graph = graph.With(outputs: [.. graph.Outputs, features]);

        using var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        foreach (var output in session.Outputs) Console.WriteLine($"output '{output.Name}' {output.Shape}");

        // A binding is made once (it allocates); each Run through it allocates nothing.
        var image = new float[session.InputShape.ElementCount];
        var logits = new float[session.OutputShapeOf(graph.Outputs[0]).ElementCount];
        var embedding = new float[session.OutputShapeOf(features).ElementCount];
        var binding = session.CreateBinding();
        binding.BindInput(0, image);
        binding.BindOutput(graph.Outputs[0], logits);
        binding.BindOutput(features, embedding);

        var random = new Random(7);
        for (var i = 0; i < image.Length; i++) image[i] = random.NextSingle() * 2 - 1; // a real caller copies pixels
        session.Run(binding);

        var norm = Math.Sqrt(embedding.Sum(v => (double)v * v));
        Console.WriteLine($"{embedding.Length} features, L2 norm {norm:G4}; {logits.Length} logits");
        return 0;
    }
}
