using LightNets.Graphs;
using LightNets.Models;

namespace LightNets.Weights.Mapping;

/// <summary>
/// The zoo's ShuffleNets rewired as megvii-model/ShuffleNet-Series wires them: megvii's checkpoints load into this graph
/// as they are. Only channel shuffles move; every convolution, BatchNorm, name, count and cost stays the zoo's.
/// <list type="bullet">
/// <item>ShuffleNetV2: megvii does not shuffle after a unit's concat; a basic unit sends the even channels of its input
/// to the identity half and the odd ones to the branch (a shuffle with C/2 groups in front of the zoo's split in halves).</item>
/// <item>ShuffleNetV1: megvii shuffles after the depthwise conv and its BN rather than before them, with the inverse
/// permutation of the paper's g-group shuffle (its reshape to (C/g, g) and transpose: a shuffle with C/g groups).</item>
/// </list>
/// The weights cannot instead be permuted into the zoo's own wiring: the two are different functions wherever the
/// channel counts are not powers of two in the right places (ShuffleNetV2's Stage 2 in the paper layout from 1×, where
/// the identity half takes all 24 stem channels in one wiring and 12 in the other; ShuffleNetV1 with g = 4 or 8, where the
/// two shuffles deal the bottleneck's channels to the second group conv in different counts).
/// </summary>
internal static class MegviiWiring
{
    /// <summary>The graph <paramref name="zoo"/> (a zoo ShuffleNetV1 or V2) with megvii's channel shuffles.</summary>
    public static Graph Rewire(Graph zoo, ModelFamily family) => family switch
    {
        ModelFamily.ShuffleNetV2 => ShuffleNetV2(zoo),
        ModelFamily.ShuffleNetV1 => ShuffleNetV1(zoo),
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "megvii's wiring exists for the ShuffleNets only"),
    };

    private static Graph ShuffleNetV2(Graph zoo)
    {
        var nodes = new List<Node>();
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        string Read(string value) => renamed.GetValueOrDefault(value, value);
        foreach (var node in zoo.Nodes)
        {
            var inputs = node.Inputs.Select(Read).ToArray();
            if (node.Op is ChannelShuffleOp && zoo.Producer(node.Inputs[0])?.Op is ConcatOp)
            {
                renamed[node.Outputs[0]] = inputs[0]; // no shuffle after the concat: readers take the concat itself
                continue;
            }
            if (node.Op is SplitOp)
            {
                var evenOdd = $"{node.Name}.even_odd";
                nodes.Add(new Node(evenOdd, new ChannelShuffleOp(zoo.ShapeOf(node.Inputs[0]).C / 2), [inputs[0]], [evenOdd], node.Block));
                inputs[0] = evenOdd;
            }
            nodes.Add(new Node(node.Name, node.Op, inputs, node.Outputs, node.Block));
        }
        return zoo.With(nodes: nodes, outputs: zoo.Outputs.Select(Read).ToArray());
    }

    private static Graph ShuffleNetV1(Graph zoo)
    {
        var nodes = new List<Node>();
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        // The reader that gets megvii's shuffle in front of it: the first node after the moved shuffle that mixes channels.
        var moved = new Dictionary<string, (string Name, int Groups)>(StringComparer.Ordinal);
        string Read(string value) => renamed.GetValueOrDefault(value, value);
        foreach (var node in zoo.Nodes)
        {
            var inputs = node.Inputs.Select(Read).ToArray();
            if (node.Op is ChannelShuffleOp shuffle)
            {
                renamed[node.Outputs[0]] = inputs[0];
                var reader = FirstChannelMixer(zoo, node);
                moved[reader.Name] = (node.Name, zoo.ShapeOf(node.Inputs[0]).C / shuffle.Groups);
                continue;
            }
            if (moved.TryGetValue(node.Name, out var m))
            {
                nodes.Add(new Node(m.Name, new ChannelShuffleOp(m.Groups), [inputs[0]], [m.Name], node.Block));
                inputs[0] = m.Name;
            }
            nodes.Add(new Node(node.Name, node.Op, inputs, node.Outputs, node.Block));
        }
        return zoo.With(nodes: nodes, outputs: zoo.Outputs.Select(Read).ToArray());
    }

    /// <summary>Follows the only reader of each value from <paramref name="from"/> through per-channel nodes (depthwise conv, BatchNorm).</summary>
    private static Node FirstChannelMixer(Graph graph, Node from)
    {
        var node = from;
        while (true)
        {
            var readers = graph.Consumers(node.Outputs[0]);
            if (readers.Count != 1)
                throw new InvalidOperationException($"megvii wiring: '{node.Name}' has {readers.Count} readers where ShuffleNetV1's unit has one");
            node = readers[0];
            if (!IsPerChannel(graph, node)) return node;
        }
    }

    /// <summary>A depthwise conv or a BatchNorm: each output channel depends on its own input channel only.</summary>
    private static bool IsPerChannel(Graph graph, Node node) => node.Op switch
    {
        Conv2dOp conv => conv.Groups == graph.ShapeOf(node.Inputs[0]).C && graph.ShapeOf(node.Outputs[0]).C == conv.Groups,
        BatchNormOp => true,
        _ => false,
    };
}
