using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime;

/// <summary>
/// The compiled plan's fused steps on awkward shapes: channel counts around the 8- and 16-lane vectors, spatial sizes
/// 1, 2, 7, 15, 17, 33, strides 1 and 2, 3×3 and 5×5 windows, every activation, batch 1 and 3, one and two threads,
/// every ISA tier — each against the reference interpreter on the same graph.
/// </summary>
public class CompiledPlanSweepTests(ITestOutputHelper output)
{
    /// <summary>
    /// Per element, for float32 sums in other orders, FMA and BatchNorm folded, through two to eight layers whose
    /// outputs reach |ref| ≈ 11. Measured over every case and tier (the tests log it): largest |err| 3.8·10⁻⁶ where
    /// |ref| ≤ 1, largest |err|/|ref| 3.3·10⁻⁶ where |ref| &gt; 1 (both in a 33-channel block with t = 7, 5×5, on V256);
    /// the bound is about 5× that.
    /// </summary>
    private static readonly ElementTolerance Tolerance = new(2e-5, 1.6e-5);

    private static readonly int[] ChannelSweep = [1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 33];
    private static readonly int[] SpatialSweep = [1, 2, 7, 15, 17, 33];
    private static readonly Func<GraphBuilder, Value, Value>[] Activations =
    [
        (b, x) => x, (b, x) => b.Relu(x), (b, x) => b.Relu6(x), (b, x) => b.HardSwish(x), (b, x) => b.HardSigmoid(x),
    ];

    public static IEnumerable<object[]> BlockCases()
    {
        var i = 0;
        foreach (var isa in Emulation.Tiers)
        {
            foreach (var c in ChannelSweep)
            {
                var spatial = SpatialSweep[i % SpatialSweep.Length];
                yield return [isa, c, spatial, 1 + i % 4 * 2, i % 2 == 0 ? 3 : 5, 1 + i % 3 % 2, i % Activations.Length, i % 3 == 0 ? 3 : 1, 1 + i % 2];
                i++;
            }
        }
    }

    /// <summary>Expansion 1×1 → depthwise k×k/s → projection 1×1 (+ residual when it fits): MobileNetV2/V3's block, fused in bands.</summary>
    [Theory]
    [MemberData(nameof(BlockCases))]
    public void Inverted_residual_block(Isa isa, int c, int size, int t, int kernel, int stride, int act, int batch, int threads)
    {
        var b = new GraphBuilder("block", new WeightInit(Seed: (ulong)(c * 31 + size), RandomizeStatistics: true));
        var x = b.Input("x", Shape.Nchw(batch, c, size, size));
        var y = Activations[act](b, b.BatchNorm(b.Conv2d(x, c * t, 1), 1e-5f));
        y = Activations[(act + 1) % Activations.Length](b, b.BatchNorm(b.DepthwiseConv2d(y, kernel, stride), 1e-5f));
        y = b.BatchNorm(b.Conv2d(y, c, 1), 1e-5f);
        if (stride == 1) y = b.Add(y, x);
        b.Output(y);
        Check(b.Build(), isa, threads, $"block c={c} {size}² t={t} k={kernel} s={stride} act={act} n={batch}");
    }

    public static IEnumerable<object[]> ChannelSplitCases()
    {
        int[] channels = [6, 8, 20, 40];
        int[] sizes = [5, 7, 14];
        var i = 0;
        foreach (var isa in Emulation.Tiers)
        {
            foreach (var c in channels)
            {
                foreach (var size in sizes)
                {
                    yield return [isa, c, size, i % 2 == 0 ? 5 : 3, 1 + i % 3 % 2, i % Activations.Length, i % 2 == 1, 1 + i % 5 / 4];
                    i++;
                }
            }
        }
    }

