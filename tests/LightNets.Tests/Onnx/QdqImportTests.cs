using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Tests.Onnx;

/// <summary>
/// The committed QDQ models import into FakeQuantize nodes and layers with quantized weights, and compute what ONNX
/// Runtime computes. ORT runs these files with its own int8 kernels (QLinearConv and friends: integer accumulation,
/// then one requantizing multiply), which round differently from a float convolution followed by QuantizeLinear, so a
/// value next to a rounding boundary may land on the neighbouring grid point: outputs are compared within one
/// quantization step of the output.
/// </summary>
public class QdqImportTests
{
    private static Graph Load(string name, int batch = 1) => OnnxImporter.Load(QdqFixtures.Model(name), new OnnxImportOptions { Batch = batch });

    [Theory]
    [MemberData(nameof(QdqFixtures.All), MemberType = typeof(QdqFixtures))]
    public void Reference_interpreter_matches_onnx_runtime_within_one_output_step(string name)
    {
        var graph = Load(name, QdqFixtures.Batch);
        var input = QdqFixtures.Inputs(name);
        var expected = QdqFixtures.RunOnnxRuntime(QdqFixtures.Proto(name), input);
        var actual = ReferenceInterpreter.Run(graph, input);
        // Equal on these files with ORT 1.31 on x64; a tenth of the elements may land a step apart on another ORT or CPU.
        QdqFixtures.WithinOneStep(expected, actual, QdqFixtures.OutputStep(graph), 0.1, $"{name}: reference vs ONNX Runtime");
    }

    /// <summary>The compiled (float) session sums in other orders than the reference: a step apart on ≤ 2 % of elements.</summary>
    [Theory]
    [MemberData(nameof(QdqFixtures.All), MemberType = typeof(QdqFixtures))]
    public void Compiled_session_matches_the_reference_within_one_step_on_few_elements(string name)
    {
        var graph = Load(name, QdqFixtures.Batch);
        var input = QdqFixtures.Inputs(name);
        var reference = ReferenceInterpreter.Run(graph, input);
        foreach (var threads in new[] { 1, 2 })
        {
            using var session = new InferenceSession(graph, new SessionOptions { Threads = threads, GuardBuffers = true });
            QdqFixtures.WithinOneStep(reference, session.Run(input), QdqFixtures.OutputStep(graph), 0.02, $"{name}: compiled ({threads} threads) vs reference");
        }
    }

    [Fact]
    public void PyTorch_fake_quantized_export_matches_pytorch_within_one_output_step()
    {
        const string name = "fakequant_torch_op13";
        var graph = Load(name);
        var expected = Npy.Read(Path.Combine(QdqFixtures.Directory, name + ".output.npy"));
        // PyTorch's fake quantization multiplies by 1/scale where ONNX divides: ties may round apart.
        QdqFixtures.WithinOneStep(expected, ReferenceInterpreter.Run(graph, QdqFixtures.Input(name)), QdqFixtures.OutputStep(graph), 0.2, $"{name} vs PyTorch");
    }

    /// <summary>What each file becomes: one FakeQuantize per Q–DQ pair on a feature map (Q/DQ of constants are folded).</summary>
    [Theory]
    [InlineData("qdq_mbv2_u8_perchannel_op13", 8, QuantType.UInt8)]
    [InlineData("qdq_mbv2_u8_pertensor_op10", 10, QuantType.UInt8)]
    [InlineData("qdq_mbv2_u8_reducerange_op13", 8, QuantType.UInt8)]
    [InlineData("qdq_mbv2_s8_perchannel_op13", 10, QuantType.Int8)]
    [InlineData("qdq_ops_u8_op13", 12, QuantType.UInt8)]
    [InlineData("fakequant_torch_op13", 6, QuantType.UInt8)]
    public void Each_quantize_dequantize_pair_on_a_feature_map_is_one_FakeQuantize(string name, int pairs, QuantType type)
    {
        var graph = Load(name);
        var quantizers = graph.Nodes.Where(n => n.Op is FakeQuantizeOp).Select(n => ((FakeQuantizeOp)n.Op).Params).ToArray();
        Assert.Equal(pairs, quantizers.Length);
        Assert.All(quantizers, q => Assert.Equal((type, true), (q.Type, q.IsPerTensor)));
        // Symmetric int8 activations have zero point 0, ORT's uint8 ones are asymmetric (the input's at least).
        Assert.Equal(type == QuantType.Int8, quantizers.All(q => q.IsSymmetric));
        // The output is the last pair's: LightNets' outputs stay float, on the output's grid.
        Assert.IsType<FakeQuantizeOp>(graph.Producer(graph.Output)!.Op);
    }

