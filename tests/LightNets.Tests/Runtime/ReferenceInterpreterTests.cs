using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Reference;
using LightNets.Tensors;
using static LightNets.Tests.Runtime.ReferenceAssert;

namespace LightNets.Tests.Runtime;

public class ReferenceInterpreterTests
{
    /// <summary>
    /// conv 1×1 (2 filters) → BN → ReLU → GAP → flatten → FC (2 outputs), all weights chosen by hand, ε = 0.
    /// </summary>
    private static Graph HandGraph(int batch = 1)
    {
        var b = new GraphBuilder("hand");
        var x = b.Input("x", Shape.Nchw(batch, 1, 2, 2));
        b.AddInitializer("w", Of([2, 1, 1, 1], 1, -1));
        b.AddInitializer("gamma", Of([2], 1, 2));
        b.AddInitializer("beta", Of([2], 0, 1));
        b.AddInitializer("mean", Of([2], 0, 0));
        b.AddInitializer("var", Of([2], 1, 4));
        b.AddInitializer("fc_w", Of([2, 2], 1, 1, 2, -1));
        b.AddInitializer("fc_b", Of([2], 0.5f, 0));
        b.AddNode("conv", Conv2dOp.Square(1), [x.Name, "w"], ["c"]);
        b.AddNode("bn", new BatchNormOp(0f), ["c", "gamma", "beta", "mean", "var"], ["n"]);
        b.AddNode("relu", new ReluOp(), ["n"], ["r"]);
        b.AddNode("gap", new GlobalAveragePoolOp(), ["r"], ["g"]);
        b.AddNode("flatten", new FlattenOp(), ["g"], ["f"]);
        var y = b.AddNode("fc", new GemmOp(), ["f", "fc_w", "fc_b"], ["y"])[0];
        b.Output(y);
        return b.Build();
    }

    [Fact]
    public void Hand_computed_conv_bn_relu_gap_flatten_gemm()
    {
        // conv: ch0 = x = [1, −2, 3, −4], ch1 = −x = [−1, 2, −3, 4]
        // bn:   ch0 = 1·x/1 + 0, ch1 = 2·x/2 + 1 → [0, 3, −2, 5]
        // relu: ch0 [1, 0, 3, 0], ch1 [0, 3, 0, 5]; gap: [1, 2]
        // fc:   [1 + 2 + 0.5, 2·1 − 2 + 0] = [3.5, 0]
        var y = ReferenceInterpreter.Run(HandGraph(), Of([1, 1, 2, 2], 1, -2, 3, -4));
        Close([1, 2], [3.5f, 0], y, Tolerance.Exact);
    }

    [Fact]
    public void Builder_graph_equals_the_kernels_composed_by_hand()
    {
        var b = new GraphBuilder("small", new WeightInit(Seed: 3, RandomizeStatistics: true));
        var x = b.Input("x", Shape.Nchw(2, 3, 9, 9));
        var h = b.Conv2d(x, 8, kernel: 3, stride: 2, name: "conv");
        h = b.BatchNorm(h, 1e-5f, name: "bn");
        h = b.Relu(h, name: "relu");
        h = b.GlobalAveragePool(h, name: "gap");
        h = b.Flatten(h, name: "flatten");
        b.Output(b.Gemm(h, 5, name: "fc"));
        var graph = b.Build();
        var input = Random(17, 2, 3, 9, 9);

        var actual = ReferenceInterpreter.Run(graph, input);

        var w = graph.Initializers;
        var expected = ConvReference.Conv2d(input, w["conv.weight"], null, Conv2dOp.Square(3, stride: 2));
        expected = BatchNormReference.BatchNorm(expected, w["bn.weight"], w["bn.bias"], w["bn.running_mean"], w["bn.running_var"], 1e-5f);
        expected = ActivationReference.Relu(expected);
        expected = PoolReference.GlobalAveragePool(expected);
        expected = ReshapeReference.Flatten(expected);
        expected = GemmReference.Gemm(expected, w["fc.weight"], w["fc.bias"]);
        Identical(expected, actual);
        Assert.Equal(new Shape(2, 5), actual.Shape);
    }