    /// <summary>
    /// Small maps on two threads: the expansion and depthwise split by channels (whole GEMM panels per part, depthwise
    /// weights packed per run), with the projection as its own step, or the depthwise output going to an SE-like consumer.
    /// </summary>
    [Theory]
    [MemberData(nameof(ChannelSplitCases))]
    public void Channel_split_expansion_and_depthwise(Isa isa, int c, int size, int kernel, int stride, int act, bool project, int batch)
    {
        var b = new GraphBuilder("split", new WeightInit(Seed: (ulong)(c * 7 + size), RandomizeStatistics: true));
        // A first convolution, so that the block reads an NHWC tensor of the plan as in a network.
        var x = b.Relu(b.Conv2d(b.Input("x", Shape.Nchw(batch, c, size, size)), c, 1));
        var y = Activations[act](b, b.BatchNorm(b.Conv2d(x, c * 6, 1), 1e-5f));
        y = Activations[(act + 2) % Activations.Length](b, b.BatchNorm(b.DepthwiseConv2d(y, kernel, stride), 1e-5f));
        if (project)
        {
            y = b.BatchNorm(b.Conv2d(y, c, 1), 1e-5f);
            if (stride == 1) y = b.Add(y, x);
        }
        else
        {
            y = b.Relu(y); // not a 1×1 convolution: the depthwise output is materialized
        }
        b.Output(y);
        var g = b.Build();
        var what = $"split c={c}×6 {size}² k={kernel} s={stride} act={act} project={project} n={batch}";
        Check(g, isa, 2, what);
        using var session = new InferenceSession(g, new SessionOptions { GuardBuffers = true, Threads = 2, Isa = isa });
        var input = new Rng(5).NormalTensor(g.Input.Shape.ToArray());
        var profile = session.Profile(input.Data, new float[session.OutputShape.ElementCount], runs: 1, warmup: 0);
        // 240 channels on a 7×7 map at batch 1: enough work for two parts, and row bands would redo over 40% of the expansion.
        if (c == 40 && batch == 1 && size == 7)
            Assert.Contains(profile, p => p.Operator.Contains("split by channels", StringComparison.Ordinal));
    }

    /// <summary>
    /// ShuffleNetV1's unit on a small map, two threads: a grouped expansion (one packed matrix per group), the channel
    /// shuffle as a channel map, the depthwise split by runs of one group's panels, and the grouped projection after it.
    /// </summary>
    [Theory]
    [InlineData(3, 96, 7, 1)]
    [InlineData(3, 120, 14, 1)]
    [InlineData(3, 240, 7, 2)]
    [InlineData(4, 136, 7, 1)]
    [InlineData(8, 192, 9, 1)]
    public void Channel_split_with_a_grouped_expansion(int groups, int channels, int size, int stride)
    {
        foreach (var isa in Emulation.Tiers)
        {
            var b = new GraphBuilder("unit", new WeightInit(Seed: (ulong)(groups * 100 + channels), RandomizeStatistics: true));
            var x = b.Relu(b.Conv2d(b.Input("x", Shape.Nchw(1, 24, size, size)), channels * 4, 1));
            var y = b.Relu(b.BatchNorm(b.Conv2d(x, channels, 1, groups: groups), 1e-5f));
            y = b.BatchNorm(b.DepthwiseConv2d(b.ChannelShuffle(y, groups), 3, stride), 1e-5f);
            y = b.BatchNorm(b.Conv2d(y, channels * 4, 1, groups: groups), 1e-5f);
            b.Output(stride == 1 ? b.Relu(b.Add(y, x)) : b.Relu(y));
            var g = b.Build();
            Check(g, isa, 2, $"g={groups} {channels} channels {size}² s={stride}");
            using var session = new InferenceSession(g, new SessionOptions { GuardBuffers = true, Threads = 2, Isa = isa });
            var input = new Rng(5).NormalTensor(g.Input.Shape.ToArray());
            var profile = session.Profile(input.Data, new float[session.OutputShape.ElementCount], runs: 1, warmup: 0);
            Assert.Contains(profile, p => p.Operator.Contains("split by channels", StringComparison.Ordinal));
        }
    }

