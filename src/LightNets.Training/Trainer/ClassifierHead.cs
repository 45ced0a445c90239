using LightNets.Graphs;

namespace LightNets.Training.Trainer;

/// <summary>
/// The layer that turns features into class scores: the last Gemm (or 1×1 Conv) before the logits, found by walking
/// back from the graph's output through the layers that only pass values on (Softmax, Flatten, Dropout). Fine-tuning replaces it when the class count changes and trains only it with a frozen backbone.
/// </summary>
public sealed record ClassifierHead(Node Node, string Weight, string? Bias, int Classes)
{
    /// <summary>The classifier of <paramref name="graph"/>.</summary>
    /// <exception cref="FineTuningException">The output is not computed by a Gemm or Conv with stored weights.</exception>
    public static ClassifierHead Find(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var value = graph.Output;
        while (graph.Producer(value) is { } node)
        {
            switch (node.Op)
            {
                case SoftmaxOp or FlattenOp or DropoutOp:
                    value = node.Inputs[0];
                    continue;
                case GemmOp or Conv2dOp when graph.IsInitializer(node.Inputs[1]):
                    var bias = node.Inputs.Count > 2 && graph.IsInitializer(node.Inputs[2]) ? node.Inputs[2] : null;
                    return new ClassifierHead(node, node.Inputs[1], bias, graph.ShapeOf(node.Inputs[1])[0]);
            }
            throw new FineTuningException(
                $"the output '{graph.Output}' of '{graph.Name}' comes from node '{node.Name}' ({node.Kind}), not from a classifier layer (Gemm or Conv) with stored weights; " +
                "fine-tuning needs a model that ends with one");
        }
        throw new FineTuningException($"the output '{graph.Output}' of '{graph.Name}' is not computed by any layer");
    }

    /// <summary>The parameter names that belong to the classifier.</summary>
    public IEnumerable<string> Parameters => Bias is null ? [Weight] : [Weight, Bias];
}

/// <summary>Weights for fine-tuning that do not fit the model or the data (a class count mismatch, a missing classifier).</summary>
public sealed class FineTuningException(string message) : LightNetsException(message);
