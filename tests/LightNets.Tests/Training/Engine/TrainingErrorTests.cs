using LightNets.Graphs;
using LightNets.Tensors;
using LightNets.Training.Engine;

namespace LightNets.Tests.Training.Engine;

/// <summary>What the session refuses, and that it says so by name: graphs it cannot train, batches that do not fit, bad options.</summary>
public class TrainingErrorTests
{
    private static (GraphBuilder B, Value X) Start(int batch = 2, int channels = 3, int size = 5)
    {
        var b = new GraphBuilder("bad", new WeightInit(Seed: 1, RandomizeStatistics: true));
        return (b, b.Input("input", Shape.Nchw(batch, channels, size, size)));
    }

    [Fact]
    public void A_softmax_inside_the_network_is_refused_by_node_name()
    {
        var (b, x) = Start();
        x = b.Softmax(b.Conv2d(x, 4, 3), name: "inner_softmax");
        b.Output(b.Gemm(b.Flatten(b.GlobalAveragePool(x)), 3));
        var e = Assert.Throws<TrainingGraphException>(() => new TrainingSession(b.Build()));
        Assert.Contains("'inner_softmax'", e.Message);
    }

    [Fact]
    public void A_trailing_softmax_is_skipped_the_loss_applies_its_own()
    {
        var (b, x) = Start();
        b.Output(b.Softmax(b.Gemm(b.Flatten(b.GlobalAveragePool(b.Conv2d(x, 4, 3))), 3)));
        using var session = new TrainingSession(b.Build());
        var (input, labels) = TrainingGraphs.Batch(session.InputShape, 3, 1);
        session.Step(input, labels);
        Assert.Contains(session.Logits.ToArray(), v => v < 0f); // raw scores, not probabilities
    }

    [Fact]
    public void A_weight_shared_by_two_nodes_is_refused_by_name()
    {
        var (b, x) = Start();
        var y = b.Conv2d(x, 3, 1, name: "first");
        b.AddNode("second", Conv2dOp.Square(1), [y.Name, "first.weight"], ["second_out"]);
        b.Output(b.Gemm(b.Flatten(b.GlobalAveragePool(new Value("second_out", y.Shape))), 3));
        var e = Assert.Throws<TrainingGraphException>(() => new TrainingSession(b.Build()));
        Assert.Contains("'first.weight'", e.Message);
        Assert.Contains("'second'", e.Message);
    }

    [Fact]
    public void An_output_that_is_not_class_scores_is_refused()
    {
        var (b, x) = Start();
        b.Output(b.Conv2d(x, 4, 3, name: "features"));
        var e = Assert.Throws<TrainingGraphException>(() => new TrainingSession(b.Build()));
        Assert.Contains("[N, classes]", e.Message);
    }

    [Fact]
    public void Batch_statistics_of_one_value_per_channel_are_refused_unless_bn_is_frozen()
    {
        var (b, x) = Start(batch: 1, size: 1);
        b.Output(b.Gemm(b.Flatten(b.BatchNorm(b.Conv2d(x, 4, 1), 1e-5f, name: "lonely_bn")), 3));
        var e = Assert.Throws<TrainingGraphException>(() => new TrainingSession(b.Build()));
        Assert.Contains("'lonely_bn'", e.Message);
        Assert.Contains("batch of at least 2", e.Message);
    }

    [Fact]
    public void Batches_and_labels_that_do_not_fit_are_refused()
    {
        using var session = new TrainingSession(TrainingGraphs.EveryOp());
        var (input, labels) = TrainingGraphs.Batch(session.InputShape, session.Classes, 1);
        Assert.Contains("NCHW", Assert.Throws<TrainingInputException>(() => session.Step(input.AsSpan(1), labels)).Message);
        Assert.Contains("labels", Assert.Throws<TrainingInputException>(() => session.Step(input, labels.AsSpan(1))).Message);
        foreach (var bad in new[] { 10, -1, int.MaxValue })
        {
            labels[1] = bad;
            var e = Assert.Throws<TrainingInputException>(() => session.Step(input, labels));
            Assert.Contains($"label {bad} of image 1", e.Message);
        }
        Assert.Equal(0, session.StepsDone);
    }

    [Fact]
    public void Options_out_of_range_are_refused_by_name()
    {
        var graph = TrainingGraphs.EveryOp();
        Assert.Contains("label smoothing", Assert.Throws<TrainingOptionsException>(() =>
            new TrainingSession(graph, new TrainingSessionOptions { LabelSmoothing = float.NaN })).Message);
        Assert.Contains("momentum", Assert.Throws<TrainingOptionsException>(() =>
            new TrainingSession(graph, new TrainingSessionOptions { BatchNormMomentum = 1.5f })).Message);
        Assert.Contains("threads", Assert.Throws<TrainingOptionsException>(() =>
            new TrainingSession(graph, new TrainingSessionOptions { Threads = -2 })).Message);
        var e = Assert.Throws<WorkingMemoryException>(() => new TrainingSession(graph, new TrainingSessionOptions { MaxArenaBytes = 4096 }));
        Assert.Contains("MaxArenaBytes", e.Message);
    }
}
