using LightNets.Graphs;

namespace LightNets.Cost;

/// <summary>
/// The cost of a whole graph: one <see cref="NodeCost"/> per node plus the totals under each published convention
/// (see Conventions.md). Built by <see cref="CostReport.Analyze"/>; reads only the graph, never the runtime.
/// </summary>
public sealed class CostReport
{
    private CostReport(Graph graph, MemoryAccessMode mode, IReadOnlyList<NodeCost> nodes)
    {
        Graph = graph;
        Mode = mode;
        Nodes = nodes;

        Params = nodes.Sum(n => n.Params);
        BatchNormParams = nodes.Sum(n => n.BatchNormParams);
        Macs = nodes.Sum(n => n.Macs);
        MemoryAccess = nodes.Sum(n => n.MemoryAccess);
        Classifier = FindClassifier(graph, nodes);
        ParamsFolded = Params - BatchNormParams + FoldedBatchNormBiases(graph);
        KerasParams = Params + nodes.Sum(n => n.BatchNormStatistics);
        Blocks = GroupBlocks(nodes);
    }

    public Graph Graph { get; }
    public MemoryAccessMode Mode { get; }
    public IReadOnlyList<NodeCost> Nodes { get; }

    /// <summary>Batch size of the analyzed graph; every count is for the whole batch.</summary>
    public int Batch => Graph.Inputs.Count > 0 ? Graph.Inputs[0].Shape.N : 1;

    /// <summary>Params, convention C1 (torchvision's <c>num_params</c>): conv/FC weights and biases + BN γ and β.</summary>
    public long Params { get; }

    /// <summary>The BN γ and β included in <see cref="Params"/>.</summary>
    public long BatchNormParams { get; }

    /// <summary>Params without BN γ/β (TF-slim's MobileNetV2 README convention).</summary>
    public long ParamsNoBatchNorm => Params - BatchNormParams;

    /// <summary>Params after folding every BN into the preceding conv: no-BN + one bias per BN channel the conv lacked.</summary>
    public long ParamsFolded { get; }

    /// <summary>C1 + BN running mean and variance: Keras's "Total params".</summary>
    public long KerasParams { get; }

    /// <summary>Multiply-accumulates of conv and FC layers (SE's FCs included).</summary>
    public long Macs { get; }

    /// <summary>FLOPs for tools that count a multiply and an add separately: 2 × MACs.</summary>
    public long Flops2x => 2 * Macs;

    /// <summary>
    /// The final conv/FC layer that produces the logits, if any: found from the first N×classes output (a model may
    /// return features beside its logits, in either order), else from the first output.
    /// </summary>
    public NodeCost? Classifier { get; }

    public long MacsWithoutClassifier => Macs - (Classifier?.Macs ?? 0);

    /// <summary>Memory access cost in elements (multiply by 4 for fp32 bytes), in this report's <see cref="Mode"/>.</summary>
    public long MemoryAccess { get; }

    /// <summary>Per paper-level unit (node <see cref="Node.Block"/>) in order of appearance; nodes without a block form their own rows.</summary>
    public IReadOnlyList<BlockCost> Blocks { get; }

    public static CostReport Analyze(Graph graph, MemoryAccessMode mode = MemoryAccessMode.ConvAndFc) =>
        new(graph, mode, graph.Nodes.Select(n => CostRules.Cost(graph, n, mode)).ToArray());

    /// <summary>Element-wise and memory counts of docs/ARCH-SPEC.md §6.3 (the analyzer's "all ops" view).</summary>
    public ElementwiseCounts Elementwise() => ElementwiseCounts.Of(Graph);

    private static NodeCost? FindClassifier(Graph graph, IReadOnlyList<NodeCost> nodes)
    {
        // Walk back from the scores through ops that do no arithmetic on features until a MAC-bearing node.
        var byNode = nodes.ToDictionary(n => n.Node);
        var value = graph.Outputs.FirstOrDefault(o => graph.ShapeOf(o).Rank == 2) ?? graph.Outputs.FirstOrDefault();
        while (value is not null && graph.Producer(value) is { } producer)
        {
            var cost = byNode[producer];
            if (cost.HasMacs) return cost;
            if (producer.Op is not (FlattenOp or DropoutOp or SoftmaxOp or GlobalAveragePoolOp)) return null;
            value = producer.Inputs[0];
        }
        return null;
    }

    private static long FoldedBatchNormBiases(Graph graph)
    {
        long extra = 0;
        foreach (var node in graph.Nodes.Where(n => n.Op is BatchNormOp))
        {
            var c = graph.ShapeOf(node.Inputs[0]).C;
            var producer = graph.Producer(node.Inputs[0]);
            var foldable = producer?.Op is Conv2dOp or GemmOp && graph.Consumers(node.Inputs[0]).Count == 1;
            if (!foldable) extra += 2L * c;           // stays a per-channel scale and shift
            else if (producer!.Inputs.Count < 3) extra += c; // the conv gains a bias
        }
        return extra;
    }

    private static IReadOnlyList<BlockCost> GroupBlocks(IReadOnlyList<NodeCost> nodes)
    {
        var blocks = new List<BlockCost>();
        foreach (var n in nodes)
        {
            var key = n.Node.Block.Length > 0 ? n.Node.Block : n.Node.Name;
            var last = blocks.Count > 0 ? blocks[^1] : null;
            if (last is not null && last.Name == key && n.Node.Block.Length > 0)
                blocks[^1] = last.Add(n);
            else
                blocks.Add(BlockCost.Start(key, n));
        }
        return blocks;
    }
}

/// <summary>Totals of one paper-level unit (a MobileNetV2 bottleneck, a ShuffleNet unit, ...).</summary>
public sealed record BlockCost(string Name, Tensors.Shape Input, Tensors.Shape Output, long Params, long Macs, long MemoryAccess, int NodeCount)
{
    internal static BlockCost Start(string name, NodeCost n) =>
        new(name, n.Input, n.Output, n.Params, n.Macs, n.MemoryAccess, 1);

    internal BlockCost Add(NodeCost n) =>
        this with { Output = n.Output, Params = Params + n.Params, Macs = Macs + n.Macs, MemoryAccess = MemoryAccess + n.MemoryAccess, NodeCount = NodeCount + 1 };
}
