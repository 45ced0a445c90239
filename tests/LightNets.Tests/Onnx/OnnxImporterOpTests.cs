using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Tests.Runtime;
using Onnx;
using static LightNets.Tests.Onnx.OnnxProtoBuilder;

namespace LightNets.Tests.Onnx;

/// <summary>
/// Each op mapping on a hand-built model: the imported graph has the expected IR ops and computes what ONNX Runtime
/// computes on the original model.
/// </summary>
public class OnnxImporterOpTests
{
    /// <summary>A few float32 operations in a different order than ONNX Runtime's kernels.</summary>
    private const float Tolerance = 1e-5f;

    private static Graph ImportMatchesOnnxRuntime(OnnxProtoBuilder b, params int[] inputDims)
    {
        var input = new Rng(42).NormalTensor(inputDims);
        var expected = b.RunOnnxRuntime(input);
        var graph = OnnxImporter.Import(b.Model, null);
        var actual = ReferenceInterpreter.Run(graph, input);
        Assert.Equal(expected.Shape, actual.Shape);
        ReferenceAssert.Close(expected.Data, actual.Data, Tolerance);
        return graph;
    }

    private static OpKind[] Kinds(Graph g) => g.Nodes.Select(n => n.Kind).ToArray();

    [Theory]
    [InlineData("SAME_UPPER", 0, 0, 1, 1)]
    [InlineData("SAME_LOWER", 1, 1, 0, 0)]
    [InlineData("VALID", 0, 0, 0, 0)]
    [InlineData("NOTSET", 0, 1, 1, 0)]
    public void Conv_padding_modes(string autoPad, int top, int left, int bottom, int right)
    {
        var b = new OnnxProtoBuilder().Input("x", 1, 2, 8, 8).Output("y");
        b.Random("w", 4, 2, 3, 3);
        b.Random("bias", 4);
        var attrs = new List<AttributeProto> { Attr("strides", 2, 2), Attr("auto_pad", autoPad) };
        if (autoPad == "NOTSET") attrs.Add(Attr("pads", 0, 1, 1, 0));
        b.Node("Conv", ["x", "w", "bias"], ["y"], [.. attrs]);

        var g = ImportMatchesOnnxRuntime(b, 1, 2, 8, 8);
        var conv = Assert.IsType<Conv2dOp>(Assert.Single(g.Nodes).Op);
        Assert.Equal(new Padding2d(top, left, bottom, right), conv.Padding);
    }

    [Fact]
    public void Grouped_dilated_conv()
    {
        var b = new OnnxProtoBuilder(11).Input("x", 1, 4, 9, 9).Output("y");
        b.Random("w", 6, 2, 3, 3);
        b.Node("Conv", ["x", "w"], ["y"], Attr("group", 2L), Attr("dilations", 2, 2), Attr("pads", 2, 2, 2, 2), Attr("kernel_shape", 3, 3));
        var g = ImportMatchesOnnxRuntime(b, 1, 4, 9, 9);
        Assert.Equal(new Conv2dOp(3, 3, 1, 1, Padding2d.Symmetric(2), 2, 2, 2), g.Nodes[0].Op);
    }

    [Fact]
    public void Gemm_with_transB_0_alpha_and_beta_folds_into_weights()
    {
        var b = new OnnxProtoBuilder().Input("x", 2, 5).Output("y");
        b.Random("B", 5, 3);
        b.Random("C", 1, 3);
        b.Node("Gemm", ["x", "B", "C"], ["y"], Attr("alpha", 0.5f), Attr("beta", 2f));
        var g = ImportMatchesOnnxRuntime(b, 2, 5);
        var gemm = Assert.Single(g.Nodes);
        Assert.Equal(new Shape(3, 5), g.ShapeOf(gemm.Inputs[1]));
        Assert.Equal(new Shape(3), g.ShapeOf(gemm.Inputs[2]));
    }

    [Fact]
    public void Gemm_with_transB_1_keeps_the_initializer()
    {
        var b = new OnnxProtoBuilder().Input("x", 2, 5).Output("y");
        b.Random("fc.weight", 3, 5);
        b.Random("fc.bias", 3);
        b.Node("Gemm", ["x", "fc.weight", "fc.bias"], ["y"], Attr("transB", 1L));
        var g = ImportMatchesOnnxRuntime(b, 2, 5);
        Assert.Equal(["x", "fc.weight", "fc.bias"], g.Nodes[0].Inputs);
    }

