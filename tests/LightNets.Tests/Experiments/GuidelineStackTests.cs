using LightNets.Experiments;
using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Tests.Onnx;

namespace LightNets.Tests.Experiments;

/// <summary>
/// Each block is built as GUIDELINES-SPEC §3–§7 specifies (node kinds, shapes, groups as one op, element-wise ops as
/// nodes of their own, the §3 weight scales), the twins are the same network (F3), and every configuration's output
/// stays finite with an RMS in [1e-3, 1e3].
/// </summary>
public class GuidelineStackTests
{
    private static Node[] Convs(Graph g) => g.Nodes.Where(n => n.Op is Conv2dOp).ToArray();

    [Fact]
    public void G1_block_is_two_pointwise_convolutions_c1_to_c2_and_back()
    {
        var g = GuidelineStacks.Build(new PairStack(22, 44));
        Assert.Equal(new Shape(1, 22, 56, 56), g.Input.Shape);
        Assert.All(g.Nodes, n => Assert.IsType<Conv2dOp>(n.Op));
        var convs = Convs(g);
        Assert.Equal(20, convs.Length);
        for (var i = 0; i < convs.Length; i++)
        {
            var op = (Conv2dOp)convs[i].Op;
            Assert.Equal((1, 1, 1, 1, Padding2d.None), (op.KernelH, op.KernelW, op.StrideH, op.Groups, op.Padding));
            Assert.Equal(2, convs[i].Inputs.Count); // no bias
            Assert.Equal(i % 2 == 0 ? new Shape(44, 22, 1, 1) : new Shape(22, 44, 1, 1), g.ShapeOf(convs[i].Inputs[1]));
            Assert.Equal($"block{i / 2}", convs[i].Block);
        }
        Assert.Equal(new Shape(1, 22, 56, 56), g.ShapeOf(g.Output));
    }

    [Fact]
    public void G2_block_is_one_group_convolution_node()
    {
        var g = GuidelineStacks.Build(new GroupStack(184, 8));
        var convs = Convs(g);
        Assert.Equal(10, g.Nodes.Count);
        Assert.Equal(10, convs.Length);
        Assert.All(convs, n =>
        {
            Assert.Equal(8, ((Conv2dOp)n.Op).Groups);
            Assert.Equal(new Shape(184, 23, 1, 1), g.ShapeOf(n.Inputs[1]));
        });
    }

    [Theory]
    [InlineData(FragmentLayout.One, 1, 64, 64)]
    [InlineData(FragmentLayout.TwoSeries, 2, 45, 45)]
    [InlineData(FragmentLayout.FourSeries, 4, 32, 32)]
    public void G3_series_blocks_chain_k_convolutions_of_the_equal_flops_width(FragmentLayout layout, int k, int cin, int cout)
    {
        var g = GuidelineStacks.Build(new FragmentStack(64, layout));
        var convs = Convs(g);
        Assert.Equal(10 * k, convs.Length);
        Assert.Equal(convs.Length, g.Nodes.Count);
        Assert.All(convs, n => Assert.Equal(new Shape(cout, cin, 1, 1), g.ShapeOf(n.Inputs[1])));
        // A chain: every conv reads the one before it.
        for (var i = 1; i < convs.Length; i++) Assert.Equal(convs[i - 1].Output, convs[i].Inputs[0]);
    }

    [Theory]
    [InlineData(FragmentLayout.TwoParallel, 2)]
    [InlineData(FragmentLayout.FourParallel, 4)]
    public void G3_parallel_blocks_read_the_same_input_and_join_by_a_concat(FragmentLayout layout, int k)
    {
        var g = GuidelineStacks.Build(new FragmentStack(64, layout));
        var concats = g.Nodes.Where(n => n.Op is ConcatOp).ToArray();
        Assert.Equal(10, concats.Length);
        Assert.Equal(10 * (k + 1), g.Nodes.Count);
        var input = g.Input.Name;
        foreach (var concat in concats)
        {
            var branches = concat.Inputs.Select(i => g.Producer(i)!).ToArray();
            Assert.Equal(k, branches.Length);
            Assert.All(branches, b =>
            {
                Assert.IsType<Conv2dOp>(b.Op);
                Assert.Equal(input, b.Inputs[0]);
                Assert.Equal(new Shape(64 / k, 64, 1, 1), g.ShapeOf(b.Inputs[1]));
            });
            Assert.Equal(new Shape(1, 64, 56, 56), g.ShapeOf(concat.Output));
            input = concat.Output;
        }
    }

