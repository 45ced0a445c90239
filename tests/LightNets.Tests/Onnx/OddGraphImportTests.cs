using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using Onnx;
using static LightNets.Tests.Onnx.OnnxProtoBuilder;

namespace LightNets.Tests.Onnx;

/// <summary>
/// Odd but valid ONNX graphs — outputs that are constants, inputs or intermediates, several inputs and outputs, unused
/// inputs, constants read as data, ranks other than 4, broadcasting across ranks — import, keep their output names, and
/// run on the compiled session (fused or not, one or two threads, through every run API) with the reference
/// interpreter's results, which are ONNX Runtime's.
/// </summary>
public class OddGraphImportTests
{
    public static TheoryData<string> Names() => new(Cases.Keys);

    internal static readonly Dictionary<string, Func<OnnxProtoBuilder>> Cases = new()
    {
        ["output_is_an_initializer"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 1, 3, 4, 4).Output("r").Output("c");
            b.Random("c", 2, 3);
            b.Node("Relu", ["x"], ["r"]);
            return b;
        },
        ["output_is_the_input_beside_a_computed_one"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 1, 3, 4, 4).Output("s").Output("x");
            b.Node("Sigmoid", ["x"], ["s"]);
            return b;
        },
        ["output_is_the_input_and_nothing_else"] = () => new OnnxProtoBuilder().Input("x", 2, 3, 5, 5).Output("x"),
        ["identity_of_the_input"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 1, 2, 3, 3).Output("y");
            b.Node("Identity", ["x"], ["y"]);
            return b;
        },
        ["features_beside_logits"] = () =>
        {
            // The features are read by later nodes and are an output too (transfer learning needs them).
            var b = new OnnxProtoBuilder().Input("image", 1, 3, 8, 8).Output("logits").Output("features");
            b.Random("w", 16, 3, 3, 3);
            b.Random("bias", 16);
            b.Random("fc_w", 16, 5);
            b.Random("fc_b", 5);
            b.Node("Conv", ["image", "w", "bias"], ["conv"], Attr("pads", 1, 1, 1, 1));
            b.Node("Relu", ["conv"], ["features"]);
            b.Node("GlobalAveragePool", ["features"], ["pooled"]);
            b.Node("Flatten", ["pooled"], ["flat"]);
            b.Node("MatMul", ["flat", "fc_w"], ["mm"]);
            b.Node("Add", ["mm", "fc_b"], ["logits"]);
            return b;
        },
        ["two_inputs_two_outputs"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 1, 4, 6, 6).Input("z", 1, 4, 6, 6).Output("y").Output("gated");
            b.Random("w", 8, 4, 1, 1);
            b.Random("gate", 1, 4, 1, 1);
            b.Node("Add", ["x", "z"], ["sum"]);
            b.Node("Conv", ["sum", "w"], ["conv"]);
            b.Node("Relu", ["conv"], ["y"]);
            b.Node("Mul", ["z", "gate"], ["gated"]);
            return b;
        },
        ["unused_input"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 1, 3, 4, 4).Input("unused", 1, 7).Output("y");
            b.Node("Relu", ["x"], ["y"]);
            return b;
        },
        ["one_value_under_three_output_names"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 1, 3, 4, 4).Output("a").Output("r").Output("b");
            b.Node("Relu", ["x"], ["r"]);
            b.Node("Identity", ["r"], ["a"]);
            b.Node("Identity", ["r"], ["b"]);
            return b;
        },
        ["constant_node_output"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 1, 3, 4, 4).Output("y").Output("k");
            b.Node("Constant", [], ["k"], new AttributeProto
            {
                Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = FloatTensor("k", [1, 3, 1, 1], [0.5f, -2f, 3f]),
            });
            b.Node("Mul", ["x", "k"], ["y"]);
            return b;
        },
        ["split_of_the_input_and_concat_with_a_constant"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 1, 6, 3, 3).Output("s1").Output("s0").Output("joined");
            b.Ints("sizes", 2, 4);
            b.Random("k", 1, 3, 3, 3);
            b.Node("Split", ["x", "sizes"], ["s0", "s1"], Attr("axis", 1L));
            b.Node("Concat", ["s1", "k", "s0"], ["joined"], Attr("axis", 1L));
            return b;
        },
        ["constant_image_into_a_convolution"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 1, 4, 5, 5).Output("y");
            b.Random("image", 1, 2, 5, 5);
            b.Random("w", 4, 2, 3, 3);
            b.Node("Conv", ["image", "w"], ["c"], Attr("pads", 1, 1, 1, 1));
            b.Node("Add", ["x", "c"], ["y"]);
            return b;
        },
        ["batchnorm_of_a_constant"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 1, 2, 3, 3).Output("y");
            b.Random("k", 1, 2, 3, 3);
            b.Float("g", [2], [1, 2]);
            b.Float("be", [2], [0, 1]);
            b.Float("m", [2], [0.5f, 0]);
            b.Float("v", [2], [1, 4]);
            b.Node("BatchNormalization", ["k", "g", "be", "m", "v"], ["bn"]);
            b.Node("Add", ["x", "bn"], ["y"]);
            return b;
        },
        ["rank_2_constant_broadcast_over_height_and_width"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 1, 2, 3, 4).Output("y");
            b.Random("c", 3, 4);
            b.Node("Add", ["x", "c"], ["y"]);
            return b;
        },
        ["rank_2_value_broadcast_over_the_width"] = () =>
        {
            // [1, 4] against [1, 4, 3, 4]: NumPy aligns it with the last axis (W), not the channels.
            var b = new OnnxProtoBuilder().Input("x", 1, 4, 3, 4).Output("y").Output("f");
            b.Node("GlobalAveragePool", ["x"], ["g"]);
            b.Node("Flatten", ["g"], ["f"]);
            b.Node("Mul", ["x", "f"], ["y"]);
            return b;
        },
        ["rank_3_input"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 2, 4, 5).Output("y").Output("r");
            b.Random("c", 5);
            b.Node("Relu", ["x"], ["r"]);
            b.Node("Add", ["r", "c"], ["y"]);
            return b;
        },
        ["rank_2_input"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 2, 6).Output("g").Output("r");
            b.Random("w", 6, 3);
            b.Node("Gemm", ["x", "w"], ["g"]);
            b.Node("Relu", ["x"], ["r"]);
            return b;
        },
        ["rank_1_input"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 6).Output("y");
            b.Random("c", 6);
            b.Node("Relu", ["x"], ["r"]);
            b.Node("Mul", ["r", "c"], ["y"]);
            return b;
        },
        ["shuffled_channels_as_output"] = () =>
        {
            // Reshape–Transpose–Reshape is a channel shuffle, held as a channel map that nothing materializes: read out in logical order.
            var b = new OnnxProtoBuilder().Input("x", 1, 4, 3, 3).Output("shuffled").Output("r");
            b.Random("w", 4, 4, 1, 1);
            b.Ints("five", 1, 2, 2, 3, 3);
            b.Ints("four", 1, 4, 3, 3);
            b.Node("Conv", ["x", "w"], ["c"]);
            b.Node("Reshape", ["c", "five"], ["c5"]);
            b.Node("Transpose", ["c5"], ["t5"], Attr("perm", 0, 2, 1, 3, 4));
            b.Node("Reshape", ["t5", "four"], ["shuffled"]);
            b.Node("Relu", ["c"], ["r"]);
            return b;
        },
        ["dropout_as_output"] = () =>
        {
            var b = new OnnxProtoBuilder().Input("x", 1, 3, 4, 4).Output("d");
            b.Node("Relu", ["x"], ["r"]);
            b.Node("Dropout", ["r"], ["d"]);
            return b;
        },
    };

    private static readonly (int Threads, bool Fuse)[] Settings = [(1, true), (2, true), (1, false)];

    [Theory]
    [MemberData(nameof(Names))]
    public void Imports_and_runs_on_both_engines(string name)
    {
        var model = Cases[name]();
        var graph = OnnxImporter.Import(model.Model, null);
        Assert.Equal(model.Graph.Output.Select(o => o.Name), graph.Outputs); // the ONNX output names, in order
        var seed = 1UL;
        var inputs = graph.Inputs.ToDictionary(i => i.Name, i => new Rng(seed++).NormalTensor(i.Shape.ToArray()));
        var expected = ReferenceInterpreter.Run(graph, inputs);
        var onnxRuntime = RunOnnxRuntime(model.Model, inputs);
        foreach (var output in graph.Outputs) Close(onnxRuntime[output], expected[output], $"{name}: reference vs ONNX Runtime, '{output}'");

        foreach (var (threads, fuse) in Settings)
        {
            var what = $"{name} ({threads} thread(s), fuse {fuse})";
            using var session = new LightNets.Runtime.InferenceSession(graph, new SessionOptions { Threads = threads, Fuse = fuse, GuardBuffers = true });
            Assert.Equal(graph.Outputs, session.OutputNames);
            Assert.Equal(graph.Inputs.Select(i => i.Name), session.InputNames);
            CheckAllRunApis(session, inputs, expected, what);
        }
    }

    /// <summary>
    /// Exported again, each odd graph re-imports with the same outputs and values: an output that is an initializer
    /// must be written even though no node reads it.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void Exports_and_reimports_with_the_same_outputs(string name)
    {
        var graph = OnnxImporter.Import(Cases[name]().Model, null);
        var again = OnnxImporter.Import(OnnxExporter.Export(graph), null);
        Assert.Equal(graph.Outputs, again.Outputs);
        var seed = 1UL;
        var inputs = graph.Inputs.ToDictionary(i => i.Name, i => new Rng(seed++).NormalTensor(i.Shape.ToArray()));
        var expected = ReferenceInterpreter.Run(graph, inputs);
        var actual = ReferenceInterpreter.Run(again, inputs);
        foreach (var output in graph.Outputs) Close(expected[output], actual[output], $"{name}: re-imported export, '{output}'");
    }

    [Fact]
    public void Every_input_takes_the_batch_option()
    {
        var b = new OnnxProtoBuilder().Input("x", "N", 2, 3, 3).Input("z", "N", 2).Output("y").Output("g");
        b.Random("w", 2, 2, 1, 1);
        b.Random("fc", 2, 4);
        b.Node("Conv", ["x", "w"], ["y"]);
        b.Node("MatMul", ["z", "fc"], ["g"]);
        var graph = OnnxImporter.Import(b.Model, null, new OnnxImportOptions { Batch = 3 });
        Assert.Equal([new Shape(3, 2, 3, 3), new Shape(3, 2)], graph.Inputs.Select(i => i.Shape));
        Assert.Equal(new Shape(3, 2, 3, 3), graph.ShapeOf("y"));
        Assert.Equal(new Shape(3, 4), graph.ShapeOf("g"));
    }

    /// <summary>The same value listed twice among a graph's outputs (possible in the IR, and in ONNX files).</summary>
    [Fact]
    public void The_same_value_listed_twice_fills_both_positions()
    {
        var b = new GraphBuilder("twice");
        var x = b.Input("x", Shape.Nchw(1, 3, 5, 5));
        var r = b.Relu(x);
        b.Output(r);
        b.Output(x);
        b.Output(r);
        var graph = b.Build();
        var inputs = new Dictionary<string, Tensor> { ["x"] = new Rng(4).NormalTensor(1, 3, 5, 5) };
        var expected = ReferenceInterpreter.Run(graph, inputs);
        using var session = new LightNets.Runtime.InferenceSession(graph, new SessionOptions { Threads = 1, GuardBuffers = true });
        Assert.Equal(["relu", "x", "relu"], session.OutputNames);
        CheckAllRunApis(session, inputs, expected, "listed twice");

        // Binding by name fills every position of that name.
        var binding = session.CreateBinding();
        binding.BindInput("x", inputs["x"]);
        var (first, third) = (new float[75], new float[75]);
        binding.BindOutput(0, first);
        binding.BindOutput(2, third);
        session.Run(binding);
        Assert.Equal(expected["relu"].Data, first);
        Assert.Equal(expected["relu"].Data, third);
        var both = new float[75];
        binding.BindOutput("relu", both);
        Array.Clear(third);
        session.Run(binding);
        Assert.Equal(expected["relu"].Data, both);
        Assert.All(third, v => Assert.Equal(0f, v)); // rebound: no longer written
    }

    /// <summary>The dictionary, binding and positional APIs all give the reference's outputs.</summary>
    private static void CheckAllRunApis(LightNets.Runtime.InferenceSession session, Dictionary<string, Tensor> inputs,
        IReadOnlyDictionary<string, Tensor> expected, string what)
    {
        var byName = session.Run(inputs);
        Assert.Equal(expected.Keys.Order(), byName.Keys.Order());
        foreach (var (output, tensor) in byName) Close(expected[output], tensor, $"{what}, Run(dictionary) '{output}'");

        var binding = session.CreateBinding();
        foreach (var (input, tensor) in inputs) binding.BindInput(input, tensor);
        var buffers = session.Outputs.Select(o => new float[o.Shape.ElementCount]).ToArray();
        for (var i = 0; i < buffers.Length; i++) binding.BindOutput(i, buffers[i]);
        for (var round = 0; round < 2; round++) // a second run reuses the arena and must not see the first's leftovers
        {
            foreach (var buffer in buffers) Array.Fill(buffer, float.NaN);
            session.Run(binding);
            for (var i = 0; i < buffers.Length; i++)
                Close(expected[session.OutputNames[i]], new Tensor(session.Outputs[i].Shape, buffers[i]), $"{what}, Run(binding) #{round} output {i}");
        }

        var positional = session.Outputs.Select(o => new float[o.Shape.ElementCount]).ToArray();
        session.Run(session.InputNames.Select(n => (ReadOnlyMemory<float>)inputs[n].Data).ToArray(), positional.Select(p => (Memory<float>)p).ToArray());
        for (var i = 0; i < positional.Length; i++)
            Close(expected[session.OutputNames[i]], new Tensor(session.Outputs[i].Shape, positional[i]), $"{what}, Run(positional) output {i}");
    }

    /// <summary>Same shape; |a − b| ≤ 1e-5 · max(1, |a|) element by element (float32 in other orders).</summary>
    private static void Close(Tensor expected, Tensor actual, string what)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        for (var i = 0; i < expected.Length; i++)
        {
            var (e, a) = (expected.Data[i], actual.Data[i]);
            Assert.True(Math.Abs(e - a) <= 1e-5f * Math.Max(1f, Math.Abs(e)), $"{what}: element {i} is {a}, expected {e}");
        }
    }
}
