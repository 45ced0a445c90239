using LightNets.Graphs;
using LightNets.Graphs.Passes;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Tests.Graphs;

/// <summary>The QDQ operator of the IR: ONNX's rounding rules, its shape rule, the float runtime and the weight fold.</summary>
public sealed class FakeQuantizeTests
{
    [Fact]
    public void Quantize_divides_rounds_ties_to_even_and_saturates_like_onnx()
    {
        var u8 = QuantParams.PerTensor(0.5f, 10, QuantType.UInt8);
        Assert.Equal(10, u8.Quantize(0.25f));   // 0.5 → 0 (ties to even) + 10
        Assert.Equal(12, u8.Quantize(0.75f));   // 1.5 → 2
        Assert.Equal(255, u8.Quantize(1e6f));
        Assert.Equal(0, u8.Quantize(-1e6f));
        Assert.Equal(10, u8.Quantize(float.NaN));
        Assert.Equal(-5f, u8.Dequantize(0));
        var s8 = new QuantParams([0.1f, 2f], [0, 0], QuantType.Int8, axis: 0);
        Assert.Equal(-128, s8.Quantize(-100f));
        Assert.Equal(127, s8.Quantize(100f, 1) + 77);
        Assert.Equal(50, s8.Quantize(100f, 1));
        Assert.True(s8.IsSymmetric);
        Assert.Throws<GraphValidationException>(() => QuantParams.PerTensor(0f, 0, QuantType.UInt8));
        Assert.Throws<GraphValidationException>(() => QuantParams.PerTensor(float.NaN, 0, QuantType.UInt8));
        Assert.Throws<GraphValidationException>(() => QuantParams.PerTensor(1f, 256, QuantType.UInt8));
        Assert.Throws<GraphValidationException>(() => QuantParams.PerTensor(1f, -129, QuantType.Int8));
        Assert.Throws<GraphValidationException>(() => new QuantParams([1f, 1f], [0], QuantType.Int8, 0));
        Assert.Throws<GraphValidationException>(() => new QuantParams([1f, 1f], [0, 0], QuantType.Int8));
    }

    /// <summary>x → QDQ u8 → conv with QDQ s8 per-channel weights and a bias → ReLU → QDQ u8 → QDQ per channel.</summary>
    private static Graph QdqConv()
    {
        var b = new GraphBuilder("qdq", new WeightInit(Seed: 5));
        var x = b.Input("x", Shape.Nchw(2, 3, 9, 9));
        var xq = b.FakeQuantize(x, QuantParams.PerTensor(0.02f, 128, QuantType.UInt8), "x_q");
        var w = new Rng(11).NormalTensor(4, 3, 3, 3);
        var wScale = new[] { 0.01f, 0.02f, 0.005f, 0.03f };
        var wQuant = new QuantParams(wScale, [0, 0, 0, 0], QuantType.Int8, axis: 0);
        var weights = b.AddInitializer("w", wQuant.FakeQuantize(w));
        var bias = b.AddInitializer("bias", new Rng(12).NormalTensor(4));
        var conv = b.AddNode("conv", Conv2dOp.Square(3, stride: 2) with { WeightQuant = wQuant }, [xq.Name, weights, bias], ["conv"])[0];
        var y = b.FakeQuantize(b.Relu(conv), QuantParams.PerTensor(0.05f, 0, QuantType.UInt8), "y_q");
        b.Output(b.FakeQuantize(y, new QuantParams([0.1f, 0.02f, 0.3f, 0.04f], [1, 2, 3, 4], QuantType.Int8, axis: 1), "y_qc"));
        return b.Build();
    }

    [Fact]
    public void A_qdq_graph_runs_compiled_as_the_reference_interpreter_runs_it_and_the_outputs_lie_on_the_grid()
    {
        var graph = QdqConv();
        var input = new Rng(3).NormalTensor(2, 3, 9, 9);
        var expected = ReferenceInterpreter.Run(graph, input);
        var p = new QuantParams([0.1f, 0.02f, 0.3f, 0.04f], [1, 2, 3, 4], QuantType.Int8, axis: 1);
        var plane = 5 * 5;
        for (var i = 0; i < expected.Length; i++)
        {
            var c = i / plane % 4;
            Assert.Equal(expected.Data[i], p.Dequantize(p.Quantize(expected.Data[i], c), c));
        }
        Assert.Contains(expected.Data, v => v != expected.Data[0]);
        foreach (var threads in new[] { 1, 2 })
        {
            using var session = new InferenceSession(graph, new SessionOptions { Threads = threads, GuardBuffers = true });
            var actual = session.Run(input);
            // The float conv sums in another order than the reference: a value next to a rounding boundary may land one
            // step away, never more.
            var differ = 0;
            for (var i = 0; i < expected.Length; i++)
            {
                var step = p.Scale[i / plane % 4];
                Assert.True(Math.Abs(actual.Data[i] - expected.Data[i]) <= step * 1.001f, $"element {i}: {actual.Data[i]} vs {expected.Data[i]}");
                if (actual.Data[i] != expected.Data[i]) differ++;
            }
            Assert.True(differ <= expected.Length / 50, $"{differ} of {expected.Length} elements a step apart");
        }
    }

    [Fact]
    public void Folding_a_batchnorm_into_a_quantized_conv_drops_the_weight_grid()
    {
        var b = new GraphBuilder("bn", new WeightInit(Seed: 2, RandomizeStatistics: true));
        var x = b.Input("x", Shape.Nchw(1, 3, 5, 5));
        var quant = new QuantParams([0.1f, 0.1f, 0.1f, 0.1f], [0, 0, 0, 0], QuantType.Int8, axis: 0);
        var weights = b.AddInitializer("w", quant.FakeQuantize(new Rng(1).NormalTensor(4, 3, 1, 1)));
        var conv = b.AddNode("conv", Conv2dOp.Square(1) with { WeightQuant = quant }, [x.Name, weights], ["conv"])[0];
        b.Output(b.BatchNorm(conv, 1e-5f));
        var folded = FoldBatchNorm.Apply(b.Build());
        Assert.Null(Assert.IsType<Conv2dOp>(Assert.Single(folded.Nodes).Op).WeightQuant);
    }

    [Fact]
    public void Per_axis_parameters_must_fit_the_tensor()
    {
        var b = new GraphBuilder("bad");
        var x = b.Input("x", Shape.Nchw(1, 3, 4, 4));
        Assert.Throws<GraphValidationException>(() =>
            b.FakeQuantize(x, new QuantParams([1f, 1f], [0, 0], QuantType.UInt8, axis: 1)));
    }
}
