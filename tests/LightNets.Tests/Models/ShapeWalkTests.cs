using LightNets.Cost;
using LightNets.Graphs;
using LightNets.Models;
using LightNets.Models.MobileNetV1;
using LightNets.Models.MobileNetV2;
using LightNets.Models.MobileNetV3;
using LightNets.Models.ShuffleNetV1;
using LightNets.Models.ShuffleNetV2;
using LightNets.Tensors;
using V2Operator = LightNets.Models.MobileNetV2.Operator;
using V1Layer = LightNets.Models.ShuffleNetV1.Layer;
using V2Layer = LightNets.Models.ShuffleNetV2.Layer;
using V3Operator = LightNets.Models.MobileNetV3.Operator;

namespace LightNets.Tests.Models;

/// <summary>
/// Walks each family's table beside the graph built from it (width 1): every row's declared Input (MobileNets) or
/// Output size and channels (ShuffleNets) against the actual shapes, at 224 and at the published resolutions, where
/// every declared size scales exactly (224 → r: 112 → r/2, ..., 7 → r/32; 1×1 vectors stay 1).
/// </summary>
public class ShapeWalkTests
{
    /// <summary>A declared size at resolution <paramref name="r"/>: exact, or the test is wrong.</summary>
    private static int Scaled(int size, int r)
    {
        if (size == 1) return 1;
        Assert.Equal(0, size * r % 224);
        return size * r / 224;
    }

    private static (int Size, int Channels) SizeOf(Shape s) => (s.H, s.C);

    private static Node Only<T>(Graph g, string block) where T : Op => g.Nodes.Single(n => n.Block == block && n.Op is T);

    private static BlockCost Block(CostReport report, string name) => report.Blocks.Single(b => b.Name == name);

    [Theory]
    [InlineData(224)]
    [InlineData(192)]
    [InlineData(160)]
    [InlineData(128)]
    public void MobileNetV1_table(int r)
    {
        var g = MobileNetV1.Build(new MobileNetV1Config { Resolution = r, IncludeSoftmax = true });
        var layers = g.Nodes.Where(n => n.Op is Conv2dOp or GlobalAveragePoolOp or GemmOp or SoftmaxOp).ToArray();

        // Expand the "5×" group: its dw and pw rows repeat together.
        var rows = new List<MobileNetV1Row>();
        var table = MobileNetV1Table.Rows;
        for (var i = 0; i < table.Length; i++)
        {
            if (table[i].Repeat == 1) { rows.Add(table[i]); continue; }
            for (var k = 0; k < table[i].Repeat; k++) rows.AddRange([table[i], table[i + 1]]);
            i++;
        }
        Assert.Equal(rows.Count, layers.Length);

        for (var i = 0; i < rows.Count; i++)
        {
            var (row, node) = (rows[i], layers[i]);
            var input = g.ShapeOf(node.Inputs[0]);
            Assert.Equal((i, Scaled(row.InputSize.Size, r), row.InputSize.Channels), (i, input.H, input.C));
            var f = row.FilterShape;
            switch (row.Type)
            {
                case LayerType.Conv or LayerType.ConvDw:
                {
                    var conv = Assert.IsType<Conv2dOp>(node.Op);
                    Assert.Equal(row.Stride, conv.StrideH);
                    Assert.Equal(row.Type == LayerType.ConvDw ? f.In : 1, conv.Groups);
                    var inPerGroup = row.Type == LayerType.ConvDw ? 1 : f.In;
                    Assert.Equal(new Shape(f.Out, inPerGroup, f.KernelH, f.KernelW), g.ShapeOf(node.Inputs[1]));
                    break;
                }
                case LayerType.AvgPool:
                    Assert.IsType<GlobalAveragePoolOp>(node.Op);
                    break;
                case LayerType.FC:
                    Assert.IsType<GemmOp>(node.Op);
                    Assert.Equal(new Shape(f.Out, f.In), g.ShapeOf(node.Inputs[1]));
                    break;
                case LayerType.Softmax:
                    Assert.IsType<SoftmaxOp>(node.Op);
                    break;
            }
        }
    }

