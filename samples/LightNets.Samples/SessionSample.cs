using LightNets.Models;
using LightNets.Runtime;

namespace LightNets.Samples;

public static class SessionSample
{
    public static int Run()
    {
        // A zoo model with batch 2. Its weights are random (seeded): the classes mean nothing until trained weights are
        // loaded, e.g. an imported torchvision export (OnnxImporter.Load) instead of ModelZoo.Build.
        var graph = ModelZoo.Build("mobilenetv2_100", new ModelOptions { Batch = 2 });
        using var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });

        // The input is N×3×224×224 floats in NCHW order, already normalized; the output is N×1000 logits.
        var input = new float[session.InputShape.ElementCount];
        var output = new float[session.OutputShape.ElementCount];
        var random = new Random(42);
        for (var i = 0; i < input.Length; i++) input[i] = random.NextSingle() * 2 - 1; // noise; a real caller copies pixels

        session.Run(input, output); // allocates nothing; safe to call from several threads at once

        var classes = session.OutputShape[1];
        for (var n = 0; n < session.OutputShape[0]; n++)
        {
            var logits = output[(n * classes)..((n + 1) * classes)];
            var top5 = Enumerable.Range(0, classes).OrderByDescending(c => logits[c]).Take(5);
            Console.WriteLine($"image {n}: " + string.Join(", ", top5.Select(c => $"class {c} ({logits[c]:G3})")));
        }
        Console.WriteLine($"{session.StepCount} steps on {session.Isa}, {session.ArenaBytes / 1024} KiB of working memory");
        return 0;
    }
}
