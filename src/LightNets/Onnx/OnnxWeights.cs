using LightNets.Graphs;
using LightNets.Graphs.Passes;
using LightNets.Tensors;

namespace LightNets.Onnx;

/// <summary>
/// Puts trained weights from an ONNX file into a zoo graph (which is built with random weights), checking names and
/// shapes. Two ways to match, tried in this order:
/// <list type="number">
/// <item><b>By name</b>, when the file uses the graph's own initializer names (a LightNets export): every
/// initializer of the graph must be in the file with the same shape.</item>
/// <item><b>By position</b>, when no name matches (a torchvision or timm export, with PyTorch's names and BatchNorm
/// already folded into the convolutions): both graphs are folded with <see cref="FoldBatchNorm"/>, and the weights
/// and biases of their Conv and Gemm nodes, in graph order, are paired one by one; every shape must agree.</item>
/// </list>
/// Any difference is an <see cref="OnnxWeightsException"/> naming the first tensor that differs.
/// </summary>
public static class OnnxWeights
{
    /// <summary>Loads the initializers of the ONNX model at <paramref name="path"/> into <paramref name="graph"/>.</summary>
    /// <returns>A graph with the same structure (BatchNorm folded when matched by position) and the file's weights.</returns>
    public static Graph LoadInto(Graph graph, string path)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var source = OnnxImporter.Load(path, new OnnxImportOptions { Batch = graph.Inputs.Count == 1 ? graph.Input.Shape.N : null });
        return LoadInto(graph, source, Path.GetFileName(path));
    }

    /// <summary>Copies the weights of <paramref name="source"/> (an imported ONNX graph) into <paramref name="graph"/>.</summary>
    /// <param name="graph">The zoo graph whose initializers are replaced.</param>
    /// <param name="source">The graph that holds the trained weights.</param>
    /// <param name="sourceName">Names the source in error messages (usually its file name).</param>
    public static Graph LoadInto(Graph graph, Graph source, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(source);
        var loaded = graph.Initializers.Keys.Any(source.Initializers.ContainsKey)
            ? ByName(graph, source, sourceName)
            : ByPosition(graph, source, sourceName);
        var metadata = new Dictionary<string, string>(loaded.Metadata, StringComparer.Ordinal) { ["weights"] = sourceName };
        return loaded.With(metadata: metadata);
    }

    private static Graph ByName(Graph graph, Graph source, string sourceName)
    {
        var replaced = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in graph.Initializers)
        {
            if (!source.Initializers.TryGetValue(name, out var other))
                throw new OnnxWeightsException(
                    $"{sourceName} has no initializer '{name}' ({tensor.Shape}) that the model needs; {Matched(graph, source)} of the model's {graph.Initializers.Count} names are in the file");
            if (other.Shape != tensor.Shape)
                throw new OnnxWeightsException($"initializer '{name}' is {tensor.Shape} in the model but {other.Shape} in {sourceName}");
            replaced[name] = other;
        }
        return graph.With(initializers: replaced);
    }

    private static int Matched(Graph graph, Graph source) => graph.Initializers.Keys.Count(source.Initializers.ContainsKey);

    private static Graph ByPosition(Graph graph, Graph source, string sourceName)
    {
        var target = FoldBatchNorm.Apply(graph);
        var from = FoldBatchNorm.Apply(source);
        var targetLayers = Parametric(target);
        var fromLayers = Parametric(from);

        var covered = targetLayers.SelectMany(n => n.Inputs.Skip(1)).ToHashSet(StringComparer.Ordinal);
        var other = target.Initializers.Keys.FirstOrDefault(k => !covered.Contains(k));
        if (other is not null)
            throw new OnnxWeightsException(
                $"matching weights by position needs every initializer on a Conv or Gemm, but the model's '{other}' is not (and no initializer name of {sourceName} matches the model's)");

        var replaced = new Dictionary<string, Tensor>(target.Initializers, StringComparer.Ordinal);
        for (var i = 0; i < Math.Min(targetLayers.Length, fromLayers.Length); i++)
        {
            var (t, f) = (targetLayers[i], fromLayers[i]);
            for (var input = 1; input < 3; input++)
            {
                var role = input == 1 ? "weight" : "bias";
                var hasT = t.Inputs.Count > input;
                var hasF = f.Inputs.Count > input;
                if (hasT != hasF)
                    throw new OnnxWeightsException(
                        $"weights by position: layer #{i + 1} ('{t.Name}' in the model, '{f.Name}' in {sourceName}) has a {role} in {(hasT ? "the model" : sourceName)} only");
                if (!hasT) continue;
                var (tName, fName) = (t.Inputs[input], f.Inputs[input]);
                var tShape = target.ShapeOf(tName);
                var fTensor = from.Initializers.TryGetValue(fName, out var x)
                    ? x
                    : throw new OnnxWeightsException($"weights by position: the {role} of '{f.Name}' in {sourceName} is computed, not stored");
                if (t.Kind != f.Kind || tShape != fTensor.Shape)
                    throw new OnnxWeightsException(
                        $"weights by position: layer #{i + 1} {role} differs — the model's '{tName}' ({t.Kind}) is {tShape} but {sourceName}'s '{fName}' ({f.Kind}) is {fTensor.Shape}");
                replaced[tName] = fTensor;
            }
        }
        if (targetLayers.Length != fromLayers.Length)
        {
            var (more, extra) = targetLayers.Length > fromLayers.Length
                ? ("the model", targetLayers[fromLayers.Length].Name)
                : (sourceName, fromLayers[targetLayers.Length].Name);
            throw new OnnxWeightsException(
                $"weights by position: the model has {targetLayers.Length} Conv/Gemm layers but {sourceName} has {fromLayers.Length}; the first one only {more} has is '{extra}'");
        }
        return target.With(initializers: replaced);
    }

    /// <summary>The nodes that carry weights, in graph order.</summary>
    private static Node[] Parametric(Graph graph) =>
        graph.Nodes.Where(n => n.Op is Conv2dOp or GemmOp && n.Inputs.Skip(1).Any(graph.IsInitializer)).ToArray();
}

/// <summary>Weights that do not fit the model: a missing name, a different shape, or a different number of layers.</summary>
public sealed class OnnxWeightsException(string message) : LightNetsException(message);
