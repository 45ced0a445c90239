using LightNets.Experiments.Advice;
using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Tests.Experiments.Advice;

/// <summary>What the advisor reads from a graph's structure alone: roles, parallel branches, counterfactual layers. No timing.</summary>
public class AdviceStructureTests
{
    private static (Graph Graph, Dictionary<string, LayerRole> Roles) Small()
    {
        var b = new GraphBuilder("small");
        var x = b.Input("x", new Shape(1, 24, 14, 14));
        var e = b.Conv2d(x, 144, 1, name: "expand");             // 1:6 → G1
        var r = b.Relu6(e, "relu");                              // element-wise → G4
        var d = b.DepthwiseConv2d(r, 3, name: "dw");             // depthwise → G4
        var p = b.Conv2d(d, 24, 1, name: "project");             // 6:1 → G1
        var a = b.Add(p, x, "add");                              // element-wise → G4
        var g = b.Conv2d(a, 96, 1, groups: 3, name: "gconv");    // 1:4 grouped → G2 + G1
        var s = b.Conv2d(g, 96, 3, name: "dense");               // balanced 3×3 → dense
        var c = b.Concat([s, g], "concat");                      // data movement → G4
        var pool = b.GlobalAveragePool(c, "gap");                // not attributed
        b.Output(b.Gemm(b.Flatten(pool), 10, name: "fc"));       // not attributed
        var graph = b.Build();
        return (graph, graph.Nodes.ToDictionary(n => n.Name, n => LayerRoles.Of(graph, n, 2.0)));
    }

    [Fact]
    public void Roles_come_from_operator_and_shapes()
    {
        var (_, roles) = Small();
        Assert.Equal(GuidelineTag.G1, roles["expand"].Primary);
        Assert.Equal("1:6", roles["expand"].Ratio);
        Assert.Equal("6:1", roles["project"].Ratio);
        Assert.Equal(GuidelineTag.G4, roles["relu"].Primary);
        Assert.Equal("depthwise conv", roles["dw"].Kind);
        Assert.Equal(GuidelineTag.G4, roles["dw"].Primary);
        Assert.Equal(GuidelineTag.G4, roles["add"].Primary);
        Assert.Equal(GuidelineTag.G2, roles["gconv"].Primary);
        Assert.Equal([GuidelineTag.G2, GuidelineTag.G1], roles["gconv"].Tags);
        Assert.Equal(GuidelineTag.Dense, roles["dense"].Primary);
        Assert.Equal("data movement", roles["concat"].Kind);
        Assert.Equal(GuidelineTag.Unattributed, roles["gap"].Primary);
        Assert.Equal(GuidelineTag.Unattributed, roles["fc"].Primary);
    }

    [Fact]
    public void The_imbalance_threshold_decides_G1()
    {
        var (graph, _) = Small();
        var expand = graph.Nodes.Single(n => n.Name == "expand");
        Assert.Equal(GuidelineTag.G1, LayerRoles.Of(graph, expand, 6.0).Primary);
        Assert.Equal(GuidelineTag.Dense, LayerRoles.Of(graph, expand, 6.5).Primary);
    }

    [Fact]
    public void Inception_export_has_four_branch_units_and_sibling_convs()
    {
        var graph = AdviceFixtures.Load(AdviceFixtures.Inception);
        var units = ParallelBranches.Units(graph).Where(u => u.ComputeBranches >= 2).ToArray();
        Assert.Equal(3, units.Count(u => u.ComputeBranches == 4 && u.Join.Op is ConcatOp));
        // Each Inception block: the 1×1 conv branch and the two 1×1 reductions read the block's input.
        var siblings = ParallelBranches.Siblings(graph);
        Assert.Equal(3, siblings.Count);
        Assert.All(siblings, s => Assert.Equal(3, s.Convs.Count));
    }

    [Fact]
    public void ResNet_export_has_parallel_branches_only_where_a_downsample_conv_is()
    {
        var graph = AdviceFixtures.Load(AdviceFixtures.ResNet);
        var units = ParallelBranches.Units(graph).Where(u => u.Join.Op is AddOp).ToArray();
        Assert.Equal(6, units.Length);                                   // six bottlenecks
        Assert.Equal(3, units.Count(u => u.ComputeBranches == 2));       // three with a downsample conv
        Assert.Equal(3, units.Count(u => u.Branches.Any(b => b.Count == 0))); // three with an identity shortcut
        var roles = graph.Nodes.Where(n => n.Op is Conv2dOp).Select(n => LayerRoles.Of(graph, n, 2.0)).ToArray();
        Assert.Contains(roles, r => r.Primary == GuidelineTag.G1 && r.Ratio == "4:1");
        Assert.Contains(roles, r => r.Primary == GuidelineTag.Dense && r.Kernel == 3);
    }

    [Theory]
    [InlineData(240, 60, 3, 28)]
    [InlineData(24, 144, 1, 56)]
    [InlineData(58, 116, 1, 7)]
    public void Counterfactuals_keep_the_FLOPs_and_balance_the_widths(int c1, int c2, int g, int size)
    {
        var actual = new LayerConfig(1, c1, size, size, c2, Conv2dOp.Square(1, groups: g));
        var balanced = actual.Balanced();
        Assert.Equal(balanced.InChannels, balanced.OutChannels);
        Assert.Equal(0, balanced.InChannels % g);
        Assert.InRange((double)balanced.Macs / actual.Macs, 0.85, 1.15);
        var ungrouped = balanced.Ungrouped();
        Assert.Equal(1, ungrouped.Op.Groups);
        Assert.InRange((double)ungrouped.Macs / actual.Macs, 0.85, 1.15);
        var dense = LayerConfig.DensePointwise(1, size, size, actual.Macs);
        Assert.InRange((double)dense.Macs / actual.Macs, 0.8, 1.25);
        Assert.Equal(actual.Macs, actual.Build().Nodes.Sum(n => LightNets.Cost.CostRules.Cost(actual.Build(), n, LightNets.Cost.MemoryAccessMode.ConvAndFc).Macs));
    }

    [Fact]
    public void Layer_patterns_name_stages_or_the_common_prefix()
    {
        LayerAdvice L(string name, string block) => new(new Node(name, new ReluOp(), ["x"], [name + ".y"], block),
            new LayerRole(GuidelineTag.G4, [GuidelineTag.G4], "element-wise", 0, 0, 1, 0), 0, 0, 1, new Dictionary<GuidelineTag, double>());
        Assert.Equal("stage3.*, stage4.*", AdviceFindings.Pattern([L("a", "stage3.0"), L("b", "stage3.1"), L("c", "stage4.0")]));
        Assert.Equal("/layers/layers.*", AdviceFindings.Pattern([L("/layers/layers.0/conv1/Conv", ""), L("/layers/layers.2/conv3/Conv", "")]));
    }
}
