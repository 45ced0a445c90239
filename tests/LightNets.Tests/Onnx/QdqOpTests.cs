using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Tests.Runtime;
using static LightNets.Tests.Onnx.OnnxProtoBuilder;
using static LightNets.Tests.Onnx.QdqFixtures;

namespace LightNets.Tests.Onnx;

/// <summary>
/// QuantizeLinear/DequantizeLinear as each opset from 10 to 21 defines them, on hand-built models checked against ONNX
/// Runtime: per tensor and per axis, with and without zero points, Q-21's output_dtype, and the weight forms (int8
/// initializers, Constant nodes, Gemm's layouts) with the WeightQuant each gives.
/// </summary>
public class QdqOpTests
{
    private const int UInt8 = 2, Int8 = 3;

    /// <summary>
    /// Imports the model, runs both engines on a seeded input (×3: past the grid's range) and returns the graph. A
    /// quantized output (<paramref name="step"/>) is compared within one step; a float one (null) to float precision.
    /// ORT runs with basic optimizations, i.e. the ops as the file states them: with all of them it may quantize a float
    /// input of a MatMul on the fly (dynamic quantization), an approximation of the file, not its meaning.
    /// </summary>
    private static Graph MatchesOnnxRuntime(OnnxProtoBuilder b, float? step, params int[] dims)
    {
        var input = new Rng(17).NormalTensor(dims);
        foreach (ref var v in input.Span) v *= 3;
        var graph = OnnxImporter.Import(b.Model, null);
        var expected = QdqFixtures.RunOnnxRuntime(b.Model, input, Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_BASIC);
        var actual = ReferenceInterpreter.Run(graph, input);
        if (step is { } s) WithinOneStep(expected, actual, s, 0.02, "reference vs ONNX Runtime");
        else
        {
            Assert.Equal(expected.Shape, actual.Shape);
            ReferenceAssert.Close(expected.Data, actual.Data, 1e-5f);
        }
        return graph;
    }

    private static QuantParams FakeQuant(Graph g) => ((FakeQuantizeOp)g.Nodes.Single(n => n.Op is FakeQuantizeOp).Op).Params;

    [Theory]
    [InlineData(10)]
    [InlineData(13)]
    [InlineData(19)]
    [InlineData(21)]
    public void A_per_tensor_pair_is_one_FakeQuantize_at_every_opset(int opset)
    {
        var b = new OnnxProtoBuilder(opset).Input("x", 1, 4, 3, 3).Output("y");
        Scales(b, "s", 0.05f);
        IntInit(b, "z", UInt8, [], 128);
        b.Node("QuantizeLinear", ["x", "s", "z"], ["q"]);
        b.Node("DequantizeLinear", ["q", "s", "z"], ["dq"]);
        b.Node("Relu", ["dq"], ["y"]);
        var g = MatchesOnnxRuntime(b, 0.05f, 1, 4, 3, 3);
        Assert.Equal([OpKind.FakeQuantize, OpKind.Relu], g.Nodes.Select(n => n.Kind));
        Assert.Equal(QuantParams.PerTensor(0.05f, 128, QuantType.UInt8), FakeQuant(g));
    }

    /// <summary>No zero point: uint8 and 0 for Q (opset 10 on), the input's type for DQ.</summary>
    [Fact]
    public void Without_zero_points_the_pair_is_uint8_with_zero_point_0()
    {
        var b = new OnnxProtoBuilder(10).Input("x", 1, 4, 3, 3).Output("y");
        Scales(b, "s", 0.03f);
        b.Node("QuantizeLinear", ["x", "s"], ["q"]);
        b.Node("DequantizeLinear", ["q", "s"], ["y"]);
        var g = MatchesOnnxRuntime(b, 0.03f, 1, 4, 3, 3);
        Assert.Equal(QuantParams.PerTensor(0.03f, 0, QuantType.UInt8), FakeQuant(g));
        Assert.Equal("y", g.Output);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(-3L)]
    [InlineData(null)] // the default axis is 1
    public void Per_axis_activations_along_the_channels(long? axis)
    {
        var b = new OnnxProtoBuilder(13).Input("x", 2, 4, 3, 3).Output("y");
        Scales(b, "s", 0.05f, 0.1f, 0.02f, 0.5f);
        IntInit(b, "z", Int8, [4], -3, 0, 5, 127);
        var attrs = axis is { } a ? new[] { Attr("axis", a) } : [];
        b.Node("QuantizeLinear", ["x", "s", "z"], ["q"], attrs);
        b.Node("DequantizeLinear", ["q", "s", "z"], ["y"], attrs);
        var g = MatchesOnnxRuntime(b, 0.02f, 2, 4, 3, 3);
        Assert.Equal(new QuantParams([0.05f, 0.1f, 0.02f, 0.5f], [-3, 0, 5, 127], QuantType.Int8, axis: 1), FakeQuant(g));
    }

