using LightNets.Graphs;

namespace LightNets.Experiments.Advice;

/// <summary>
/// A multi-branch unit: a value (or a Split's outputs) read by several paths that meet again at one node (a Concat, an
/// Add, a Mul). <see cref="ComputeBranches"/> counts the paths that hold a convolution, pooling or FC layer: two or more
/// is what G3 calls a fragmented, parallel structure (an identity shortcut or ShuffleNetV2's untouched half is no fragment).
/// </summary>
/// <param name="Fork">The node whose output(s) the branches read.</param>
/// <param name="Join">The first node every branch reaches.</param>
/// <param name="Branches">The nodes of each branch, fork and join excluded (an empty branch is an identity).</param>
public sealed record BranchUnit(Node Fork, Node Join, IReadOnlyList<IReadOnlyList<Node>> Branches)
{
    public int ComputeBranches => Branches.Count(b => b.Any(IsCompute));

    /// <summary>Convolutions, pools and FC layers in the unit: the paper's "fragments per block".</summary>
    public int Fragments => Branches.Sum(b => b.Count(IsCompute));

    internal static bool IsCompute(Node n) => n.Op is Conv2dOp or PoolOp or GlobalAveragePoolOp or GemmOp;
}

/// <summary>
/// Several ungrouped convolutions reading the same value and writing maps of the same size: G3's parallel fragments,
/// which could be one convolution of the same FLOPs (the paper's Table 3, 4-fragment-parallel against 1-fragment).
/// </summary>
public sealed record SiblingConvs(string Input, IReadOnlyList<Node> Convs);

/// <summary>Finds <see cref="BranchUnit"/>s and <see cref="SiblingConvs"/> in a graph, from its structure alone.</summary>
public static class ParallelBranches
{
    /// <summary>Graphs above this many nodes skip the branch search (quadratic at worst) and say so.</summary>
    public const int MaxNodes = 20_000;

    public static IReadOnlyList<BranchUnit> Units(Graph graph)
    {
        if (graph.Nodes.Count > MaxNodes) return [];
        var order = new Dictionary<Node, int>();
        for (var i = 0; i < graph.Nodes.Count; i++) order[graph.Nodes[i]] = i;
        var units = new List<BranchUnit>();
        foreach (var fork in graph.Nodes)
        {
            // The edges leaving the fork: one per (output, consumer) pair.
            var heads = fork.Outputs.SelectMany(o => graph.Consumers(o).Distinct()).Distinct().ToArray();
            var edges = fork.Outputs.Sum(o => graph.Consumers(o).Distinct().Count());
            if (edges < 2 || heads.Length == 0) continue;
            var reach = heads.Select(h => Descendants(graph, h)).ToArray();
            var common = reach.Skip(1).Aggregate(new HashSet<Node>(reach[0]), (acc, r) => { acc.IntersectWith(r); return acc; });
            if (common.Count == 0) continue;
            var join = common.MinBy(n => order[n])!;
            var branches = new List<IReadOnlyList<Node>>();
            foreach (var o in fork.Outputs)
            {
                foreach (var head in graph.Consumers(o).Distinct())
                    branches.Add(head == join ? [] : Between(graph, head, join, order));
            }
            units.Add(new BranchUnit(fork, join, branches));
        }
        return units;
    }

    public static IReadOnlyList<SiblingConvs> Siblings(Graph graph)
    {
        var result = new List<SiblingConvs>();
        var values = graph.Inputs.Select(i => i.Name).Concat(graph.Nodes.SelectMany(n => n.Outputs)).Distinct();
        foreach (var value in values)
        {
            var convs = graph.Consumers(value).Distinct()
                .Where(n => n.Op is Conv2dOp { Groups: 1 } && n.Inputs[0] == value && graph.ShapeOf(n.Outputs[0]).IsFeatureMap)
                .GroupBy(n => (graph.ShapeOf(n.Outputs[0]).H, graph.ShapeOf(n.Outputs[0]).W))
                .Where(g => g.Count() >= 2);
            foreach (var group in convs) result.Add(new SiblingConvs(value, group.ToArray()));
        }
        return result;
    }

    private static HashSet<Node> Descendants(Graph graph, Node start)
    {
        var seen = new HashSet<Node> { start };
        var stack = new Stack<Node>([start]);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            foreach (var next in n.Outputs.SelectMany(graph.Consumers))
                if (seen.Add(next)) stack.Push(next);
        }
        return seen;
    }

    /// <summary>Nodes reachable from <paramref name="head"/> that come before <paramref name="join"/> and lead to it.</summary>
    private static IReadOnlyList<Node> Between(Graph graph, Node head, Node join, Dictionary<Node, int> order)
    {
        var nodes = new List<Node>();
        var seen = new HashSet<Node> { head };
        var stack = new Stack<Node>([head]);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (n == join || order[n] > order[join]) continue;
            nodes.Add(n);
            foreach (var next in n.Outputs.SelectMany(graph.Consumers))
                if (seen.Add(next)) stack.Push(next);
        }
        return nodes.OrderBy(n => order[n]).ToArray();
    }
}
