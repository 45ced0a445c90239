using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Cost;

/// <summary>What kind of layer a conv/FC node is, for per-type breakdowns such as MobileNetV1's Table 2.</summary>
public enum LayerClass
{
    /// <summary>A full (ungrouped) k×k convolution with k &gt; 1, e.g. the 3×3 stem.</summary>
    Conv,
    /// <summary>An ungrouped 1×1 convolution.</summary>
    Pointwise,
    /// <summary>A grouped 1×1 convolution (1 &lt; g &lt; C).</summary>
    GroupPointwise,
    /// <summary>A depthwise convolution (g = C_in = C_out).</summary>
    Depthwise,
    /// <summary>Any other grouped convolution.</summary>
    GroupConv,
    FullyConnected,
    /// <summary>Not a conv or FC.</summary>
    Other,
}

/// <summary>
/// One row of a paper-style layer table: a conv/FC/pool/merge node with the BN and activations that directly follow
/// it folded into its description ("conv 3×3/2 3→32 + BN + ReLU6"), as the papers' tables print layers.
/// </summary>
public sealed record LayerRow(
    string Name, string Block, string Operator, LayerClass Class, Shape Input, Shape Output, int Stride,
    long Params, long Macs, long MemoryAccess)
{
    /// <summary>Share of the model's MACs.</summary>
    public double MacShare(CostReport report) => report.Macs == 0 ? 0 : (double)Macs / report.Macs;
}

public static class LayerTable
{
    public static LayerClass Classify(Graph graph, Node node)
    {
        switch (node.Op)
        {
            case GemmOp:
                return LayerClass.FullyConnected;
            case Conv2dOp conv:
            {
                var cin = graph.ShapeOf(node.Inputs[0]).C;
                var cout = graph.ShapeOf(node.Inputs[1])[0];
                var pointwise = conv.KernelH == 1 && conv.KernelW == 1;
                if (conv.Groups == 1) return pointwise ? LayerClass.Pointwise : LayerClass.Conv;
                if (conv.Groups == cin && cin == cout) return LayerClass.Depthwise;
                return pointwise ? LayerClass.GroupPointwise : LayerClass.GroupConv;
            }
            default:
                return LayerClass.Other;
        }
    }

    /// <summary>The operator as the papers write it, e.g. "dwconv 3×3/2", "gconv 1×1 g3 240→60", "fc 1280→1000".</summary>
    public static string Describe(Graph graph, Node node)
    {
        var input = graph.ShapeOf(node.Inputs[0]);
        return node.Op switch
        {
            Conv2dOp c => Classify(graph, node) switch
            {
                LayerClass.Depthwise => $"dwconv {c.KernelH}×{c.KernelW}{Stride(c.StrideH)}",
                LayerClass.GroupPointwise or LayerClass.GroupConv =>
                    $"gconv {c.KernelH}×{c.KernelW}{Stride(c.StrideH)} g{c.Groups} {input.C}→{graph.ShapeOf(node.Inputs[1])[0]}",
                _ => $"conv {c.KernelH}×{c.KernelW}{Stride(c.StrideH)} {input.C}→{graph.ShapeOf(node.Inputs[1])[0]}",
            } + (node.Inputs.Count > 2 ? " +bias" : ""),
            GemmOp => $"fc {input[1]}→{graph.ShapeOf(node.Inputs[1])[0]}",
            MaxPoolOp p => $"maxpool {p.KernelH}×{p.KernelW}{Stride(p.StrideH)}",
            AveragePoolOp p => $"avgpool {p.KernelH}×{p.KernelW}{Stride(p.StrideH)}",
            GlobalAveragePoolOp => "global avgpool",
            AddOp => "add",
            MulOp => "mul",
            ConcatOp => "concat",
            ChannelShuffleOp s => $"shuffle g{s.Groups}",
            SplitOp s => $"split {string.Join("|", s.Sizes)}",
            SliceOp s => $"slice [{s.Start},{s.End})",
            SoftmaxOp => "softmax",
            FakeQuantizeOp q => $"quantize {q.Params.Type.ToString().ToLowerInvariant()}",
            _ => Suffix(node.Op)?.TrimStart(' ', '+') ?? node.Kind.ToString(),
        };
    }

    /// <summary>Rows for a report: one per primary node, with following BN/activations folded in.</summary>
    public static IReadOnlyList<LayerRow> Rows(CostReport report)
    {
        var graph = report.Graph;
        var rows = new List<LayerRow>();
        string? tail = null; // the value the last row ends with, which a BN/activation may extend
        foreach (var cost in report.Nodes)
        {
            var node = cost.Node;
            var suffix = Suffix(node.Op);
            if (suffix is not null && rows.Count > 0 && node.Inputs[0] == tail && graph.Consumers(tail).Count == 1)
            {
                var last = rows[^1];
                rows[^1] = last with
                {
                    Operator = last.Operator + suffix,
                    Output = cost.Output,
                    Params = last.Params + cost.Params,
                    MemoryAccess = last.MemoryAccess + cost.MemoryAccess,
                };
                tail = node.Outputs[0];
                continue;
            }
            var stride = node.Op switch { Conv2dOp c => c.StrideH, PoolOp p => p.StrideH, _ => 1 };
            // ConvBnAct names its conv "<unit>.conv"; the row is the unit.
            var name = node.Op is Conv2dOp && node.Name.EndsWith(".conv", StringComparison.Ordinal) ? node.Name[..^5] : node.Name;
            rows.Add(new LayerRow(name, node.Block, Describe(graph, node), Classify(graph, node), cost.Input, cost.Output,
                stride, cost.Params, cost.Macs, cost.MemoryAccess));
            tail = node.Outputs[0];
        }
        return rows;
    }

    /// <summary>MACs per layer class (MobileNetV1 Table 2's "Mult-Adds" column).</summary>
    public static IReadOnlyDictionary<LayerClass, long> MacsByClass(CostReport report) => report.Nodes
        .GroupBy(n => Classify(report.Graph, n.Node))
        .ToDictionary(g => g.Key, g => g.Sum(n => n.Macs));

    /// <summary>Weight elements per layer class, excluding biases and BN (MobileNetV1 Table 2's "Parameters" column).</summary>
    public static IReadOnlyDictionary<LayerClass, long> WeightsByClass(CostReport report) => report.Nodes
        .Where(n => n.Node.Op is Conv2dOp or GemmOp)
        .GroupBy(n => Classify(report.Graph, n.Node))
        .ToDictionary(g => g.Key, g => g.Sum(n => report.Graph.ShapeOf(n.Node.Inputs[1]).ElementCount));

    private static string Stride(int s) => s == 1 ? "" : $"/{s}";

    private static string? Suffix(Op op) => op switch
    {
        BatchNormOp => " + BN",
        ReluOp => " + ReLU",
        ClipOp c when c.IsRelu6 => " + ReLU6",
        ClipOp c => $" + clip[{c.Min},{c.Max}]",
        HardSwishOp => " + h-swish",
        HardSigmoidOp => " + h-sigmoid",
        SigmoidOp => " + sigmoid",
        DropoutOp => " + dropout",
        FlattenOp => " + flatten",
        _ => null,
    };
}
