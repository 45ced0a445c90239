using LightNets.Imaging;
using LightNets.Onnx;

namespace LightNets.Samples;

public static class ClassifySample
{
    public static int Run(string[] args)
    {
        // classify MODEL.onnx IMAGE... [--labels FILE]; a 1000-class model gets ImageNet's class names by default.
        var at = Array.IndexOf(args, "--labels");
        if (at >= 0 && at + 1 >= args.Length) throw new ArgumentException("--labels needs a file");
        var rest = at < 0 ? args : [.. args[..at], .. args[(at + 2)..]];
        if (rest.Length < 2) throw new ArgumentException("usage: classify MODEL.onnx IMAGE... [--labels FILE]");

        var options = new ClassifierOptions { Labels = at < 0 ? null : Labels.Load(args[at + 1]) };
        using var classifier = new ImageClassifier(OnnxImporter.Load(rest[0]), options);

        // Decoded with SkiaSharp, preprocessed as torchvision does, run in batches; a bad file only fails itself.
        var failed = 0;
        foreach (var result in classifier.Classify(rest[1..], top: 5))
        {
            if (!result.Succeeded) { Console.Error.WriteLine($"{result.Path}: {result.Error}"); failed++; continue; }
            Console.WriteLine(result.Path);
            foreach (var p in result.Top) Console.WriteLine($"  {p.Label ?? p.Index.ToString()} {p.Probability:P1}");
        }
        return failed == 0 ? 0 : 1;
    }
}
