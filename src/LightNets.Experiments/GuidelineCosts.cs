using System.Collections.Concurrent;
using LightNets.Cost;

namespace LightNets.Experiments;

/// <summary>The analyzer's counts for one stack, per image.</summary>
/// <param name="Macs">Conv multiply-accumulates: the paper's FLOPs.</param>
/// <param name="MemoryAccess">Memory access cost of the convolutions (input + output + weights, ShuffleNetV2's Eq. 1), in elements.</param>
/// <param name="ReluElements">Elements through ReLU nodes.</param>
/// <param name="AddElements">Elements through Add nodes.</param>
/// <param name="ConcatElements">Elements a Concat copies.</param>
public sealed record StackCost(long Macs, long MemoryAccess, long ReluElements, long AddElements, long ConcatElements);

/// <summary>Counts of the guideline stacks from <see cref="CostReport"/> on the graph that runs (memoized; weights are never materialized).</summary>
public static class GuidelineCosts
{
    private static readonly ConcurrentDictionary<(StackSpec, int), StackCost> Cache = new();

    public static StackCost Of(StackSpec spec, int size = GuidelineStacks.PaperSize) => Cache.GetOrAdd((spec, size), key =>
    {
        var graph = GuidelineStacks.Build(key.Item1, 1, key.Item2);
        var report = CostReport.Analyze(graph);
        var elementwise = report.Elementwise();
        var concat = graph.Nodes.Where(n => n.Op is Graphs.ConcatOp).Sum(n => graph.ShapeOf(n.Output).ElementCount);
        return new StackCost(report.Macs, report.MemoryAccess, elementwise.Relu, elementwise.ResidualAdd, concat);
    });
}
