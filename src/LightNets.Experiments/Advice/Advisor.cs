using LightNets.Cost;
using LightNets.Graphs;

namespace LightNets.Experiments.Advice;

/// <summary>
/// <c>lightnets advise</c>'s analysis: measures a network on this machine and books its time to ShuffleNetV2's four
/// guidelines. Every figure comes from the graph's structure, the cost model and measurements; nothing depends on what
/// the model is called.
/// <para>
/// Time at stake is measured, layer by layer: each convolution that breaks a guideline is timed alone beside the
/// layer the guideline proposes at equal FLOPs (G1: c1 = c2; G2: no groups; G4: a depthwise convolution's FLOPs in a
/// dense 1×1 convolution; G3: parallel convolutions on one input as one convolution), and the fraction the proposal
/// saves is applied to the layer's time inside the network. Element-wise and data-movement ops put their whole time
/// at stake: the paper's remedy is to remove or fuse them, and the fused run shows what fusion already recovers.
/// </para>
/// </summary>
public static class Advisor
{
    /// <summary>Most distinct single-layer configurations timed; beyond it, the layers with the most time are measured first.</summary>
    public const int MaxLayerConfigs = 300;

    public static AdviceResult Run(string model, Graph graph, AdviceSettings settings, PhaseRunner? phase = null, string machine = "")
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(settings);
        phase ??= (_, _, work) => work(_ => { });
        var cost = CostReport.Analyze(graph, MemoryAccessMode.AllOps).Nodes.ToDictionary(n => n.Node);
        var roles = graph.Nodes.ToDictionary(n => n, n => LayerRoles.Of(graph, n, settings.Imbalance));
        var units = ParallelBranches.Units(graph).Where(u => u.ComputeBranches >= 2).ToArray();
        var siblings = ParallelBranches.Siblings(graph);

        var timing = NetworkTimer.Measure(graph, settings, phase);
        var plan = Plan(graph, roles, siblings, timing);
        var times = LayerBench.Measure(plan.Configs, settings, phase);

        var atStake = graph.Nodes.ToDictionary(n => n, _ => new Dictionary<GuidelineTag, double>());
        foreach (var (node, parts) in plan.Parts)
        {
            if (!parts.All(p => times.ContainsKey(p.From) && times.ContainsKey(p.To)) || times[parts[0].From] <= 0) continue;
            var actual = times[parts[0].From];
            foreach (var p in parts)
            {
                var saved = times[p.From] * Scale(p.From, p.Reference) - times[p.To] * Scale(p.To, p.Reference);
                Add(atStake[node], p.Tag, timing.Node(node.Name) * saved / actual);
            }
        }
        foreach (var group in siblings)
        {
            var merged = plan.Merged.GetValueOrDefault(group);
            var alone = group.Convs.Select(n => LayerConfig.Of(graph, n)).ToArray();
            if (merged is null || !times.ContainsKey(merged) || !alone.All(times.ContainsKey)) continue;
            var sum = alone.Sum(c => times[c]);
            var macs = alone.Sum(c => c.Macs);
            var fraction = (sum - times[merged] * macs / merged.Macs) / sum;
            foreach (var n in group.Convs) Add(atStake[n], GuidelineTag.G3, timing.Node(n.Name) * fraction);
        }
        foreach (var node in graph.Nodes.Where(n => roles[n].Primary == GuidelineTag.G4 && n.Op is not Conv2dOp))
            Add(atStake[node], GuidelineTag.G4, timing.Node(node.Name));

