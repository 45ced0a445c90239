// The README's C# examples, one per file: dotnet run -c Release --project samples/LightNets.Samples -- NAME [ARGS]
using LightNets;
using LightNets.Samples;

const string usage = """
    usage: LightNets.Samples NAME [ARGS]
      cost                               build zoo models from their papers' tables and cost them
      session                            compile a model and run a batch of two images from a float array
      features                           the pooled features beside the logits, through a reusable binding
      onnx                               export a zoo model to ONNX, import it back, check both agree
      classify MODEL.onnx IMAGE... [--labels FILE]   classify image files with an ONNX classifier
      train                              train a small-input MobileNetV3 on part of Fashion-MNIST and test it
    """;

try
{
    return args.FirstOrDefault() switch
    {
        "cost" => CostSample.Run(),
        "session" => SessionSample.Run(),
        "features" => FeaturesSample.Run(),
        "onnx" => OnnxSample.Run(),
        "classify" => ClassifySample.Run(args[1..]),
        "train" => TrainSample.Run(),
        _ => Usage(),
    };
}
catch (Exception e) when (e is LightNetsException or ArgumentException or IOException or UnauthorizedAccessException)
{
    // Bad input (a missing or malformed file, a wrong option) is one line, not a stack trace.
    Console.Error.WriteLine($"samples: error: {e.Message}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine(usage);
    return 2;
}