    /// <summary>Opset 21: output_dtype gives Q's type without a zero point; saturate (float8 only) is ignored.</summary>
    [Fact]
    public void Opset_21_output_dtype_and_saturate()
    {
        var b = new OnnxProtoBuilder(21).Input("x", 1, 4, 3, 3).Output("y");
        Scales(b, "s", 0.04f);
        b.Node("QuantizeLinear", ["x", "s"], ["q"], Attr("output_dtype", (long)Int8), Attr("saturate", 1L));
        b.Node("DequantizeLinear", ["q", "s"], ["y"]);
        var g = MatchesOnnxRuntime(b, 0.04f, 1, 4, 3, 3);
        Assert.Equal(QuantParams.PerTensor(0.04f, 0, QuantType.Int8), FakeQuant(g));
    }

    /// <summary>
    /// int8 weights, scale and zero point from Constant nodes (opset 13, per tensor), and a uint8 weight grid, which
    /// folds to the same float values but gets no WeightQuant: the int8 compiler takes symmetric int8 weights only.
    /// </summary>
    [Theory]
    [InlineData(Int8, 0L, true)]
    [InlineData(UInt8, 128L, false)]
    [InlineData(Int8, 3L, false)] // asymmetric
    public void Conv_weights_from_a_DequantizeLinear_of_constants(int type, long zero, bool weightQuant)
    {
        var b = new OnnxProtoBuilder(13).Input("x", 1, 2, 5, 5).Output("y");
        var values = Enumerable.Range(0, 3 * 2 * 3 * 3).Select(i => (long)((i * 37 % 200) - 100 + (type == UInt8 ? 128 : 0))).ToArray();
        IntInit(b, "w_q", type, [3, 2, 3, 3], values);
        b.Node("Constant", [], ["w_s"], new global::Onnx.AttributeProto { Name = "value", Type = global::Onnx.AttributeProto.Types.AttributeType.Tensor, T = FloatTensor("", [], [0.01f]) });
        var zp = new global::Onnx.TensorProto { DataType = type };
        zp.Int32Data.Add((int)zero);
        b.Node("Constant", [], ["w_z"], new global::Onnx.AttributeProto { Name = "value", Type = global::Onnx.AttributeProto.Types.AttributeType.Tensor, T = zp });
        b.Node("DequantizeLinear", ["w_q", "w_s", "w_z"], ["w"]);
        b.Node("Conv", ["x", "w"], ["y"], Attr("pads", 1, 1, 1, 1));
        var g = MatchesOnnxRuntime(b, null, 1, 2, 5, 5);
        var conv = Assert.IsType<Conv2dOp>(Assert.Single(g.Nodes).Op);
        Assert.Equal(weightQuant ? QuantParams.PerTensor(0.01f, 0, QuantType.Int8) : null, conv.WeightQuant);
        Assert.Equal(values.Select(q => (q - zero) * 0.01f), g.Initializers[g.Nodes[0].Inputs[1]].Data);
    }

