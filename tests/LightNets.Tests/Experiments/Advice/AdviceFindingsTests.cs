using LightNets.Cost;
using LightNets.Experiments.Advice;
using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Tests.Experiments.Advice;

/// <summary>The findings' arithmetic and ranking on synthetic timings: deterministic, so it tests the bookkeeping, not the machine.</summary>
public class AdviceFindingsTests
{
    private static Graph Net()
    {
        var b = new GraphBuilder("net");
        var x = b.Input("x", new Shape(1, 16, 28, 28));
        var e = b.Conv2d(x, 96, 1, name: "expand");
        var r = b.Relu(e, "relu");
        var g = b.Conv2d(r, 48, 1, groups: 3, name: "gconv");
        b.Output(b.Conv2d(g, 48, 3, name: "dense"));
        return b.Build();
    }

    private static IReadOnlyList<Finding> Build(Graph graph, Dictionary<string, (double Us, Dictionary<GuidelineTag, double> Stake)> t, AdviceSettings? s = null)
    {
        s ??= new AdviceSettings();
        var cost = CostReport.Analyze(graph, MemoryAccessMode.AllOps).Nodes.ToDictionary(n => n.Node);
        var layers = graph.Nodes.Select(n => new LayerAdvice(n, LayerRoles.Of(graph, n, s.Imbalance), cost[n].Macs, cost[n].MemoryAccess, t[n.Name].Us, t[n.Name].Stake)).ToArray();
        var timing = new NetworkTiming(t.ToDictionary(p => p.Key, p => p.Value.Us), Array.Empty<StepProfile>(), 1, 1, graph.Nodes.Count, 1, 1);
        return AdviceFindings.Build(graph, layers, [], [], 0, timing, s);
    }

    [Fact]
    public void Findings_are_ranked_by_time_at_stake_and_named_above_the_threshold()
    {
        var graph = Net();
        var findings = Build(graph, new()
        {
            ["expand"] = (300, new() { [GuidelineTag.G1] = 40 }),
            ["relu"] = (100, new() { [GuidelineTag.G4] = 100 }),
            ["gconv"] = (400, new() { [GuidelineTag.G1] = 2, [GuidelineTag.G2] = 150 }),
            ["dense"] = (200, new()),
        });
        Assert.Equal(["G2", "G4", "G1", "G1"], findings.Select(f => f.Id));
        Assert.Equal([150.0, 100.0, 40.0, 2.0], findings.Select(f => f.AtStakeMicroseconds));
        // 2 µs of 1000 is 0.2 %, under the 1 % threshold: listed, not named.
        Assert.Equal([true, true, true, false], findings.Select(f => f.Named));
        Assert.Equal(0.4, findings[0].TimeShare, 6);
    }

    [Fact]
    public void G1_numbers_are_Eq1_against_the_AM_GM_bound()
    {
        var graph = Net();
        var findings = Build(graph, new()
        {
            ["expand"] = (300, new() { [GuidelineTag.G1] = 40 }),
            ["relu"] = (100, new() { [GuidelineTag.G4] = 100 }),
            ["gconv"] = (400, new() { [GuidelineTag.G2] = 150 }),
            ["dense"] = (200, new()),
        });
        var g1 = findings.Single(f => f.Id == "G1" && f.Layers.Contains("expand"));
        const long hw = 28 * 28;
        var macs = hw * 16 * 96;
        Assert.Equal(hw * (16 + 96) + 16 * 96, g1.Figures["memory_access"]);
        Assert.Equal(Formulas.PointwiseMemoryAccessLowerBound(hw, macs), g1.Figures["memory_access_bound"], 6);
        Assert.Contains("1:6", g1.Title);
        var g2 = findings.Single(f => f.Id == "G2");
        Assert.Equal(Formulas.GroupConvMemoryAccessAtFixedMacs(28, 28, 96, hw * 96 * 48 / 3, 3), g2.Figures["memory_access"], 6);
        Assert.True(g2.Figures["memory_access_g1"] < g2.Figures["memory_access"]);
    }

    [Fact]
    public void A_proposal_that_measured_slower_puts_nothing_at_stake()
    {
        var graph = Net();
        var findings = Build(graph, new()
        {
            ["expand"] = (300, new() { [GuidelineTag.G1] = -30 }),
            ["relu"] = (100, new() { [GuidelineTag.G4] = 100 }),
            ["gconv"] = (400, new() { [GuidelineTag.G2] = 10 }),
            ["dense"] = (200, new()),
        });
        var g1 = findings.Single(f => f.Layers.Contains("expand"));
        Assert.Equal(0, g1.AtStakeMicroseconds);
        Assert.False(g1.Named);
    }
}
