using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using Ort = Microsoft.ML.OnnxRuntime;
using Onnx;

namespace LightNets.Tests.Onnx;

/// <summary>
/// Export of quantized graphs in ONNX Runtime's QDQ layout: FakeQuantize as QuantizeLinear + DequantizeLinear, int8
/// weights and int32 biases behind DequantizeLinear. Export then import gives the same graph (reference outputs equal
/// bit for bit), and ONNX Runtime runs the file with its int8 kernels to within one output step.
/// </summary>
public class QdqExportTests
{
    private static Graph Import(ModelProto model, int batch = 1) => OnnxImporter.Import(model, null, new OnnxImportOptions { Batch = batch });

    private static QuantParams? WeightQuant(Node n) => n.Op switch { Conv2dOp c => c.WeightQuant, GemmOp g => g.WeightQuant, _ => null };

    [Theory]
    [MemberData(nameof(QdqFixtures.All), MemberType = typeof(QdqFixtures))]
    public void Imported_fixture_survives_export_and_import_bit_for_bit(string name)
    {
        var graph = OnnxImporter.Load(QdqFixtures.Model(name), new OnnxImportOptions { Batch = QdqFixtures.Batch });
        var back = Import(OnnxExporter.Export(graph), QdqFixtures.Batch);

        var input = QdqFixtures.Inputs(name);
        Assert.Equal(ReferenceInterpreter.Run(graph, input).Data, ReferenceInterpreter.Run(back, input).Data);
        Assert.Equal(graph.Nodes.Select(n => (n.Op as FakeQuantizeOp)?.Params), back.Nodes.Select(n => (n.Op as FakeQuantizeOp)?.Params));
        Assert.Equal(graph.Nodes.Select(WeightQuant), back.Nodes.Select(WeightQuant));
        // Weights keep their names (each DequantizeLinear writes its initializer's name).
        Assert.Equal(graph.Initializers.Keys.Order(), back.Initializers.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(QdqFixtures.All), MemberType = typeof(QdqFixtures))]
    public void Exported_file_runs_in_onnx_runtime_within_one_output_step(string name)
    {
        var graph = OnnxImporter.Load(QdqFixtures.Model(name), new OnnxImportOptions { Batch = QdqFixtures.Batch });
        var input = QdqFixtures.Inputs(name);
        var expected = ReferenceInterpreter.Run(graph, input);
        var actual = QdqFixtures.RunOnnxRuntime(OnnxExporter.Export(graph), input);
        QdqFixtures.WithinOneStep(expected, actual, QdqFixtures.OutputStep(graph), 0.1, $"{name}: exported, in ONNX Runtime, vs the reference");
    }