    [Theory]
    [InlineData("qdq_mbv2_u8_perchannel_op13", 127)]
    [InlineData("qdq_mbv2_u8_reducerange_op13", 64)]
    [InlineData("qdq_mbv2_s8_perchannel_op13", 127)]
    public void Per_channel_int8_weights_become_WeightQuant_along_axis_0_with_the_dequantized_values(string name, int qmax)
    {
        var graph = Load(name);
        var layers = graph.Nodes.Where(n => n.Op is Conv2dOp or GemmOp).ToArray();
        Assert.Equal(4, layers.Length); // stem, depthwise, project, fc
        foreach (var layer in layers)
        {
            var grid = layer.Op is Conv2dOp c ? c.WeightQuant : ((GemmOp)layer.Op).WeightQuant;
            Assert.NotNull(grid);
            var w = graph.Initializers[layer.Inputs[1]];
            Assert.Equal((QuantType.Int8, 0, w.Shape[0], true), (grid.Type, grid.Axis, grid.Scale.Count, grid.IsSymmetric));
            var inner = (int)(w.Length / w.Shape[0]);
            var largest = 0;
            for (var i = 0; i < w.Length; i++)
            {
                var q = grid.Quantize(w.Data[i], i / inner);
                Assert.Equal(w.Data[i], grid.Dequantize(q, i / inner)); // the initializer holds exactly (q − 0)·s
                largest = Math.Max(largest, Math.Abs(q));
            }
            Assert.Equal(qmax, largest); // ORT's symmetric range: the largest weight of some channel maps to ±qmax
        }
    }

    [Fact]
    public void Per_tensor_weights_and_int32_biases_fold_to_float_initializers()
    {
        var graph = Load("qdq_mbv2_u8_pertensor_op10");
        var proto = QdqFixtures.Proto("qdq_mbv2_u8_pertensor_op10");
        var stem = graph.Nodes.Single(n => n.Name == "stem");
        var grid = ((Conv2dOp)stem.Op).WeightQuant!;
        Assert.True(grid.IsPerTensor);
        float Scalar(string init) => BitConverter.ToSingle(proto.Graph.Initializer.Single(i => i.Name == init).RawData.Span);
        Assert.Equal(Scalar("stem.weight_scale"), grid.Scale[0]);
        // The bias: int32 values times their scale x_scale·w_scale, as float.
        var biasInit = proto.Graph.Initializer.Single(i => i.Name == "stem.bias_quantized");
        var q = Enumerable.Range(0, 8).Select(i => BitConverter.ToInt32(biasInit.RawData.Span[(4 * i)..])).ToArray();
        var bias = graph.Initializers[stem.Inputs[2]];
        Assert.Equal(q.Select(v => v * Scalar("stem.bias_quantized_scale")), bias.Data);
        Assert.All(graph.Initializers.Keys, k => Assert.DoesNotContain("_zero_point", k, StringComparison.Ordinal));
        // The Clip with attribute bounds (opset 10) after each Conv's own QDQ pair.
        Assert.Equal(2, graph.Nodes.Count(n => n.Op is ClipOp { IsRelu6: true }));
    }

    [Fact]
    public void A_MatMul_with_per_channel_weights_along_axis_1_is_a_Gemm_with_WeightQuant_along_axis_0()
    {
        var graph = Load("qdq_ops_u8_op13");
        var gemm = graph.Nodes.Single(n => n.Op is GemmOp);
        var grid = ((GemmOp)gemm.Op).WeightQuant!;
        var w = graph.Initializers[gemm.Inputs[1]];
        Assert.Equal(new Shape(10, 16), w.Shape); // [K, M] transposed to the IR's [M, K]
        Assert.Equal((0, 10), (grid.Axis, grid.Scale.Count));
        for (var i = 0; i < w.Length; i++) Assert.Equal(w.Data[i], grid.Dequantize(grid.Quantize(w.Data[i], i / 16), i / 16));
        // The Add of a uint8 constant (asymmetric, folded to its float values) right after the MatMul is its bias.
        Assert.Equal(3, gemm.Inputs.Count);
        Assert.DoesNotContain(graph.Nodes, n => n.Op is AddOp);
        // The Relu keeps its own pair; one FakeQuantize serves both DequantizeLinears of the Relu's QuantizeLinear.
        var relu = graph.Nodes.Single(n => n.Op is ReluOp);
        var shared = graph.Consumers(relu.Output).Single();
        Assert.IsType<FakeQuantizeOp>(shared.Op);
        Assert.Equal([OpKind.MaxPool, OpKind.AveragePool], graph.Consumers(shared.Output).Select(n => n.Kind));
    }

    [Fact]
    public void PyTorch_weights_quantized_then_dequantized_in_the_file_are_folded_onto_their_grid()
    {
        var graph = Load("fakequant_torch_op13");
        var layers = graph.Nodes.Where(n => n.Op is Conv2dOp or GemmOp).ToArray();
        Assert.Equal(4, layers.Length);
        foreach (var layer in layers)
        {
            var grid = layer.Op is Conv2dOp c ? c.WeightQuant : ((GemmOp)layer.Op).WeightQuant;
            // torch's per_channel_symmetric with quant range [-128, 127]: int8, zero point 0, along axis 0.
            Assert.NotNull(grid);
            Assert.Equal((QuantType.Int8, 0, true), (grid.Type, grid.Axis, grid.IsSymmetric));
        }
        // The fused Conv–BN keeps its BatchNorm after the conv (PyTorch's QAT form), which FoldBatchNorm can fold.
        Assert.Contains(graph.Nodes, n => n.Op is BatchNormOp);
    }
}