    [Fact]
    public void MatMul_then_Add_becomes_one_Gemm()
    {
        var b = new OnnxProtoBuilder().Input("x", 2, 5).Output("y");
        b.Random("W", 5, 3);
        b.Random("bias", 3);
        b.Node("MatMul", ["x", "W"], ["xw"]);
        b.Node("Add", ["bias", "xw"], ["y"]);
        var g = ImportMatchesOnnxRuntime(b, 2, 5);
        Assert.Equal([OpKind.Gemm], Kinds(g));
        Assert.Equal(3, g.Nodes[0].Inputs.Count);
    }

    [Fact]
    public void MatMul_plus_a_column_is_not_a_bias()
    {
        var b = new OnnxProtoBuilder().Input("x", 3, 5).Output("y");
        b.Random("W", 5, 3);
        b.Random("col", 3, 1);
        b.Node("MatMul", ["x", "W"], ["xw"]);
        b.Node("Add", ["xw", "col"], ["y"]);
        Assert.Equal([OpKind.Gemm, OpKind.Add], Kinds(ImportMatchesOnnxRuntime(b, 3, 5)));
    }

    [Fact]
    public void MatMul_alone_is_a_biasless_Gemm()
    {
        var b = new OnnxProtoBuilder().Input("x", 2, 5).Output("y");
        b.Random("W", 5, 3);
        b.Node("MatMul", ["x", "W"], ["y"]);
        var g = ImportMatchesOnnxRuntime(b, 2, 5);
        Assert.Equal(2, Assert.Single(g.Nodes).Inputs.Count);
    }

    [Theory]
    [InlineData(0L, new[] { OpKind.GlobalAveragePool, OpKind.Flatten })]
    [InlineData(1L, new[] { OpKind.GlobalAveragePool })]
    public void ReduceMean_over_height_and_width(long keepdims, OpKind[] expected)
    {
        var b = new OnnxProtoBuilder().Input("x", 2, 3, 4, 5).Output("y");
        b.Node("ReduceMean", ["x"], ["y"], Attr("axes", -1, 2), Attr("keepdims", keepdims));
        Assert.Equal(expected, Kinds(ImportMatchesOnnxRuntime(b, 2, 3, 4, 5)));
    }

    [Theory]
    [InlineData(11, new[] { 1, 3 })]
    [InlineData(13, new[] { 3, 1 })]
    [InlineData(13, null)]
    [InlineData(11, null)]
    public void Split_on_channels(int opset, int[]? sizes)
    {
        var b = new OnnxProtoBuilder(opset).Input("x", 1, 4, 3, 3).Output("y");
        var inputs = new List<string> { "x" };
        var attrs = new List<AttributeProto> { Attr("axis", 1L) };
        if (sizes is not null && opset >= 13) inputs.Add(b.Ints("sizes", sizes.Select(s => (long)s).ToArray()));
        if (sizes is not null && opset < 13) attrs.Add(Attr("split", sizes.Select(s => (long)s).ToArray()));
        b.Node("Split", [.. inputs], ["a", "b"], [.. attrs]);
        b.Node("Concat", ["b", "a"], ["y"], Attr("axis", -3L));
        var g = ImportMatchesOnnxRuntime(b, 1, 4, 3, 3);
        Assert.Equal([OpKind.Split, OpKind.Concat], Kinds(g));
        Assert.Equal(new SplitOp(sizes ?? [2, 2]), g.Nodes[0].Op);
    }

    [Theory]
    [InlineData(13, -1L, 2, 5)]
    [InlineData(11, null, 2, 5)]
    [InlineData(13, 1L, 1, 3, 2, 2)]
    public void Softmax_over_classes_or_channels(int opset, long? axis, params int[] dims)
    {
        var b = new OnnxProtoBuilder(opset).Input("x", [.. dims.Cast<object>()]).Output("y");
        b.Node("Softmax", ["x"], ["y"], axis is { } a ? [Attr("axis", a)] : []);
        Assert.Equal([OpKind.Softmax], Kinds(ImportMatchesOnnxRuntime(b, dims)));
    }

