using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Experiments;

/// <summary>
/// Builds the guideline stacks as graphs (docs/GUIDELINES-SPEC.md §3): float32 N×C×size×size input, ten blocks, 1×1
/// convolutions without bias or padding, no BatchNorm, no activation except G4's ReLUs, element-wise ops (ReLU, Add,
/// Concat) as nodes of their own, a group convolution as one Conv2d node. Weights follow §3, not the zoo's Kaiming
/// fan-out: N(0, 1/fan_in) keeps the RMS of a linear stack roughly constant, and G4's convs before a ReLU use He
/// N(0, 2/fan_in), so that no config drifts into subnormals or overflow, which run far slower on x86.
/// </summary>
public static class GuidelineStacks
{
    /// <summary>The paper's feature-map size for Tables 1–4.</summary>
    public const int PaperSize = 56;

    /// <summary>The fixed seed of every config's weights and input.</summary>
    public const ulong DefaultSeed = 1807_11164;

    /// <summary>Builds <paramref name="spec"/> for <paramref name="batch"/> images of <paramref name="size"/>×<paramref name="size"/>.</summary>
    public static Graph Build(StackSpec spec, int batch = 1, int size = PaperSize, ulong seed = DefaultSeed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (batch < 1 || size < 1) throw new ArgumentOutOfRangeException(nameof(size), "batch and size must be at least 1");
        var b = new GraphBuilder(Name(spec));
        var x = b.Input("input", new Shape(batch, spec.InputChannels, size, size));
        for (var i = 0; i < StackSpec.Blocks; i++)
        {
            using var _ = b.Block($"block{i}");
            x = spec switch
            {
                PairStack p => PairBlock(b, x, p),
                GroupStack g => b.Conv2d(x, g.Channels, 1, groups: g.Groups),
                // The one-fragment block is G2's g = 1 network node for node, so that the twins give identical outputs.
                FragmentStack { Layout: FragmentLayout.One } f => b.Conv2d(x, f.Channels, 1),
                FragmentStack f => FragmentBlock(b, x, f),
                BottleneckStack r => Bottleneck(b, x, r),
                _ => throw new ArgumentOutOfRangeException(nameof(spec), spec, "unknown stack"),
            };
        }
        b.Output(x);
        return Reinitialize(b.Build(), spec, seed);
    }

    /// <summary>The input every config is timed on: N(0, 1) from the fixed seed.</summary>
    public static Tensor Input(Graph graph, ulong seed = DefaultSeed) => new Rng(seed).NormalTensor(graph.Input.Shape.ToArray());

    /// <summary>A readable graph name, e.g. "g1_32x32", "g3_2parallel_64", "g4_relu_noshortcut_32".</summary>
    public static string Name(StackSpec spec) => spec switch
    {
        PairStack p => $"g1_{p.C1}x{p.C2}",
        GroupStack g => $"g2_c{g.Channels}_g{g.Groups}",
        FragmentStack f => $"g3_{f.Layout.ToString().ToLowerInvariant()}_{f.Channels}",
        BottleneckStack r => $"g4_{(r.Relu ? "relu" : "norelu")}_{(r.Shortcut ? "shortcut" : "noshortcut")}_{r.Channels}",
        _ => spec.GetType().Name,
    };

    private static Value PairBlock(GraphBuilder b, Value x, PairStack p)
    {
        var y = b.Conv2d(x, p.C2, 1, name: "conv1");
        return b.Conv2d(y, p.C1, 1, name: "conv2");
    }

    private static Value FragmentBlock(GraphBuilder b, Value x, FragmentStack f)
    {
        if (!f.Parallel)
        {
            for (var k = 0; k < f.Fragments; k++) x = b.Conv2d(x, f.SeriesWidth, 1, name: $"conv{k + 1}");
            return x;
        }
        // Every branch reads the whole input and writes its own buffer; the Concat is a separate copy (resolution P1).
        var parts = new Value[f.Fragments];
        for (var k = 0; k < f.Fragments; k++) parts[k] = b.Conv2d(x, f.Channels / f.Fragments, 1, name: $"branch{k + 1}");
        return b.Concat(parts);
    }

    private static Value Bottleneck(GraphBuilder b, Value x, BottleneckStack r)
    {
        var y = b.Conv2d(x, r.Inner, 1, name: "conv1");
        if (r.Relu) y = b.Relu(y, "relu1");
        y = b.Conv2d(y, r.Inner, 3, name: "conv2");
        if (r.Relu) y = b.Relu(y, "relu2");
        y = b.Conv2d(y, r.Channels, 1, name: "conv3");
        if (r.Shortcut) y = b.Add(y, x);
        return r.Relu ? b.Relu(y, "relu3") : y;
    }

    /// <summary>Replaces the builder's Kaiming weights by the spec's: N(0, gain/fan_in), gain 2 for a conv followed by a ReLU in G4.</summary>
    private static Graph Reinitialize(Graph graph, StackSpec spec, ulong seed)
    {
        var initializers = new Dictionary<string, Tensor>(graph.Initializers, StringComparer.Ordinal);
        foreach (var node in graph.Nodes.Where(n => n.Op is Conv2dOp))
        {
            var name = node.Inputs[1];
            var shape = graph.ShapeOf(name);
            var fanIn = (double)shape[1] * shape[2] * shape[3];
            var heGain = spec is BottleneckStack { Relu: true } && !node.Name.EndsWith(".conv3", StringComparison.Ordinal);
            initializers[name] = Normal(shape, Math.Sqrt((heGain ? 2.0 : 1.0) / fanIn), Stream(seed, name));
        }
        return graph.With(initializers: initializers);
    }

    /// <summary>A per-tensor seed from the weight's name, so that two graphs with the same node names get the same weights.</summary>
    private static ulong Stream(ulong seed, string name)
    {
        var h = seed ^ 0x5DEECE66DUL;
        foreach (var ch in name) h = (h ^ ch) * 0x2545F4914F6CDD1DUL + 0x9E37UL;
        return h;
    }

    private static Tensor Normal(Shape shape, double std, ulong seed) => Tensor.Lazy(shape, s =>
    {
        var data = new float[s.ElementCount];
        new Rng(seed).FillNormal(data, 0, std);
        return data;
    });
}