    [Theory]
    [InlineData(224)]
    [InlineData(192)]
    [InlineData(160)]
    [InlineData(128)]
    [InlineData(96)]
    public void MobileNetV2_table(int r)
    {
        var report = CostReport.Analyze(MobileNetV2.Build(new MobileNetV2Config { Resolution = r }));
        var g = report.Graph;
        var index = 0;
        foreach (var row in MobileNetV2Table.Rows)
        {
            var declared = (Scaled(row.Input.Size, r), row.Input.Channels);
            switch (row.Operator)
            {
                case V2Operator.Conv2d or V2Operator.Conv2d1x1:
                {
                    var block = Block(report, $"features.{index++}");
                    Assert.Equal(declared, SizeOf(block.Input));
                    Assert.Equal(row.C, block.Output.C);
                    break;
                }
                case V2Operator.Bottleneck:
                    for (var k = 0; k < row.N; k++)
                    {
                        var block = Block(report, $"features.{index++}");
                        var expected = k == 0 ? declared : (declared.Item1 / row.S, row.C!.Value);
                        Assert.Equal((block.Name, expected), (block.Name, SizeOf(block.Input)));
                        Assert.Equal((block.Name, row.C!.Value), (block.Name, block.Output.C));
                    }
                    break;
                case V2Operator.AvgPool7x7:
                    Assert.Equal(declared, SizeOf(g.ShapeOf(Only<GlobalAveragePoolOp>(g, "classifier").Inputs[0])));
                    break;
                case V2Operator.Classifier:
                    Assert.Equal(declared, SizeOf(g.ShapeOf(Only<GemmOp>(g, "classifier").Inputs[0])));
                    break;
            }
        }
    }

    [Theory]
    [InlineData(MobileNetV3Variant.Large, 224)]
    [InlineData(MobileNetV3Variant.Large, 256)]
    [InlineData(MobileNetV3Variant.Large, 192)]
    [InlineData(MobileNetV3Variant.Large, 160)]
    [InlineData(MobileNetV3Variant.Large, 128)]
    [InlineData(MobileNetV3Variant.Large, 96)]
    [InlineData(MobileNetV3Variant.Small, 224)]
    [InlineData(MobileNetV3Variant.Small, 256)]
    [InlineData(MobileNetV3Variant.Small, 160)]
    [InlineData(MobileNetV3Variant.Small, 128)]
    [InlineData(MobileNetV3Variant.Small, 96)]
    public void MobileNetV3_tables(MobileNetV3Variant variant, int r)
    {
        var report = CostReport.Analyze(MobileNetV3.Build(new MobileNetV3Config { Variant = variant, Resolution = r }));
        var g = report.Graph;
        var heads = g.Nodes.Where(n => n.Block == "classifier" && n.Op is GemmOp).ToArray();
        var index = 0;
        var head = 0;
        foreach (var row in MobileNetV3Table.For(variant))
        {
            var declared = (Scaled(row.Input.Size, r), row.Input.Channels);
            switch (row.Operator)
            {
                case V3Operator.Conv2d or V3Operator.Bneck:
                {
                    var block = Block(report, $"features.{index}");
                    var nodes = g.Nodes.Where(n => n.Block == block.Name).ToArray();
                    Assert.Equal((block.Name, declared), (block.Name, SizeOf(block.Input)));
                    Assert.Equal((block.Name, row.Out!.Value), (block.Name, block.Output.C));
                    Assert.Equal((block.Name, declared.Item1 / row.S), (block.Name, block.Output.H));
                    if (row.Operator == V3Operator.Bneck)
                    {
                        var dw = nodes.Single(n => n.Op is Conv2dOp { Groups: > 1 } c && c.KernelH == row.Kernel);
                        Assert.Equal((block.Name, row.ExpSize!.Value), (block.Name, g.ShapeOf(dw.Outputs[0]).C));
                        Assert.Equal((block.Name, row.SE), (block.Name, nodes.Any(n => n.Op is MulOp)));
                    }
                    index++;
                    break;
                }
                case V3Operator.Pool:
                    Assert.Equal(declared, SizeOf(g.ShapeOf(Only<GlobalAveragePoolOp>(g, "classifier").Inputs[0])));
                    break;
                case V3Operator.Conv2dNbn:
                {
                    var fc = heads[head++];
                    Assert.Equal(declared, SizeOf(g.ShapeOf(fc.Inputs[0])));
                    Assert.Equal(row.Out ?? 1000, g.ShapeOf(fc.Outputs[0]).C);
                    break;
                }
            }
        }
        Assert.Equal(heads.Length, head);
    }