    [Fact]
    public void A_graph_for_batch_3_computes_each_image_as_batch_1_does()
    {
        var graph1 = AllOpsGraph();
        var graph3 = graph1.WithBatch(3);
        var input = Random(23, 3, 4, 8, 8);
        var batched = ReferenceInterpreter.Run(graph3, input);
        Assert.Equal(new Shape(3, 10), batched.Shape);

        var perImage = input.Data.Length / 3;
        for (var n = 0; n < 3; n++)
        {
            var image = new Tensor(Shape.Nchw(1, 4, 8, 8), input.Data[(n * perImage)..((n + 1) * perImage)]);
            var single = ReferenceInterpreter.Run(graph1, image);
            Assert.Equal(single.Data, batched.Data[(n * 10)..((n + 1) * 10)]);
        }
    }

    [Fact]
    public void Every_op_kind_runs_and_the_probabilities_sum_to_one()
    {
        var graph = AllOpsGraph();
        Assert.Equal(Enum.GetValues<OpKind>().ToHashSet(), graph.Nodes.Select(n => n.Kind).ToHashSet());

        var all = ReferenceInterpreter.RunAll(graph, new Dictionary<string, Tensor> { ["x"] = Random(29, 1, 4, 8, 8) });
        foreach (var node in graph.Nodes)
        {
            foreach (var output in node.Outputs)
            {
                Assert.Equal(graph.ShapeOf(output), all[output].Shape);
                Assert.All(all[output].Data, v => Assert.True(float.IsFinite(v), $"'{output}' holds {v}"));
            }
        }
        var probabilities = all[graph.Output].Data;
        Assert.Equal(1.0, probabilities.Sum(p => (double)p), Tolerance.FewUlps * 10);
    }

    [Fact]
    public void Run_returns_only_the_outputs_and_run_all_returns_every_value()
    {
        var graph = HandGraph();
        var inputs = new Dictionary<string, Tensor> { ["x"] = Of([1, 1, 2, 2], 1, -2, 3, -4) };
        Assert.Equal(["y"], ReferenceInterpreter.Run(graph, inputs).Keys);

        var all = ReferenceInterpreter.RunAll(graph, inputs);
        Assert.Equal(["x", "c", "n", "r", "g", "f", "y"], all.Keys);
        Close([1, 2, 2, 2], [1, -2, 3, -4, -1, 2, -3, 4], all["c"], Tolerance.Exact);
        Close([1, 2, 1, 1], [1, 2], all["g"], Tolerance.Exact);
    }

    [Fact]
    public void Callback_sees_every_node_in_order_with_its_outputs()
    {
        var graph = HandGraph();
        var seen = new List<(string Node, Shape Shape)>();
        ReferenceInterpreter.Run(graph, new Dictionary<string, Tensor> { ["x"] = Of([1, 1, 2, 2], 1, -2, 3, -4) },
            (node, outputs) => seen.Add((node.Name, outputs.Single().Shape)));
        Assert.Equal(graph.Nodes.Select(n => (n.Name, graph.ShapeOf(n.Output))), seen);
    }

    [Fact]
    public void Multiple_outputs_are_returned_by_name()
    {
        var b = new GraphBuilder("split");
        var x = b.Input("x", Shape.Nchw(1, 3, 1, 1));
        var parts = b.Split(x, [1, 2]);
        b.Output(parts[1]);
        b.Output(parts[0]);
        var outputs = ReferenceInterpreter.Run(b.Build(), new Dictionary<string, Tensor> { ["x"] = Of([1, 3, 1, 1], 7, 8, 9) });
        Assert.Equal(["split:1", "split:0"], outputs.Keys);
        Close([1, 2, 1, 1], [8, 9], outputs["split:1"], Tolerance.Exact);
        Close([1, 1, 1, 1], [7], outputs["split:0"], Tolerance.Exact);
    }

