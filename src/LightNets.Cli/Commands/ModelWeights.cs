using System.CommandLine;
using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Weights;
using LightNets.Weights.Mapping;

namespace LightNets.Cli.Commands;

/// <summary>
/// <c>--weights FILE</c> of classify, run, bench and evaluate: trained weights for a zoo model, from a PyTorch checkpoint
/// (<c>.pth</c>, <c>.pth.tar</c>) or a safetensors file of torchvision, timm or megvii, or from an ONNX file. The format
/// is told by the file's first bytes (<see cref="WeightFiles.Detect"/>), not its extension.
/// </summary>
internal static class ModelWeights
{
    public static Option<FileInfo?> Create() => new("--weights")
    {
        Description = "Trained weights for a zoo model: a torchvision, timm or megvii checkpoint (.pth, .pth.tar, .safetensors; names and shapes " +
                      "checked; MODEL may then be a family such as mobilenetv2 or mobilenetv3_large, the width is the file's; `lightnets weights inspect FILE` " +
                      "tells what it fits) or an ONNX file (matched by name, else by Conv/Gemm position).",
    };

    /// <summary>
    /// The command's model: a zoo model (random weights), an ONNX file, or a zoo model with the weights of <paramref name="weights"/>,
    /// for <paramref name="batch"/> images (null: a zoo model's one image, an ONNX file's own batch).
    /// </summary>
    /// <param name="model">The command's MODEL and knobs.</param>
    /// <param name="p">The parsed command line.</param>
    /// <param name="weights">The --weights file, or null.</param>
    /// <param name="stderr">Where notes and warnings go.</param>
    /// <param name="batch">The batch of the graph (null: its own).</param>
    /// <param name="noteRandom">Say on stderr that a zoo model without --weights has random weights (classify, evaluate: its answers would mislead).</param>
    public static Graph Load(ModelSelection model, ParseResult p, FileInfo? weights, TextWriter stderr, int? batch = 1, bool noteRandom = false)
    {
        var name = p.GetValue(model.Model)!;
        if (weights is null)
        {
            var graph = ModelSource.Load(model, p, batch);
            if (noteRandom && !ModelSource.IsOnnxFile(name))
                stderr.WriteLine($"lightnets: note: {name} has random weights (seed {p.GetValue(model.Seed) ?? 0}); pass --weights FILE (.pth, .safetensors or .onnx) for trained ones");
            return graph;
        }
        if (ModelSource.IsOnnxFile(name))
            throw new CliUsageException("--weights loads trained weights into a zoo model; an ONNX file already holds its own");
        if (!weights.Exists) throw new FileNotFoundException($"no such weights file: {weights.FullName}");
        if (WeightFiles.Detect(weights.FullName) != WeightFormat.Onnx) return Checkpoint(model, p, weights, stderr, batch);

        var zoo = ModelSource.Load(model, p, batch);
        try
        {
            return OnnxWeights.LoadInto(zoo, weights.FullName);
        }
        catch (OnnxWeightsException e)
        {
            throw new OnnxWeightsException($"--weights {weights.Name} does not fit {name}: {e.Message}");
        }
    }

    /// <summary>A checkpoint through <see cref="CheckpointLoader"/>: a note says what it was, a warning when the classifier stays untrained.</summary>
    private static Graph Checkpoint(ModelSelection model, ParseResult p, FileInfo weights, TextWriter stderr, int? batch)
    {
        var load = CheckpointLoader.Load(weights.FullName, p.GetValue(model.Model)!, model.Options(p));
        stderr.WriteLine($"lightnets: note: {weights.Name}: {load.Summary}");
        if (load.Warning is { } warning) stderr.WriteLine($"lightnets: warning: {warning}");
        return load.Graph.WithBatch(batch ?? load.Graph.Input.Shape.N);
    }
}
