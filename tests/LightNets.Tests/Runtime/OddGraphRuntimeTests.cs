using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime;

/// <summary>
/// Hand-built graphs the ONNX importer does not produce but the IR allows — channel ops and softmax on rank 2 and 3,
/// constants read as data by every kind of op, constant-only arithmetic — run on the compiled session with the
/// reference interpreter's results, every output included.
/// </summary>
public class OddGraphRuntimeTests
{
    private static Tensor Random(ulong seed, params int[] dims) => new Rng(seed).NormalTensor(dims);

    public static TheoryData<string> Names() => new(Cases.Keys);

    private static readonly Dictionary<string, Func<Graph>> Cases = new()
    {
        ["channel_ops_and_softmax_on_rank_3"] = () =>
        {
            var b = new GraphBuilder("rank3");
            var x = b.Input("x", new Shape(2, 6, 5));
            var parts = b.Split(b.Relu(x), [2, 4]);
            var joined = b.Concat([parts[1], b.ChannelShuffle(parts[0], 2)]);
            b.Output(b.Softmax(joined));
            b.Output(b.Flatten(joined));
            b.Output(parts[1]);
            return b.Build();
        },
        ["batchnorm_and_shuffle_on_rank_2"] = () =>
        {
            var b = new GraphBuilder("rank2", new WeightInit(Seed: 3, RandomizeStatistics: true));
            var x = b.Input("x", new Shape(3, 8));
            var n = b.BatchNorm(x, 1e-5f);
            b.Output(b.SliceChannels(b.ChannelShuffle(n, 4), 2, 7));
            b.Output(b.Softmax(n));
            return b.Build();
        },
        ["constants_read_as_data_by_every_kind_of_op"] = () =>
        {
            var b = new GraphBuilder("constants", new WeightInit(Seed: 4));
            var x = b.Input("x", Shape.Nchw(1, 4, 6, 6));
            var k = new Value(b.AddInitializer("k", Random(7, 1, 4, 6, 6)), new Shape(1, 4, 6, 6));
            b.Output(b.Add(x, b.Conv2d(k, 4, kernel: 3, name: "conv_of_constant")));
            b.Output(b.MaxPool(k, 3, 2, 1));
            b.Output(b.Concat([k, x]));
            b.Output(b.GlobalAveragePool(k));
            b.Output(b.Relu(k));
            return b.Build();
        },
        ["arithmetic_of_constants_only"] = () =>
        {
            var b = new GraphBuilder("constant-only");
            b.Input("unused", new Shape(1, 3));
            var p = new Value(b.AddInitializer("p", Random(8, 2, 3, 1, 4)), new Shape(2, 3, 1, 4));
            var q = new Value(b.AddInitializer("q", Random(9, 3, 1, 1)), new Shape(3, 1, 1));
            b.Output(b.Mul(q, p));
            b.Output(p);
            return b.Build();
        },
        ["broadcast_of_a_computed_vector_against_a_map"] = () =>
        {
            var b = new GraphBuilder("broadcast");
            var x = b.Input("x", Shape.Nchw(2, 3, 4, 5));
            var v = b.Input("v", new Shape(4, 1));
            b.Output(b.Add(b.Relu(x), b.Sigmoid(v)));
            b.Output(b.Mul(b.Sigmoid(v), x));
            return b.Build();
        },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Runs_with_the_references_results(string name)
    {
        var graph = Cases[name]();
        var seed = 30UL;
        var inputs = graph.Inputs.ToDictionary(i => i.Name, i => new Rng(seed++).NormalTensor(i.Shape.ToArray()));
        var expected = ReferenceInterpreter.Run(graph, inputs);
        foreach (var (threads, fuse) in new[] { (1, true), (2, true), (1, false) })
        {
            using var session = new InferenceSession(graph, new SessionOptions { Threads = threads, Fuse = fuse, GuardBuffers = true });
            var actual = session.Run(inputs);
            foreach (var (output, e) in expected)
            {
                var a = actual[output];
                Assert.Equal(e.Shape, a.Shape);
                for (var i = 0; i < e.Length; i++)
                    Assert.True(Math.Abs(e.Data[i] - a.Data[i]) <= 1e-5f * Math.Max(1f, Math.Abs(e.Data[i])),
                        $"{name} ({threads} threads, fuse {fuse}) output '{output}' element {i}: {a.Data[i]}, expected {e.Data[i]}");
            }
        }
    }
}