    /// <summary>
    /// Gemm's B as [K, M] (transB = 0) with per-channel scales along axis 1 is stored transposed: WeightQuant along
    /// axis 0; alpha ≠ 1 scales the weights off their grid, so none.
    /// </summary>
    [Theory]
    [InlineData(0L, 1f, true)]
    [InlineData(1L, 1f, true)]
    [InlineData(0L, 0.5f, false)]
    public void Gemm_weights_per_output_feature_in_either_layout(long transB, float alpha, bool weightQuant)
    {
        var b = new OnnxProtoBuilder(13).Input("x", 2, 4).Output("y");
        long[] dims = transB == 1 ? [3, 4] : [4, 3];
        IntInit(b, "w_q", Int8, dims, Enumerable.Range(0, 12).Select(i => (long)(i * 29 % 255 - 127)).ToArray());
        Scales(b, "w_s", 0.1f, 0.02f, 0.3f);
        IntInit(b, "w_z", Int8, [3], 0, 0, 0);
        b.Node("DequantizeLinear", ["w_q", "w_s", "w_z"], ["w"], Attr("axis", transB == 1 ? 0L : 1L));
        b.Random("bias", 3);
        b.Node("Gemm", ["x", "w", "bias"], ["y"], Attr("transB", transB), Attr("alpha", alpha));
        var g = MatchesOnnxRuntime(b, null, 2, 4);
        var gemm = Assert.IsType<GemmOp>(Assert.Single(g.Nodes).Op);
        Assert.Equal(weightQuant ? new QuantParams([0.1f, 0.02f, 0.3f], [0, 0, 0], QuantType.Int8, axis: 0) : null, gemm.WeightQuant);
    }

    /// <summary>
    /// A Q of float weights and a DQ with other parameters folds exactly as ONNX computes it (constants may differ:
    /// only a feature map's pair must agree, since it becomes one FakeQuantize); the DQ's grid is the weights'.
    /// </summary>
    [Fact]
    public void Quantize_then_dequantize_of_float_weights_folds_onto_the_dequantizers_grid()
    {
        var b = new OnnxProtoBuilder(13).Input("x", 1, 2, 4, 4).Output("y");
        b.Random("w", 3, 2, 1, 1);
        Scales(b, "qs", 0.05f, 0.1f, 0.2f);
        Scales(b, "ds", 0.04f, 0.1f, 0.25f);
        IntInit(b, "z", Int8, [3], 0, 0, 0);
        b.Node("QuantizeLinear", ["w", "qs", "z"], ["wq"], Attr("axis", 0L));
        b.Node("DequantizeLinear", ["wq", "ds", "z"], ["wd"], Attr("axis", 0L));
        b.Node("Conv", ["x", "wd"], ["y"]);
        var g = MatchesOnnxRuntime(b, null, 1, 2, 4, 4);
        Assert.Equal(new QuantParams([0.04f, 0.1f, 0.25f], [0, 0, 0], QuantType.Int8, axis: 0), ((Conv2dOp)g.Nodes[0].Op).WeightQuant);
    }

    /// <summary>A DequantizeLinear of int32 values (a bias) and of a uint8 constant added to a feature map: plain float constants.</summary>
    [Fact]
    public void Dequantized_constants_elsewhere_are_float_constants()
    {
        var b = new OnnxProtoBuilder(13).Input("x", 1, 3, 2, 2).Output("y");
        IntInit(b, "c_q", UInt8, [1, 3, 1, 1], 0, 77, 255);
        Scales(b, "c_s", 0.02f);
        IntInit(b, "c_z", UInt8, [], 100);
        b.Node("DequantizeLinear", ["c_q", "c_s", "c_z"], ["c"]);
        IntInit(b, "d_q", 6, [3], -100000, 5, 2147483647);
        Scales(b, "d_s", 1e-6f);
        b.Node("DequantizeLinear", ["d_q", "d_s"], ["d"]);
        b.Ints("shape", 1, 3, 1, 1);
        b.Node("Reshape", ["d", "shape"], ["d_r"]);
        b.Node("Add", ["x", "c"], ["a"]);
        b.Node("Mul", ["a", "d_r"], ["y"]);
        var g = MatchesOnnxRuntime(b, null, 1, 3, 2, 2);
        Assert.Equal([OpKind.Add, OpKind.Mul], g.Nodes.Select(n => n.Kind));
        Assert.Equal([-100 * 0.02f, -23 * 0.02f, 155 * 0.02f], g.Initializers[g.Nodes[0].Inputs[1]].Data);
        Assert.Equal([-100000 * 1e-6f, 5 * 1e-6f, int.MaxValue * 1e-6f], g.Initializers[g.Nodes[1].Inputs[1]].Data);
    }
}