    public static TheoryData<int, int> ShuffleNetV1Cases()
    {
        var data = new TheoryData<int, int>();
        foreach (var groups in ShuffleNetV1Table.Groups)
        {
            foreach (var r in new[] { 224, 192, 160, 128 }) data.Add(groups, r);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ShuffleNetV1Cases))]
    public void ShuffleNetV1_table(int groups, int r)
    {
        var report = CostReport.Analyze(ShuffleNetV1.Build(new ShuffleNetV1Config { Groups = groups, Resolution = r }));
        WalkShuffleNet(report, ShuffleNetV1Rows(groups), r);
    }

    public static TheoryData<double, int> ShuffleNetV2Cases()
    {
        var data = new TheoryData<double, int>();
        foreach (var scale in LightNets.Models.ShuffleNetV2.OutputChannels.Scales)
        {
            foreach (var r in new[] { 224, 192, 160, 128 }) data.Add(scale, r);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ShuffleNetV2Cases))]
    public void ShuffleNetV2_table(double scale, int r)
    {
        var report = CostReport.Analyze(ShuffleNetV2.Build(new ShuffleNetV2Config { Scale = scale, Resolution = r }));
        WalkShuffleNet(report, ShuffleNetV2Rows(scale), r);
    }

    /// <summary>
    /// The ShuffleNet tables chain on their own, for every g and scale: each row's input is the previous row's output. A
    /// conv, the max pool or a unit row divides the size by its stride; a pool keeps the channels; the global pool's window
    /// is the whole map; a stride-1 unit keeps its input's width; every unit's widths divide as its unit needs.
    /// </summary>
    [Theory]
    [MemberData(nameof(ShuffleNetV1Groups))]
    public void ShuffleNetV1_rows_chain(int groups) =>
        ChainShuffleNet(ShuffleNetV1Rows(groups), (cin, cout, stride) =>
            cout / 4 % groups == 0 && (stride == 1 ? cout == cin && cout % groups == 0 : (cout - cin) % groups == 0 && cout > cin));

    [Theory]
    [MemberData(nameof(ShuffleNetV2Scales))]
    public void ShuffleNetV2_rows_chain(double scale) =>
        ChainShuffleNet(ShuffleNetV2Rows(scale), (cin, cout, stride) => cout % 2 == 0 && (stride == 2 || cout == cin));

    public static TheoryData<int> ShuffleNetV1Groups() => new(ShuffleNetV1Table.Groups);

    public static TheoryData<double> ShuffleNetV2Scales() => new(LightNets.Models.ShuffleNetV2.OutputChannels.Scales);

    private static ShuffleNetRow[] ShuffleNetV1Rows(int groups) => ShuffleNetV1Table.Rows.Select(row => new ShuffleNetRow(row.Layer switch
    {
        V1Layer.Image => Probe.Input,
        V1Layer.Conv1 => Probe.StemConv,
        V1Layer.MaxPool => Probe.StemPool,
        V1Layer.Stage2 or V1Layer.Stage3 or V1Layer.Stage4 => Probe.Units,
        V1Layer.GlobalPool => Probe.GlobalPool,
        V1Layer.FC => Probe.Output,
        _ => throw new ArgumentOutOfRangeException(nameof(row), row.Layer, null),
    }, row.Layer.ToString(), row.OutputSize, row.KSize, row.Stride, row.Repeat, row.OutputChannels?[groups])).ToArray();

    private static ShuffleNetRow[] ShuffleNetV2Rows(double scale) => ShuffleNetV2Table.Rows.Select(row => new ShuffleNetRow(row.Layer switch
    {
        V2Layer.Image => Probe.Input,
        V2Layer.Conv1 => Probe.StemConv,
        V2Layer.MaxPool => Probe.StemPool,
        V2Layer.Stage2 or V2Layer.Stage3 or V2Layer.Stage4 => Probe.Units,
        V2Layer.Conv5 => Probe.Conv5,
        V2Layer.GlobalPool => Probe.GlobalPool,
        V2Layer.FC => Probe.Output,
        _ => throw new ArgumentOutOfRangeException(nameof(row), row.Layer, null),
    }, row.Layer.ToString(), row.OutputSize, row.KSize, row.Stride, row.Repeat, row.OutputChannels?[scale])).ToArray();

    /// <param name="rows">One table, read for one g or scale.</param>
    /// <param name="unitWidths">Whether a unit can map C_in to C_out at this stride.</param>
    private static void ChainShuffleNet(IReadOnlyList<ShuffleNetRow> rows, Func<int, int, int, bool> unitWidths)
    {
        Assert.Equal((Probe.Input, 224, 3), (rows[0].Probe, rows[0].Size, rows[0].Channels));
        var (size, channels) = (rows[0].Size, rows[0].Channels!.Value);
        foreach (var row in rows.Skip(1))
        {
            int Strided() => (size + row.Stride!.Value - 1) / row.Stride.Value;
            var expected = row.Probe switch
            {
                Probe.StemConv or Probe.Conv5 => (Strided(), row.Channels!.Value),
                Probe.StemPool => (Strided(), channels),
                Probe.Units => (Strided(), row.Channels!.Value),
                Probe.GlobalPool => (1, channels),
                Probe.Output => (1, 1000),
                _ => throw new ArgumentOutOfRangeException(nameof(rows), row.Probe, null),
            };
            if (row.Probe == Probe.GlobalPool) Assert.Equal((row.Layer, size), (row.Layer, row.KSize!.Value));
            if (row.Probe == Probe.Output) Assert.Equal((row.Layer, 1), (row.Layer, size));
            if (row.Probe == Probe.Units)
            {
                Assert.True(row.Repeat >= 1 && unitWidths(channels, row.Channels!.Value, row.Stride!.Value),
                    $"{row.Layer}: {row.Repeat} units of stride {row.Stride} cannot take {channels} channels to {row.Channels}");
            }
            Assert.Equal((row.Layer, expected), (row.Layer, (row.Size, row.Channels ?? channels)));
            (size, channels) = expected;
        }
    }

    /// <summary>Where in the graph a ShuffleNet table row's output is found.</summary>
    private enum Probe { Input, StemConv, StemPool, Units, Conv5, GlobalPool, Output }

    /// <summary>A row of either ShuffleNet table, its channels read for one g or scale.</summary>
    private readonly record struct ShuffleNetRow(Probe Probe, string Layer, int Size, int? KSize, int? Stride, int Repeat, int? Channels);

    /// <summary>Both ShuffleNet tables declare each layer's output size and channels (none for the pools: unchanged).</summary>
    private static void WalkShuffleNet(CostReport report, IEnumerable<ShuffleNetRow> rows, int r)
    {
        var g = report.Graph;
        var stage = "";
        var unit = 0;
        var channels = 0;
        foreach (var row in rows)
        {
            var size = Scaled(row.Size, r);
            Shape actual;
            switch (row.Probe)
            {
                case Probe.Input:
                    actual = g.Input.Shape;
                    break;
                case Probe.StemConv:
                {
                    var conv = g.Nodes.First(n => n.Block == "stem" && n.Op is Conv2dOp);
                    Assert.Equal((row.KSize, row.Stride), (((Conv2dOp)conv.Op).KernelH, ((Conv2dOp)conv.Op).StrideH));
                    actual = g.ShapeOf(conv.Outputs[0]);
                    break;
                }
                case Probe.StemPool:
                {
                    var pool = Only<MaxPoolOp>(g, "stem");
                    Assert.Equal((row.KSize, row.Stride), (((MaxPoolOp)pool.Op).KernelH, ((MaxPoolOp)pool.Op).StrideH));
                    actual = g.ShapeOf(pool.Outputs[0]);
                    break;
                }
                case Probe.Conv5:
                    actual = Block(report, "conv5").Output;
                    break;
                case Probe.GlobalPool:
                    actual = g.ShapeOf(Only<GlobalAveragePoolOp>(g, "classifier").Outputs[0]);
                    break;
                case Probe.Output:
                    actual = g.ShapeOf(g.Output);
                    break;
                case Probe.Units:
                    if (row.Layer != stage) (stage, unit) = (row.Layer, 0);
                    for (var k = 0; k < row.Repeat - 1; k++, unit++)
                        Assert.Equal((row.Channels!.Value, size), (Block(report, $"stage{stage[^1]}.{unit}").Output.C, Block(report, $"stage{stage[^1]}.{unit}").Output.H));
                    actual = Block(report, $"stage{stage[^1]}.{unit++}").Output;
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(rows), row.Probe, null);
            }
            channels = row.Channels ?? channels;
            Assert.Equal((row.Layer, size, channels), (row.Layer, actual.H, actual.C));
        }
    }
}