    /// <summary>ORT picks its int8 kernels only for the full QDQ pattern: int8 weights and an int32 bias behind DequantizeLinear.</summary>
    [Fact]
    public void Onnx_runtime_fuses_the_exported_layers_into_its_int8_kernels()
    {
        var graph = OnnxImporter.Load(QdqFixtures.Model("qdq_mbv2_u8_perchannel_op13"));
        var model = OnnxExporter.Export(graph);
        var inits = model.Graph.Initializer.ToDictionary(i => i.Name);
        var weightDq = model.Graph.Node.Where(n => n.OpType == "DequantizeLinear" && inits.TryGetValue(n.Input[0], out var t) && t.DataType == 3).ToArray();
        var biasDq = model.Graph.Node.Where(n => n.OpType == "DequantizeLinear" && inits.TryGetValue(n.Input[0], out var t) && t.DataType == 6).ToArray();
        Assert.Equal(4, weightDq.Length);
        Assert.Equal(4, biasDq.Length);
        Assert.All(weightDq.Concat(biasDq), n => Assert.Equal(0, Assert.Single(n.Attribute, a => a.Name == "axis").I));
        Assert.DoesNotContain(model.Graph.Initializer, t => t.DataType == 1 && t.Dims.Count == 4); // no float conv weights left

        var path = Path.Combine(Path.GetTempPath(), $"lightnets-qdq-optimized-{Environment.ProcessId}.onnx");
        try
        {
            using (var options = new Ort.SessionOptions { OptimizedModelFilePath = path, GraphOptimizationLevel = Ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED })
            using (new Ort.InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model), options)) { }
            var ops = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node.Select(n => n.OpType).ToArray();
            Assert.Equal(3, ops.Count(o => o == "QLinearConv"));
            Assert.Contains("QGemm", ops);
            Assert.DoesNotContain("Conv", ops);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// x → QDQ u8 → conv (per-channel int8 weights, bias on the int32 grid) → ReLU → QDQ u8 → QDQ int8 per channel
    /// (axis 1) → pool → Gemm (per-tensor int8 weights). <paramref name="biasOnGrid"/> false: an arbitrary float bias.
    /// </summary>
    private static Graph Built(bool biasOnGrid)
    {
        var b = new GraphBuilder("qdq", new WeightInit(Seed: 5));
        var x = b.Input("x", Shape.Nchw(1, 3, 9, 9));
        var xQuant = QuantParams.PerTensor(0.02f, 128, QuantType.UInt8);
        var xq = b.FakeQuantize(x, xQuant, "x_q");
        var wScale = new[] { 0.01f, 0.02f, 0.005f, 0.03f };
        var wQuant = new QuantParams(wScale, [0, 0, 0, 0], QuantType.Int8, axis: 0);
        var w = b.AddInitializer("w", wQuant.FakeQuantize(new Rng(11).NormalTensor(4, 3, 3, 3)));
        var bias = new Rng(12).NormalTensor(4);
        if (biasOnGrid)
        {
            for (var c = 0; c < 4; c++) bias.Data[c] = MathF.Round(bias.Data[c] / (0.02f * wScale[c])) * (0.02f * wScale[c]);
        }
        var conv = b.AddNode("conv", Conv2dOp.Square(3, stride: 2) with { WeightQuant = wQuant }, [xq.Name, w, b.AddInitializer("bias", bias)], ["conv"])[0];
        var y = b.FakeQuantize(b.Relu(conv), QuantParams.PerTensor(0.05f, 0, QuantType.UInt8), "y_q");
        var yc = b.FakeQuantize(y, new QuantParams([0.1f, 0.02f, 0.3f, 0.04f], [1, 2, 3, 4], QuantType.Int8, axis: 1), "y_qc");
        var pooled = b.AddNode("flatten", new FlattenOp(), [b.AddNode("pool", new GlobalAveragePoolOp(), [yc.Name], ["pool"])[0].Name], ["flat"])[0];
        var fcQuant = QuantParams.PerTensor(0.01f, 0, QuantType.Int8);
        var fw = b.AddInitializer("fc.w", fcQuant.FakeQuantize(new Rng(13).NormalTensor(5, 4)));
        var fc = b.AddNode("fc", new GemmOp { WeightQuant = fcQuant }, [pooled.Name, fw, b.AddInitializer("fc.b", new Rng(14).NormalTensor(5))], ["fc"])[0];
        b.Output(b.FakeQuantize(fc, QuantParams.PerTensor(0.03f, 120, QuantType.UInt8), "logits"));
        return b.Build();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Built_graph_exports_in_the_qdq_layout_and_round_trips(bool biasOnGrid)
    {
        var graph = Built(biasOnGrid);
        var model = OnnxExporter.Export(graph);
        var inits = model.Graph.Initializer.ToDictionary(i => i.Name);
        // Conv bias: int32 when it lies on x_scale·w_scale[c] exactly, else float (export never rounds a value). The
        // Gemm's input is a per-channel FakeQuantize, so its bias stays float either way.
        var dequantized = model.Graph.Node.Where(n => n.OpType == "DequantizeLinear").Select(n => inits.GetValueOrDefault(n.Input[0])).OfType<TensorProto>().ToArray();
        Assert.Equal(biasOnGrid ? ["bias"] : [], dequantized.Where(t => t.DataType == 6).Select(t => t.Name.Replace("_quantized", "")));
        Assert.Equal(["w", "fc.w"], dequantized.Where(t => t.DataType == 3).Select(t => t.Name.Replace("_quantized", ""))); // int8 weights
        var perAxis = model.Graph.Node.Single(n => n.OpType == "QuantizeLinear" && n.Attribute.Any(a => a.Name == "axis"));
        Assert.Equal(1, perAxis.Attribute.Single().I);
        Assert.Equal(3, inits[perAxis.Input[2]].DataType); // int8 zero points [1, 2, 3, 4]
        Assert.Equal(2, inits[model.Graph.Node.First(n => n.OpType == "QuantizeLinear").Input[2]].DataType); // uint8

        var back = Import(model);
        var input = new Rng(3).NormalTensor(1, 3, 9, 9);
        Assert.Equal(ReferenceInterpreter.Run(graph, input).Data, ReferenceInterpreter.Run(back, input).Data);
        Assert.Equal(graph.Nodes.Select(WeightQuant).Where(q => q is not null), back.Nodes.Select(WeightQuant).Where(q => q is not null));

        // ONNX Runtime on the exported file, within one step of the output.
        QdqFixtures.WithinOneStep(ReferenceInterpreter.Run(graph, input), QdqFixtures.RunOnnxRuntime(model, input), 0.03f, 0.2, "built graph in ONNX Runtime");
    }

    [Fact]
    public void Per_axis_quantization_needs_opset_13()
    {
        var ex = Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(Built(true), new OnnxExportOptions { Opset = 12 }));
        Assert.Equal("node 'conv': per-channel weight quantization (axis 0) needs ONNX opset 13 or later; export with OnnxExportOptions.Opset ≥ 13", ex.Message);

        var b = new GraphBuilder("perAxis");
        var x = b.Input("x", Shape.Nchw(1, 2, 3, 3));
        b.Output(b.FakeQuantize(x, new QuantParams([0.5f, 0.25f], [0, 0], QuantType.Int8, axis: 1), "q"));
        ex = Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(b.Build(), new OnnxExportOptions { Opset = 11 }));
        Assert.StartsWith("node 'q': per-axis quantization (axis 1) needs ONNX opset 13", ex.Message);
        // Per tensor is fine at 11 (QuantizeLinear exists since 10).
        var perTensor = new GraphBuilder("perTensor");
        perTensor.Output(perTensor.FakeQuantize(perTensor.Input("x", Shape.Nchw(1, 2, 3, 3)), QuantParams.PerTensor(0.5f, 3, QuantType.UInt8), "q"));
        var model = OnnxExporter.Export(perTensor.Build(), new OnnxExportOptions { Opset = 11 });
        Assert.Equal(["QuantizeLinear", "DequantizeLinear"], model.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void Weights_off_their_grid_or_on_a_grid_the_layout_has_no_place_for_are_refused()
    {
        var b = new GraphBuilder("offGrid");
        var x = b.Input("x", Shape.Nchw(1, 2, 3, 3));
        var quant = new QuantParams([0.1f, 0.1f], [0, 0], QuantType.Int8, axis: 0);
        var w = b.AddInitializer("w", new Tensor(new Shape(2, 2, 1, 1), [0.1f, 0.2f, 0.3f, 0.35f]));
        b.Output(b.AddNode("conv", Conv2dOp.Square(1) with { WeightQuant = quant }, [x.Name, w], ["y"])[0]);
        var ex = Assert.Throws<GraphValidationException>(() => OnnxExporter.Export(b.Build()));
        Assert.StartsWith("node 'conv': weight 'w' element 3 (0.349999994) is not on its WeightQuant grid", ex.Message);

        var u = new GraphBuilder("uint8Weights");
        var ux = u.Input("x", Shape.Nchw(1, 2, 3, 3));
        var uquant = QuantParams.PerTensor(0.1f, 3, QuantType.UInt8);
        var uw = u.AddInitializer("w", uquant.FakeQuantize(new Rng(1).NormalTensor(2, 2, 1, 1)));
        u.Output(u.AddNode("conv", Conv2dOp.Square(1) with { WeightQuant = uquant }, [ux.Name, uw], ["y"])[0]);
        ex = Assert.Throws<GraphValidationException>(() => OnnxExporter.Export(u.Build()));
        Assert.StartsWith("node 'conv': its WeightQuant (uint8 scale 0.1 zero 3) is not a symmetric int8 grid", ex.Message);
    }
}