        var layers = graph.Nodes.Select(n => new LayerAdvice(n, roles[n], cost[n].Macs, cost[n].MemoryAccess, timing.Node(n.Name), atStake[n])).ToArray();
        var findings = AdviceFindings.Build(graph, layers, units, siblings, plan.Unmeasured, timing, settings);
        return new AdviceResult(model, graph, settings, timing, layers, findings, Unattributed(layers, timing), units,
            layers.Sum(l => l.Macs), machine);
    }

    /// <summary>A step of the counterfactual chain: what moving from one configuration to the next saves, booked to a guideline.</summary>
    internal sealed record Part(GuidelineTag Tag, LayerConfig From, LayerConfig To, LayerConfig Reference);

    internal sealed record LayerPlan(
        IReadOnlyList<LayerConfig> Configs, IReadOnlyDictionary<Node, Part[]> Parts, IReadOnlyDictionary<SiblingConvs, LayerConfig> Merged, int Unmeasured);

    /// <summary>
    /// Every configuration to time: the offending layers and their counterfactuals, the layers with the most time
    /// first, until <see cref="MaxLayerConfigs"/> distinct ones.
    /// </summary>
    private static LayerPlan Plan(Graph graph, Dictionary<Node, LayerRole> roles, IReadOnlyList<SiblingConvs> siblings, NetworkTiming timing)
    {
        var parts = new Dictionary<Node, Part[]>();
        foreach (var node in graph.Nodes.Where(n => n.Op is Conv2dOp))
        {
            var role = roles[node];
            var actual = LayerConfig.Of(graph, node);
            Part[] chain;
            if (role.Kind == "depthwise conv")
            {
                var y = graph.ShapeOf(node.Outputs[0]);
                chain = [new Part(GuidelineTag.G4, actual, LayerConfig.DensePointwise(y.N, y.H, y.W, actual.Macs), actual)];
            }
            else if (role.Has(GuidelineTag.G2) && role.Has(GuidelineTag.G1))
            {
                // Grouped and unbalanced: first balance the widths at the same g (G1), then drop the groups (G2).
                var balanced = actual.Balanced();
                chain = [new Part(GuidelineTag.G1, actual, balanced, actual), new Part(GuidelineTag.G2, balanced, balanced.Ungrouped(), actual)];
            }
            else if (role.Has(GuidelineTag.G2)) chain = [new Part(GuidelineTag.G2, actual, actual.Ungrouped(), actual)];
            else if (role.Has(GuidelineTag.G1)) chain = [new Part(GuidelineTag.G1, actual, actual.Balanced(), actual)];
            else continue;
            parts[node] = chain;
        }
        var merged = new Dictionary<SiblingConvs, LayerConfig>();
        foreach (var group in siblings)
        {
            var first = LayerConfig.Of(graph, group.Convs[0]);
            var y = graph.ShapeOf(group.Convs[0].Outputs[0]);
            var macs = group.Convs.Sum(n => LayerConfig.Of(graph, n).Macs);
            merged[group] = LayerConfig.DensePointwise(y.N, y.H, y.W, macs, first.InChannels, first.Op.StrideH);
        }

        // Budget: walk the work in order of in-network time, keep whole chains.
        var work = parts.Select(p => (Time: timing.Node(p.Key.Name), Configs: p.Value.SelectMany(x => new[] { x.From, x.To }).ToArray()))
            .Concat(siblings.Select(g => (Time: g.Convs.Sum(n => timing.Node(n.Name)),
                Configs: g.Convs.Select(n => LayerConfig.Of(graph, n)).Append(merged[g]).ToArray())))
            .OrderByDescending(w => w.Time);
        var chosen = new HashSet<LayerConfig>();
        var unmeasured = 0;
        foreach (var (_, configs) in work)
        {
            if (chosen.Count + configs.Count(c => !chosen.Contains(c)) > MaxLayerConfigs)
            {
                unmeasured++;
                continue;
            }
            chosen.UnionWith(configs);
        }
        return new LayerPlan(chosen.ToArray(), parts, merged, unmeasured);
    }

    /// <summary>Times of configurations with slightly different FLOPs (rounding of widths) compare per MAC of the reference.</summary>
    private static double Scale(LayerConfig config, LayerConfig reference) => config == reference ? 1 : (double)reference.Macs / config.Macs;

    private static void Add(Dictionary<GuidelineTag, double> into, GuidelineTag tag, double value) =>
        into[tag] = into.GetValueOrDefault(tag) + value;

    private static IReadOnlyList<UnattributedOps> Unattributed(IReadOnlyList<LayerAdvice> layers, NetworkTiming timing)
    {
        var total = timing.TotalMicroseconds;
        var macs = (double)Math.Max(1, layers.Sum(l => l.Macs));
        return layers.Where(l => l.Role.Primary == GuidelineTag.Unattributed)
            .GroupBy(l => l.Role.Kind == "pooling" || l.Role.Kind == "fully connected" ? l.Role.Kind : l.Node.Kind.ToString())
            .Select(g => new UnattributedOps(g.Key, g.Count(), g.Sum(l => l.Microseconds), total > 0 ? g.Sum(l => l.Microseconds) / total : 0, g.Sum(l => l.Macs) / macs))
            .OrderByDescending(u => u.Microseconds).ToArray();
    }
}
