using LightNets.Graphs;

namespace LightNets.Quantization;

/// <summary>
/// Where a float graph gets its activation quantizers: the graph input, and the output of every node that computes
/// new values, after the activation that follows a convolution, FC, Add or BatchNorm (an int8 kernel applies it before
/// rounding, so the value between them never exists in 8 bits). Views (Flatten, shuffle, slice, split, Dropout) keep
/// their input's grid; graph outputs (logits, probabilities) stay float. A convolution whose only reader is a residual
/// Add of an already quantized tensor gets no quantizer of its own either: the int8 kernel adds the residual in its
/// epilogue, so the sum is rounded once (MobileNetV2's projections, ShuffleNetV1's units).
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
                if (consumers.Count == 1 && consumers[0].Op is AddOp && node.Op is Conv2dOp && ResidualOf(graph, consumers[0], value) is { } other
                    && points.Contains(Source(graph, other)))
                    continue;
                points.Add(value);
            }
        }
        return points;
    }

    /// <summary>The other operand of a two-input Add that reads <paramref name="value"/> once, computed before it.</summary>
    private static string? ResidualOf(Graph graph, Node add, string value) =>
        add.Inputs.Count == 2 && add.Inputs.Count(i => i == value) == 1 && graph.ShapeOf(add.Inputs[0]) == graph.ShapeOf(add.Inputs[1])
            ? add.Inputs[0] == value ? add.Inputs[1] : add.Inputs[0]
            : null;

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