    [Fact]
    public void An_output_that_is_the_input_is_returned_as_a_copy()
    {
        var graph = new Graph("pass", [new Value("x", new Shape(1, 2))], ["x"], [], new Dictionary<string, Tensor>());
        var input = Of([1, 2], 1, 2);
        var y = ReferenceInterpreter.Run(graph, input);
        Identical(input, y);
        Assert.NotSame(input.Data, y.Data);
    }

    [Fact]
    public void Wrong_input_shape_names_the_input_and_both_shapes()
    {
        var graph = HandGraph();
        var ex = Assert.Throws<InputShapeException>(() => ReferenceInterpreter.Run(graph, Of([1, 1, 2, 1], 1, 2)));
        Assert.Contains("'x'", ex.Message);
        Assert.Contains("1×1×2×2", ex.Message);
        Assert.Contains("1×1×2×1", ex.Message);
        Assert.DoesNotContain("WithBatch", ex.Message);

        var batch = Assert.Throws<InputShapeException>(() => ReferenceInterpreter.Run(graph, Random(1, 2, 1, 2, 2)));
        Assert.Contains("2×1×2×2", batch.Message);
        Assert.Contains("WithBatch(2)", batch.Message);
        Assert.IsAssignableFrom<LightNetsException>(batch);
    }

    [Fact]
    public void Unknown_or_missing_input_names_are_rejected()
    {
        var graph = HandGraph();
        var unknown = Assert.Throws<InputNameException>(() => ReferenceInterpreter.Run(graph, new Dictionary<string, Tensor>
        {
            ["x"] = Of([1, 1, 2, 2], 1, 2, 3, 4),
            ["image"] = Of([1, 1, 2, 2], 1, 2, 3, 4),
        }));
        Assert.Contains("'image'", unknown.Message);
        Assert.Contains("'x'", unknown.Message);

        var missing = Assert.Throws<InputNameException>(() => ReferenceInterpreter.Run(graph, new Dictionary<string, Tensor>()));
        Assert.Contains("'x'", missing.Message);
        Assert.Contains("not given", missing.Message);
    }

    /// <summary>A graph that uses every <see cref="OpKind"/>: ShuffleNetV2-style split/concat/shuffle and an SE block.</summary>
    private static Graph AllOpsGraph()
    {
        var b = new GraphBuilder("all-ops", new WeightInit(Seed: 5, RandomizeStatistics: true));
        var x = b.Input("x", Shape.Nchw(1, 4, 8, 8));
        var h = b.Relu6(b.BatchNorm(b.Conv2d(x, 8, kernel: 3), 1e-5f));
        var d = b.HardSwish(b.DepthwiseConv2d(h, 3));
        var s = b.GlobalAveragePool(d, name: "se.gap");
        s = b.Relu(b.Conv2d(s, 4, kernel: 1, bias: true, name: "se.fc1"));
        s = b.HardSigmoid(b.Conv2d(s, 8, kernel: 1, bias: true, name: "se.fc2"));
        h = b.Add(b.Mul(d, s), h);
        var parts = b.Split(h, [4, 4]);
        var branch = b.Conv2d(parts[1], 4, kernel: 1, name: "branch");
        h = b.ChannelShuffle(b.Concat([parts[0], branch]), 2);
        h = b.SliceChannels(h, 0, 6);
        h = b.AveragePool(b.MaxPool(h, 3, 2, 1), 3, 2, 1, countIncludePad: false);
        h = b.Sigmoid(h);
        h = b.FakeQuantize(h, QuantParams.PerTensor(1f / 255, 0, QuantType.UInt8));
        h = b.Dropout(b.Flatten(b.GlobalAveragePool(h)), 0.2f);
        b.Output(b.Softmax(b.Gemm(h, 10)));
        return b.Build();
    }
}
