using LightNets.Graphs;
using LightNets.Models;
using LightNets.Tensors;

namespace LightNets.Tests.Training.Engine;

/// <summary>Graphs the engine tests train: a tiny network with every trainable operator, and zoo models at small sizes.</summary>
internal static class TrainingGraphs
{
    /// <summary>
    /// Every operator the five families train with, on a 2×3×9×9 input, ~4,000 parameters, random BN statistics and
    /// biases: a ShuffleNetV2 unit (split, shuffle, concat), a ShuffleNetV1 unit (group convs, average-pool shortcut), a
    /// MobileNetV3 block (h-swish, 5×5 depthwise, SE with h-sigmoid, residual add), a per-image broadcast add, a
    /// constant per-channel scale, a sigmoid gate multiplying two computed values, a slice, a clip, a flatten of a 3×3
    /// map, dropout and a linear classifier.
    /// </summary>
    public static Graph EveryOp(int batch = 2, float dropout = 0.3f)
    {
        var b = new GraphBuilder("every-op", new WeightInit(Seed: 7, RandomizeStatistics: true));
        var x = b.Input("input", Shape.Nchw(batch, 3, 9, 9));
        x = b.Relu6(b.BatchNorm(b.Conv2d(x, 8, 3), 1e-5f));
        x = b.MaxPool(x, 3, 2, 1);                                                           // 5×5

        var parts = b.Split(x, [4, 4]);
        var branch = b.Relu(b.BatchNorm(b.Conv2d(parts[1], 4, 1), 1e-5f));
        branch = b.BatchNorm(b.DepthwiseConv2d(branch, 3), 1e-5f);
        branch = b.Relu(b.BatchNorm(b.Conv2d(branch, 4, 1), 1e-5f));
        x = b.ChannelShuffle(b.Concat([parts[0], branch]), 2);

        var shortcut = b.AveragePool(x, 3, 2, 1, countIncludePad: true);                    // 3×3
        var g = b.Relu(b.BatchNorm(b.Conv2d(x, 8, 1, groups: 2), 1e-5f));
        g = b.ChannelShuffle(g, 2);
        g = b.BatchNorm(b.DepthwiseConv2d(g, 3, stride: 2), 1e-5f);
        g = b.BatchNorm(b.Conv2d(g, 8, 1, groups: 2), 1e-5f);
        x = b.Relu(b.Concat([shortcut, g]));                                                 // 16 channels

        var e = b.HardSwish(b.BatchNorm(b.Conv2d(x, 24, 1), 1e-3f));
        e = b.HardSwish(b.BatchNorm(b.DepthwiseConv2d(e, 5), 1e-3f));
        var se = b.GlobalAveragePool(e);
        se = b.HardSigmoid(b.Conv2d(b.Relu(b.Conv2d(se, 8, 1, bias: true)), 24, 1, bias: true));
        e = b.BatchNorm(b.Conv2d(b.Mul(e, se), 16, 1), 1e-3f);
        x = b.Add(x, e);
        x = b.Add(x, b.GlobalAveragePool(x));

        var scale = b.AddInitializer("channel_scale", Tensor.FromArray(new Shape(1, 16, 1, 1),
            Enumerable.Range(0, 16).Select(i => 0.5f + i / 16f).ToArray()));
        x = b.Mul(x, new Value(scale, new Shape(1, 16, 1, 1)));
        x = b.SliceChannels(x, 2, 14);                                                      // 12 channels
        x = b.Mul(x, b.Sigmoid(b.Clip(x, -1f, 2.5f)));
        x = b.Dropout(b.Flatten(x), dropout);                                                // 12·3·3 = 108
        b.Output(b.Gemm(x, 10));
        return b.Build();
    }

    /// <summary>A zoo model at 32×32 with 10 classes, random BN statistics, and its dropout ratio set to <paramref name="dropout"/>.</summary>
    public static Graph Zoo(string name, int batch, float? dropout = null, int resolution = 32)
    {
        var graph = ModelZoo.Build(name, new ModelOptions
        {
            Resolution = resolution,
            Classes = 10,
            Batch = batch,
            Init = new WeightInit(Seed: 3, RandomizeStatistics: true),
        });
        if (dropout is not { } ratio) return graph;
        var nodes = graph.Nodes.Select(n => n.Op is DropoutOp ? new Node(n.Name, new DropoutOp(ratio), n.Inputs, n.Outputs, n.Block) : n);
        return graph.With(nodes: nodes);
    }

    /// <summary>A deterministic batch for <paramref name="shape"/>: NCHW values in [−2, 2) and labels in [0, classes).</summary>
    public static (float[] Input, int[] Labels) Batch(Shape shape, int classes, int seed)
    {
        var rng = new Random(seed);
        var input = new float[shape.ElementCount];
        for (var i = 0; i < input.Length; i++) input[i] = (float)(rng.NextDouble() * 4 - 2);
        var labels = new int[shape[0]];
        for (var i = 0; i < labels.Length; i++) labels[i] = rng.Next(classes);
        return (input, labels);
    }
}
