using LightNets.Graphs;
using LightNets.Models;
using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Tests.Onnx;

namespace LightNets.Tests.Runtime;

/// <summary>Sessions with several inputs and outputs: named bindings, positional runs, their errors, and no allocation per run.</summary>
public class SessionBindingTests
{
    /// <summary>
    /// A zoo model that also returns its last feature map and pooled features (values later nodes read): what a
    /// transfer-learning caller asks for.
    /// </summary>
    private static Graph WithFeatures(string model, int resolution = 64)
    {
        var graph = ModelZoo.Build(model, new ModelOptions { Resolution = resolution, Init = new WeightInit(Seed: 5, RandomizeStatistics: true) });
        var pool = graph.Nodes.Last(n => n.Kind == OpKind.GlobalAveragePool);
        return graph.With(outputs: [graph.Output, pool.Inputs[0], pool.Output]);
    }

    [Theory]
    [InlineData("mobilenetv2_035", 1)]
    [InlineData("shufflenetv2_050", 2)]
    [InlineData("mobilenetv3_small_075", 2)]
    public void Features_beside_logits_match_the_reference(string model, int threads)
    {
        var graph = WithFeatures(model);
        var x = new Rng(9).NormalTensor(1, 3, 64, 64);
        var expected = ReferenceInterpreter.Run(graph, new Dictionary<string, Tensor> { [graph.Inputs[0].Name] = x });
        using var session = new InferenceSession(graph, new SessionOptions { Threads = threads, GuardBuffers = true });
        Assert.Equal(3, session.Outputs.Count);
        var binding = session.CreateBinding();
        binding.BindInput(graph.Inputs[0].Name, x);
        var outputs = session.Outputs.Select(o => new Tensor(o.Shape)).ToArray();
        for (var i = 0; i < outputs.Length; i++) binding.BindOutput(session.OutputNames[i], outputs[i]);
        session.Run(binding);
        for (var i = 0; i < outputs.Length; i++)
            OnnxExportTests.AssertClose(expected[session.OutputNames[i]], outputs[i], 1e-4, $"{model} output '{session.OutputNames[i]}'");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Multi_output_runs_allocate_nothing_after_the_first(int threads)
    {
        var graph = WithFeatures("mobilenetv2_035", 96);
        using var session = new InferenceSession(graph, new SessionOptions { Threads = threads });
        var x = new float[session.InputShape.ElementCount];
        var outputs = session.Outputs.Select(o => new float[o.Shape.ElementCount]).ToArray();
        var binding = session.CreateBinding();
        binding.BindInput(0, x);
        for (var i = 0; i < outputs.Length; i++) binding.BindOutput(i, outputs[i]);
        var (logits, map, pooled) = (outputs[0], outputs[1], outputs[2]);
        for (var i = 0; i < 50; i++)
        {
            session.Run(binding);
            session.Run([x], [logits, map, pooled]);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            session.Run(binding);
            session.Run([x], [logits, Memory<float>.Empty, pooled]);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Threads_with_their_own_bindings_get_the_serial_results_bit_for_bit()
    {
        var graph = WithFeatures("shufflenetv2_050");
        using var session = new InferenceSession(graph, new SessionOptions { Threads = 2 });
        var images = Enumerable.Range(0, 4).Select(i => new Rng((ulong)i + 20).NormalTensor(1, 3, 64, 64)).ToArray();
        var serial = images.Select(x => session.Run(new Dictionary<string, Tensor> { ["input"] = x })).ToArray();
        var failures = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            var binding = session.CreateBinding();
            var outputs = session.Outputs.Select(o => new float[o.Shape.ElementCount]).ToArray();
            for (var i = 0; i < outputs.Length; i++) binding.BindOutput(i, outputs[i]);
            for (var r = 0; r < 20; r++)
            {
                var which = (t + r) % images.Length;
                binding.BindInput("input", images[which]);
                session.Run(binding);
                for (var i = 0; i < outputs.Length; i++)
                {
                    if (!outputs[i].AsSpan().SequenceEqual(serial[which][session.OutputNames[i]].Data)) Interlocked.Increment(ref failures);
                }
            }
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void Names_shapes_and_indices()
    {
        var graph = WithFeatures("mobilenetv1_025");
        using var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        Assert.Equal(graph.Outputs, session.OutputNames);
        Assert.Equal(["input"], session.InputNames);
        Assert.Equal(new Shape(1, 3, 64, 64), session.InputShapeOf("input"));
        Assert.Equal(graph.ShapeOf(graph.Outputs[1]), session.OutputShapeOf(graph.Outputs[1]));
        Assert.Equal(2, session.OutputIndex(graph.Outputs[2]));
        Assert.Equal(new Shape(1, 3, 64, 64), session.InputShape); // one input: the single-input members still work

        var e = Assert.Throws<OutputNameException>(() => session.OutputShape);
        Assert.Contains("has 3 outputs", e.Message);
        Assert.Contains($"'{graph.Outputs[1]}'", e.Message);
        Assert.Throws<OutputNameException>(() => session.Run(new float[3 * 64 * 64], new float[1000]));
        Assert.Throws<OutputNameException>(() => session.OutputIndex("nope"));
        Assert.Throws<InputNameException>(() => session.InputIndex("nope"));
    }

    [Fact]
    public void Binding_mistakes_are_named()
    {
        var b = new GraphBuilder("two");
        var x = b.Input("x", Shape.Nchw(1, 2, 3, 3));
        var z = b.Input("z", Shape.Nchw(1, 2, 3, 3));
        b.Output(b.Add(x, z));
        using var session = new InferenceSession(b.Build(), new SessionOptions { Threads = 1 });
        var binding = session.CreateBinding();

        Assert.Contains("no input 'y'; its inputs are 'x' [1×2×3×3], 'z' [1×2×3×3]",
            Assert.Throws<InputNameException>(() => binding.BindInput("y", new float[18])).Message);
        Assert.Contains("input 'z' needs 18 floats (1×2×3×3) but got 17",
            Assert.Throws<InputShapeException>(() => binding.BindInput("z", new float[17])).Message);
        Assert.Contains("output 'add' needs 18 floats",
            Assert.Throws<InputShapeException>(() => binding.BindOutput("add", new float[19])).Message);
        Assert.Throws<InputShapeException>(() => binding.BindInput("x", new Tensor(new Shape(1, 18))));
        Assert.Throws<ArgumentOutOfRangeException>(() => binding.BindInput(2, new float[18]));

        binding.BindInput("x", new float[18]);
        Assert.Contains("input 'z' [1×2×3×3] is not bound",
            Assert.Throws<InputNameException>(() => session.Run(binding)).Message);

        Assert.Contains("has 2 inputs",
            Assert.Throws<InputNameException>(() => session.Run(new float[18], new float[18])).Message);
        Assert.Throws<InputNameException>(() => session.InputShape);
        Assert.Throws<InputNameException>(() => session.Run([new float[18]], [new float[18]]));
        Assert.Throws<OutputNameException>(() => session.Run([new float[18], new float[18]], []));
        Assert.Throws<InputShapeException>(() => session.Run([new float[18], new float[5]], [new float[18]]));
        Assert.Throws<InputNameException>(() => session.Run(new Dictionary<string, Tensor> { ["x"] = new Tensor(Shape.Nchw(1, 2, 3, 3)) }));

        using var other = new InferenceSession(b.Build(), new SessionOptions { Threads = 1 });
        Assert.Throws<ArgumentException>(() => other.Run(binding));
    }

    [Fact]
    public void Two_inputs_and_an_unbound_output()
    {
        var b = new GraphBuilder("two");
        var x = b.Input("x", Shape.Nchw(1, 2, 3, 3));
        var z = b.Input("z", Shape.Nchw(1, 2, 3, 3));
        var sum = b.Add(x, z);
        b.Output(b.Relu(sum));
        b.Output(sum);
        using var session = new InferenceSession(b.Build(), new SessionOptions { Threads = 1 });
        var (xs, zs) = (new Rng(1).NormalTensor(1, 2, 3, 3), new Rng(2).NormalTensor(1, 2, 3, 3));
        var binding = session.CreateBinding();
        binding.BindInput("z", zs.Data);
        binding.BindInput("x", xs);
        var relu = new float[18];
        binding.BindOutput("relu", relu);
        session.Run(binding);
        for (var i = 0; i < 18; i++) Assert.Equal(Math.Max(0f, xs.Data[i] + zs.Data[i]), relu[i]);

        // Graph.Input/Output on such a graph name the values instead of failing with a bare InvalidOperationException.
        Assert.Contains("'x' [1×2×3×3], 'z' [1×2×3×3]", Assert.Throws<InputNameException>(() => session.Graph.Input).Message);
        Assert.Contains("'relu' [1×2×3×3], 'add' [1×2×3×3]", Assert.Throws<OutputNameException>(() => session.Graph.Output).Message);
    }
}