    public static IEnumerable<object[]> ConvCases()
    {
        var i = 0;
        foreach (var isa in Emulation.Tiers)
        {
            foreach (var cout in ChannelSweep)
            {
                yield return [isa, cout, SpatialSweep[(i + 2) % SpatialSweep.Length] + 1, i % 3, i % Activations.Length, 1 + i % 2];
                i++;
            }
        }
    }

    /// <summary>The stem (3×3/2 from the NCHW input), a dilated 5×5 and a grouped 3×3: the im2col step's direct and border paths.</summary>
    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Dense_convolutions(Isa isa, int cout, int size, int variant, int act, int threads)
    {
        var b = new GraphBuilder("conv", new WeightInit(Seed: (ulong)(cout + size), RandomizeStatistics: true));
        var x = b.Input("x", Shape.Nchw(2, variant == 2 ? 4 : 3, size, size));
        var op = variant switch
        {
            0 => Conv2dOp.Square(3, 2),
            1 => new Conv2dOp(5, 5, 1, 1, Padding2d.Symmetric(4), 2, 2, 1),
            _ => new Conv2dOp(3, 3, 1, 1, new Padding2d(0, 0, 1, 1), 1, 1, 2),
        };
        var c = variant == 2 ? cout * 2 : cout;
        var y = Activations[act](b, b.BatchNorm(b.Conv2d(x, c, op), 1e-3f));
        b.Output(y);
        Check(b.Build(), isa, threads, $"conv variant {variant} cout={c} {size}² act={act}");
    }

    public static IEnumerable<object[]> ShuffleCases()
    {
        var i = 0;
        foreach (var isa in Emulation.Tiers)
        {
            foreach (var c in new[] { 4, 8, 12, 16, 24, 34, 48 })
            {
                yield return [isa, c, SpatialSweep[i % SpatialSweep.Length] * 2 + 1, 1 + i % 2];
                i++;
            }
        }
    }

    /// <summary>
    /// ShuffleNetV2's down-sampling unit then two basic units (split, branch, concat, shuffle chains: channel maps over
    /// several units), and ShuffleNetV1's grouped 1×1 → shuffle → depthwise → grouped 1×1 + residual.
    /// </summary>
    [Theory]
    [MemberData(nameof(ShuffleCases))]
    public void Shuffle_units(Isa isa, int c, int size, int threads)
    {
        var b = new GraphBuilder("shuffle", new WeightInit(Seed: (ulong)c, RandomizeStatistics: true));
        var x = b.Input("x", Shape.Nchw(1, c, size, size));
        using (b.Block("down")) x = LightNets.Models.Blocks.ShuffleUnitV2.DownSampling(b, x, c, c, c, 1e-5f);
        using (b.Block("u1")) x = LightNets.Models.Blocks.ShuffleUnitV2.Basic(b, x, 1e-5f);
        using (b.Block("u2")) x = LightNets.Models.Blocks.ShuffleUnitV2.Basic(b, x, 1e-5f);
        if (2 * c % 4 == 0 && 2 * c / 4 % 2 == 0)
            using (b.Block("v1")) x = LightNets.Models.Blocks.ShuffleUnitV1.Build(b, x, 2 * c, 2 * c / 4, 2, 1, true, 1e-5f);
        b.Output(x);
        Check(b.Build(), isa, threads, $"shuffle units c={c} {size}²");
    }

    private void Check(Graph g, Isa isa, int threads, string what)
    {
        var x = new Rng(99).NormalTensor(g.Input.Shape.ToArray());
        using var session = new InferenceSession(g, new SessionOptions { GuardBuffers = true, Threads = threads, Isa = isa });
        what = $"{what} on {isa}, {threads} thread(s)";
        output.WriteLine($"{what}: {ReferenceAssert.MatchesOutput(ReferenceInterpreter.Run(g, x), session.Run(x), Tolerance, what)}");
    }
}