    [Fact]
    public void Clip_bounds_from_initializers_and_Constant_nodes()
    {
        var b = new OnnxProtoBuilder(11).Input("x", 1, 2, 3, 3).Output("y");
        b.Float("zero", [], [0f]);
        b.Float("six", [], [6f]);
        b.Node("Constant", [], ["lo"], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = FloatTensor("", [], [-0.5f]) });
        b.Node("Constant", [], ["hi"], Attr("value_float", 0.75f));
        b.Node("Clip", ["x", "zero", "six"], ["r6"]);
        b.Node("Clip", ["r6", "zero"], ["r"]);
        b.Node("Clip", ["x", "lo", "hi"], ["c"]);
        b.Node("Add", ["r", "c"], ["y"]);
        var g = ImportMatchesOnnxRuntime(b, 1, 2, 3, 3);
        Assert.True(((ClipOp)g.Nodes[0].Op).IsRelu6);
        Assert.IsType<ReluOp>(g.Nodes[1].Op);
        Assert.Equal(new ClipOp(-0.5f, 0.75f), g.Nodes[2].Op);
        Assert.Empty(g.Initializers);
    }

    [Fact]
    public void HardSigmoid_times_its_input_is_HardSwish_in_either_order()
    {
        var b = new OnnxProtoBuilder(13).Input("x", 1, 2, 3, 3).Output("y");
        var hs = b.Node("HardSigmoid", "x", Attr("alpha", 1f / 6f), Attr("beta", 0.5f));
        b.Node("Mul", ["x", hs], ["s1"]);
        var hs2 = b.Node("HardSigmoid", "s1", Attr("alpha", 0.16666667f));
        b.Node("Mul", [hs2, "s1"], ["s2"]);
        var gate = b.Node("HardSigmoid", "x");
        b.Node("Mul", [gate, "s2"], ["y"]);
        var g = ImportMatchesOnnxRuntime(b, 1, 2, 3, 3);
        Assert.Equal([OpKind.HardSwish, OpKind.HardSwish, OpKind.HardSigmoid, OpKind.Mul], Kinds(g));
        Assert.Equal(new HardSigmoidOp(0.2f, 0.5f), g.Nodes[2].Op);
    }

    [Fact]
    public void Arithmetic_with_constants()
    {
        var b = new OnnxProtoBuilder().Input("x", 1, 3, 2, 2).Output("y");
        b.Random("scale", 3, 1, 1);
        b.Float("shift", [], [0.25f]);
        b.Random("sub", 1, 3, 1, 1);
        b.Float("div", [1], [4f]);
        b.Node("Mul", ["scale", "x"], ["a"]);
        b.Node("Add", ["a", "shift"], ["c"]);
        b.Node("Sub", ["c", "sub"], ["d"]);
        b.Node("Div", ["d", "div"], ["e"]);
        b.Node("Sigmoid", ["e"], ["f"]);
        b.Node("Add", ["f", "x"], ["y"]);
        var g = ImportMatchesOnnxRuntime(b, 1, 3, 2, 2);
        Assert.Equal([OpKind.Mul, OpKind.Add, OpKind.Add, OpKind.Mul, OpKind.Sigmoid, OpKind.Add], Kinds(g));
        Assert.Equal("x", g.Nodes[0].Inputs[0]);
    }

    [Theory]
    [InlineData("MaxPool", 1L, 0L)]
    [InlineData("AveragePool", 0L, 0L)]
    [InlineData("AveragePool", 1L, 1L)]
    [InlineData("AveragePool", 0L, 1L)]
    public void Pooling_with_padding_and_ceil_mode(string op, long ceil, long countIncludePad)
    {
        var b = new OnnxProtoBuilder().Input("x", 1, 2, 8, 8).Output("y");
        List<AttributeProto> attrs = [Attr("kernel_shape", 3, 3), Attr("strides", 2, 2), Attr("pads", 1, 0, 1, 1), Attr("ceil_mode", ceil)];
        if (op == "AveragePool") attrs.Add(Attr("count_include_pad", countIncludePad));
        b.Node(op, ["x"], ["p"], [.. attrs]);
        b.Node("GlobalAveragePool", ["p"], ["y"]);
        ImportMatchesOnnxRuntime(b, 1, 2, 8, 8);
    }

    [Fact]
    public void BatchNormalization_in_inference()
    {
        var b = new OnnxProtoBuilder(15).Input("x", 2, 3, 2, 2).Output("y");
        b.Random("gamma", 3);
        b.Random("beta", 3);
        b.Random("mean", 3);
        b.Float("var", [3], [0.5f, 1f, 2f]);
        b.Node("BatchNormalization", ["x", "gamma", "beta", "mean", "var"], ["y"], Attr("epsilon", 1e-3f));
        Assert.Equal(new BatchNormOp(1e-3f), ImportMatchesOnnxRuntime(b, 2, 3, 2, 2).Nodes[0].Op);
    }

    [Fact]
    public void Slices_on_channels_with_clamped_ends()
    {
        var b = new OnnxProtoBuilder().Input("x", 1, 6, 2, 2).Output("y");
        b.Ints("s1", 2, 0);
        b.Ints("e1", long.MaxValue, long.MaxValue);
        b.Ints("a1", 1, 3);
        b.Ints("s2", -6);
        b.Ints("e2", 2);
        b.Ints("a2", 1);
        b.Node("Slice", ["x", "s1", "e1", "a1"], ["hi"]);
        b.Node("Slice", ["x", "s2", "e2", "a2"], ["lo"]);
        b.Node("Concat", ["hi", "lo"], ["y"], Attr("axis", 1L));
        var g = ImportMatchesOnnxRuntime(b, 1, 6, 2, 2);
        Assert.Equal(new SliceOp(2, 6), g.Nodes[0].Op);
        Assert.Equal(new SliceOp(0, 2), g.Nodes[1].Op);
    }

    [Fact]
    public void Reshape_flatten_squeeze_dropout_and_identity()
    {
        var b = new OnnxProtoBuilder(13).Input("x", 2, 3, 4, 4).Output("y");
        b.Ints("flat", 0, -1);
        b.Ints("axes", 2, 3);
        b.Random("w", 4, 48);
        b.Random("w2", 4, 3);
        b.Node("Reshape", ["x", "flat"], ["f1"]);
        b.Node("Gemm", ["f1", "w"], ["g1"], Attr("transB", 1L));
        b.Node("GlobalAveragePool", ["x"], ["gap"]);
        b.Node("Squeeze", ["gap", "axes"], ["sq"]);
        b.Node("Gemm", ["sq", "w2"], ["g2"], Attr("transB", 1L));
        b.Node("Add", ["g1", "g2"], ["sum"]);
        b.Node("Flatten", ["sum"], ["f2"], Attr("axis", 1L));
        b.Node("Dropout", ["f2"], ["d"]);
        b.Node("Identity", ["d"], ["y"]);
        var g = ImportMatchesOnnxRuntime(b, 2, 3, 4, 4);
        Assert.Equal([OpKind.Flatten, OpKind.Gemm, OpKind.GlobalAveragePool, OpKind.Flatten, OpKind.Gemm, OpKind.Add], Kinds(g));
        Assert.Equal("y", g.Output);
    }

    [Fact]
    public void Static_channel_shuffle_pattern()
    {
        var b = new OnnxProtoBuilder(11).Input("x", 1, 6, 2, 2).Output("y");
        b.Ints("five", 1, 2, 3, 2, 2);
        b.Ints("four", 1, -1, 2, 2);
        b.Node("Reshape", ["x", "five"], ["r"]);
        b.Node("Transpose", ["r"], ["t"], Attr("perm", 0, 2, 1, 3, 4));
        b.Node("Reshape", ["t", "four"], ["y"]);
        var g = ImportMatchesOnnxRuntime(b, 1, 6, 2, 2);
        Assert.Equal(new ChannelShuffleOp(2), Assert.Single(g.Nodes).Op);
    }

    [Fact]
    public void Fixed_batch_model_is_returned_for_the_requested_batch()
    {
        var name = "mobilenet_v2_025_op11_static";
        var graph = OnnxImporter.Load(OnnxFixtures.Model(name), new OnnxImportOptions { Batch = 2 });
        var one = OnnxFixtures.Input(name);
        var two = new Tensor(one.Shape.WithBatch(2), [.. one.Data, .. one.Data]);
        var expected = OnnxFixtures.Output(name).Data;
        var actual = ReferenceInterpreter.Run(graph, two).Data;
        ReferenceAssert.Close([.. expected, .. expected], actual, 1e-4f);
    }

    [Fact]
    public void Dynamic_ShuffleNet_folds_for_any_batch()
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxFixtures.Model("shufflenet_v2_tiny_op13_dyn")));
        var graph = OnnxImporter.Import(model, OnnxFixtures.Directory, new OnnxImportOptions { Batch = 3 });
        var input = new Rng(5).NormalTensor(3, 3, 48, 48);
        var expected = RunOnnxRuntime(model, input);
        ReferenceAssert.Close(expected.Data, ReferenceInterpreter.Run(graph, input).Data, 1e-4f);
    }
}