    [Theory]
    [InlineData(true, true, "Conv2d Relu Conv2d Relu Conv2d Add Relu")]
    [InlineData(true, false, "Conv2d Relu Conv2d Relu Conv2d Relu")]
    [InlineData(false, true, "Conv2d Conv2d Conv2d Add")]
    [InlineData(false, false, "Conv2d Conv2d Conv2d")]
    public void G4_unit_is_the_resnet_bottleneck_with_its_relus_and_shortcut(bool relu, bool shortcut, string kinds)
    {
        var g = GuidelineStacks.Build(new BottleneckStack(64, relu, shortcut));
        var block = g.Nodes.Where(n => n.Block == "block3").ToArray();
        Assert.Equal(kinds, string.Join(" ", block.Select(n => n.Kind)));
        var convs = block.Where(n => n.Op is Conv2dOp).ToArray();
        Assert.Equal(new Shape(16, 64, 1, 1), g.ShapeOf(convs[0].Inputs[1]));
        Assert.Equal(new Shape(16, 16, 3, 3), g.ShapeOf(convs[1].Inputs[1]));
        Assert.Equal(Padding2d.Symmetric(1), ((Conv2dOp)convs[1].Op).Padding);
        Assert.Equal(new Shape(64, 16, 1, 1), g.ShapeOf(convs[2].Inputs[1]));
        if (shortcut)
        {
            var add = block.Single(n => n.Op is AddOp);
            Assert.Contains(g.Nodes.Last(n => n.Block == "block2").Output, add.Inputs); // the identity: the unit's input
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Weights_follow_the_spec_scales(bool relu)
    {
        var g = GuidelineStacks.Build(new BottleneckStack(128, relu, true));
        foreach (var conv in Convs(g).Where(n => n.Block == "block0"))
        {
            var w = g.Initializers[conv.Inputs[1]];
            var fanIn = w.Shape[1] * w.Shape[2] * w.Shape[3];
            var gain = relu && !conv.Name.EndsWith("conv3", StringComparison.Ordinal) ? 2.0 : 1.0;
            var std = Math.Sqrt(w.Data.Average(v => (double)v * v));
            Assert.InRange(std / Math.Sqrt(gain / fanIn), 0.9, 1.1);
        }
    }

    [Fact]
    public void Twins_g2_g1_and_g3_one_fragment_are_the_same_network_with_the_same_output()
    {
        var g2 = GuidelineStacks.Build(new GroupStack(64, 1), size: 8);
        var g3 = GuidelineStacks.Build(new FragmentStack(64, FragmentLayout.One), size: 8);
        var x = GuidelineStacks.Input(g2);
        using var s2 = new InferenceSession(g2, new SessionOptions { Threads = 1, Fuse = false });
        using var s3 = new InferenceSession(g3, new SessionOptions { Threads = 1, Fuse = false });
        Assert.Equal(s2.Run(x).Data, s3.Run(x).Data);
        Assert.Equal(ReferenceInterpreter.Run(g2, x).Data, ReferenceInterpreter.Run(g3, x).Data);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Unfused_element_wise_passes_and_concats_match_the_reference(bool fuse)
    {
        // Every node its own pass: standalone ReLU, an Add reading the caller's NCHW input, a Concat copying branches.
        foreach (var spec in new StackSpec[] { new BottleneckStack(32, true, true), new BottleneckStack(32, false, true), new FragmentStack(64, FragmentLayout.FourParallel) })
        {
            var g = GuidelineStacks.Build(spec, size: 9);
            var x = GuidelineStacks.Input(g);
            using var session = new InferenceSession(g, new SessionOptions { Threads = 2, Fuse = fuse });
            OnnxExportTests.AssertClose(ReferenceInterpreter.Run(g, x), session.Run(x), 1e-5, $"{GuidelineStacks.Name(spec)} fuse={fuse}");
        }
    }

    [Theory]
    [InlineData(Guideline.G1)]
    [InlineData(Guideline.G2)]
    [InlineData(Guideline.G3)]
    [InlineData(Guideline.G4)]
    public void Every_configuration_output_is_finite_with_a_sane_rms(Guideline id)
    {
        // A pointwise stack treats every pixel alike, so its RMS does not depend on the map size: 8×8 keeps the full
        // channel numbers (up to 16 G MACs per image at 56×56) to milliseconds. G4's padded 3×3 convolutions see the
        // border, so G4 (at most 0.55 G MACs, the same channels in both modes) runs at the paper's 56×56.
        var configs = Enum.GetValues<GuidelineMode>().Select(m => GuidelineTables.For(m).Single(t => t.Id == id))
            .SelectMany(t => t.Cells).Where(c => c.RowDef.Role != RowRole.Duplicate)
            .Select(c => (c.Stack, c.Fused, Name: c.Describe())).DistinctBy(c => (c.Stack, c.Fused)).ToArray();
        foreach (var (stack, fused, name) in configs)
        {
            var g = GuidelineStacks.Build(stack, size: id == Guideline.G4 ? GuidelineStacks.PaperSize : 8);
            using var session = new InferenceSession(g, new SessionOptions { Threads = 1, Fuse = fused });
            var y = session.Run(GuidelineStacks.Input(g));
            Assert.All(y.Data, v => Assert.True(float.IsFinite(v)));
            var rms = GuidelineRunner.Rms(y.Data);
            Assert.True(rms is >= 1e-3 and <= 1e3, $"{name}: RMS {rms}");
        }
    }
}
