using System.Diagnostics;
using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Experiments.Advice;

/// <summary>
/// One convolution run on its own: the network's layer as it is, or a counterfactual the guideline proposes at equal
/// FLOPs (balanced widths, no groups, one op instead of several). Records compare by value, so equal shapes are timed once.
/// </summary>
public sealed record LayerConfig(int Batch, int InChannels, int Height, int Width, int OutChannels, Conv2dOp Op)
{
    /// <summary>The layer <paramref name="node"/> of <paramref name="graph"/>, alone.</summary>
    public static LayerConfig Of(Graph graph, Node node)
    {
        var x = graph.ShapeOf(node.Inputs[0]);
        return new LayerConfig(x.N, x.C, x.H, x.W, graph.ShapeOf(node.Outputs[0]).C, (Conv2dOp)node.Op);
    }

    /// <summary>G1's proposal: the same groups and stride, c1 = c2 = √(c1·c2) rounded to a multiple of g (equal FLOPs, up to rounding).</summary>
    public LayerConfig Balanced()
    {
        var g = Op.Groups;
        var c = Math.Max(g, (int)Math.Round(Math.Sqrt((double)InChannels * OutChannels) / g) * g);
        return this with { InChannels = c, OutChannels = c };
    }

    /// <summary>G2's proposal: no groups, the same kernel and stride, c1 = c2 = √(c1·c2/g) (equal FLOPs, up to rounding).</summary>
    public LayerConfig Ungrouped()
    {
        var c = Math.Max(1, (int)Math.Round(Math.Sqrt((double)InChannels * OutChannels / Op.Groups)));
        return this with { InChannels = c, OutChannels = c, Op = Op with { Groups = 1, WeightQuant = null } };
    }

    /// <summary>
    /// A dense, balanced 1×1 convolution on <paramref name="batch"/>×<paramref name="height"/>×<paramref name="width"/>
    /// pixels doing <paramref name="macs"/> multiply-adds: the yardstick for work the guidelines would move into one
    /// well-shaped GEMM (a depthwise convolution's FLOPs; several parallel fragments as one op).
    /// </summary>
    public static LayerConfig DensePointwise(int batch, int height, int width, long macs, int? inChannels = null, int stride = 1)
    {
        var pixels = (double)batch * height * width;
        int cin, cout;
        if (inChannels is { } c1)
        {
            cin = c1;
            cout = Math.Max(1, (int)Math.Round(macs / (pixels * c1)));
        }
        else cin = cout = Math.Max(1, (int)Math.Round(Math.Sqrt(macs / pixels)));
        var h = stride == 1 ? height : (height - 1) * stride + 1;
        var w = stride == 1 ? width : (width - 1) * stride + 1;
        return new LayerConfig(batch, cin, h, w, cout, Conv2dOp.Square(1, stride));
    }

    public Graph Build()
    {
        var b = new GraphBuilder($"layer_{InChannels}x{Height}x{Width}_{OutChannels}_k{Op.KernelH}g{Op.Groups}s{Op.StrideH}");
        var x = b.Input("x", new Shape(Batch, InChannels, Height, Width));
        b.Output(b.Conv2d(x, OutChannels, Op with { WeightQuant = null }));
        return b.Build();
    }

    /// <summary>Its MACs, by the cost model's rule (H_out·W_out·C_out·kh·kw·C_in/g per image).</summary>
    public long Macs
    {
        get
        {
            var h = (Height + Op.Padding.Top + Op.Padding.Bottom - Op.DilationH * (Op.KernelH - 1) - 1) / Op.StrideH + 1;
            var w = (Width + Op.Padding.Left + Op.Padding.Right - Op.DilationW * (Op.KernelW - 1) - 1) / Op.StrideW + 1;
            return (long)Batch * h * w * OutChannels * Op.KernelH * Op.KernelW * (InChannels / Op.Groups);
        }
    }

    public override string ToString() =>
        $"{Op.KernelH}×{Op.KernelW}{(Op.StrideH > 1 ? $"/{Op.StrideH}" : "")} {InChannels}→{OutChannels}{(Op.Groups > 1 ? $" g{Op.Groups}" : "")} on {Height}×{Width}";
}

/// <summary>Median times of single layers, measured in rotated rounds (each round compiles, warms and times each config).</summary>
public static class LayerBench
{
    public static IReadOnlyDictionary<LayerConfig, double> Measure(IReadOnlyCollection<LayerConfig> configs, AdviceSettings s, PhaseRunner phase)
    {
        var list = configs.Distinct().ToArray();
        var samples = list.ToDictionary(c => c, _ => new List<double>());
        var runs = new Dictionary<LayerConfig, int>();
        if (list.Length == 0) return new Dictionary<LayerConfig, double>();
        phase("advise: time layers and their counterfactuals", s.LayerRounds * list.Length, tick =>
        {
            for (var round = 0; round < s.LayerRounds; round++)
            {
                for (var i = 0; i < list.Length; i++)
                {
                    var config = list[(i + round) % list.Length];
                    samples[config].Add(TimeOnce(config, s, runs));
                    tick(config.ToString());
                }
            }
        });
        return samples.ToDictionary(p => p.Key, p => Stats.Median(p.Value) * 1e6);
    }

    /// <summary>One round of one config: its median run, in seconds.</summary>
    private static double TimeOnce(LayerConfig config, AdviceSettings s, Dictionary<LayerConfig, int> runs)
    {
        var graph = config.Build();
        using var session = new InferenceSession(graph, new SessionOptions { Threads = s.Threads, Fuse = false });
        var input = new Rng(s.Seed).NormalTensor(graph.Input.Shape.ToArray()).Data;
        var output = new float[session.OutputShape.ElementCount];
        session.Run(input, output);
        session.Run(input, output);
        if (!runs.TryGetValue(config, out var n))
        {
            var t0 = Stopwatch.GetTimestamp();
            session.Run(input, output);
            runs[config] = n = s.Runs(Stopwatch.GetElapsedTime(t0).TotalSeconds, s.LayerSeconds);
        }
        var times = new double[n];
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            session.Run(input, output);
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        return Stats.Median(times);
    }
}
