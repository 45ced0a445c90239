using LightNets.Graphs;

namespace LightNets.Quantization;

/// <summary>
/// Where a float graph gets its activation quantizers: the graph input, and the output of every node that computes
/// new values, after the activation that follows a convolution, FC, Add or BatchNorm (an int8 kernel applies it before
/// rounding, so the value between them never exists in 8 bits). Views (Flatten, shuffle, slice, split, Dropout) keep
/// their input's grid; graph outputs (logits, probabilities) stay float.
/// </summary>
public static class QuantizationPoints
{
    public static IReadOnlyList<string> Find(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var points = new List<string>(graph.Inputs.Select(i => i.Name));
        foreach (var node in graph.Nodes)
        {
            if (IsView(node.Op) || node.Op is SoftmaxOp) continue;
            foreach (var value in node.Outputs)
            {
                if (graph.Outputs.Contains(value)) continue;
                var consumers = graph.Consumers(value);
                if (consumers.Count == 1 && IsActivation(consumers[0].Op) && node.Op is Conv2dOp or GemmOp or AddOp or BatchNormOp) continue;
                points.Add(value);
            }
        }
        return points;
    }

    /// <summary>Ops that move or relabel values without computing new ones: an int8 value passes through on its grid.</summary>
    public static bool IsView(Op op) => op is FlattenOp or ChannelShuffleOp or SliceOp or SplitOp or DropoutOp;

    public static bool IsActivation(Op op) => op is ReluOp or ClipOp or HardSwishOp or HardSigmoidOp or SigmoidOp;

    /// <summary>The value whose grid <paramref name="value"/> carries: itself, or what the views in front of it read.</summary>
    public static string Source(Graph graph, string value)
    {
        while (graph.Producer(value) is { } p && IsView(p.Op)) value = p.Inputs[0];
        return value;
    }
}
