using LightNets.Graphs;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Reference;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime.Cpu;

/// <summary>
/// <see cref="DwConv"/> against <see cref="ConvReference"/> (groups = C) on every tier this machine has: a pairwise
/// sweep of awkward shapes, the channel counts of the real networks (several channel groups, tails), and the contract
/// (row ranges compose, nothing outside the output slice is written, bad arguments are refused).
/// </summary>
public class DwConvKernelTests
{
    private static readonly (int KH, int KW)[] Kernels = [(3, 3), (5, 5), (5, 3), (1, 4), (7, 7)];
    private static readonly (int SH, int SW)[] Strides = [(1, 1), (2, 2), (1, 2), (2, 1), (3, 3)];

    private static readonly Padding2d[] Pads =
        [Padding2d.None, Padding2d.Symmetric(1), Padding2d.Symmetric(2), new(0, 0, 1, 1), new(1, 0, 2, 1), Padding2d.Symmetric(3)];

    /// <summary>(extra floats per pixel, channel offset) of the input and output slices.</summary>
    private static readonly (int Extra, int Offset)[] Slices = [(0, 0), (3, 0), (7, 3)];

    public sealed record Case(int H, int W, int C, int KH, int KW, int SH, int SW, Padding2d Pad, FusedActivation Act,
        (int Extra, int Offset) In, (int Extra, int Offset) Out, bool Bias, bool SplitRows)
    {
        public DwConvShape Shape => DwConvShape.Create(H, W, C, KH, KW, SH, SW, Pad.Top, Pad.Left, Pad.Bottom, Pad.Right);

        public override string ToString() =>
            $"{H}x{W}x{C} k{KH}x{KW} s{SH}x{SW} pad {Pad} {Act} in+{In.Extra}@{In.Offset} out+{Out.Extra}@{Out.Offset}" +
            $"{(Bias ? " bias" : "")}{(SplitRows ? " split" : "")}";
    }

    private static readonly List<Case> Sweep = BuildSweep();

    private static List<Case> BuildSweep()
    {
        int[] sizes = [CpuTestData.Channels.Length, CpuTestData.Sizes.Length, CpuTestData.Sizes.Length, Kernels.Length,
            Strides.Length, Pads.Length, CpuTestData.Activations.Length, Slices.Length, Slices.Length, 2, 2];
        return Pairwise.Cases(sizes, v => Make(v).Shape is { OH: >= 1, OW: >= 1 }, seed: 20_251_126).Select(Make).ToList();

        static Case Make(int[] v) => new(CpuTestData.Sizes[v[1]], CpuTestData.Sizes[v[2]], CpuTestData.Channels[v[0]],
            Kernels[v[3]].KH, Kernels[v[3]].KW, Strides[v[4]].SH, Strides[v[4]].SW, Pads[v[5]], CpuTestData.Activations[v[6]],
            Slices[v[7]], Slices[v[8]], v[9] == 1, v[10] == 1);
    }

    public static TheoryData<int, string> SweepCases()
    {
        var data = new TheoryData<int, string>();
        for (var i = 0; i < Sweep.Count; i++) data.Add(i, Sweep[i].ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(SweepCases))]
    public void Pairwise_sweep_matches_the_reference_on_every_tier(int index, string description)
    {
        _ = description; // shown in the test name
        Check(Sweep[index], seed: (ulong)index);
    }

    [Fact]
    public void Sweep_covers_every_factor_value()
    {
        Assert.InRange(Sweep.Count, 40, 200);
        Assert.Equal(CpuTestData.Channels.Order(), Sweep.Select(c => c.C).Distinct().Order());
        Assert.Equal(CpuTestData.Activations.Length, Sweep.Select(c => c.Act).Distinct().Count());
        Assert.Equal(Kernels.Length, Sweep.Select(c => (c.KH, c.KW)).Distinct().Count());
        Assert.Contains(Sweep, c => c.Pad == new Padding2d(0, 0, 1, 1));
    }

    /// <summary>
    /// The networks' channel counts on small images: several channel groups (a 3×3 group is 224 channels, a 5×5 group
    /// 80, a 7×7 group 32), a last group with a tail, and the generic path for a 7×7 window.
    /// </summary>
    [Theory]
    [InlineData(9, 9, 232, 3, 1, 1)]   // ShuffleNetV2 1.0×, stage 4: two groups, the second a bare 8-lane tail
    [InlineData(10, 10, 116, 3, 2, 1)] // ShuffleNetV2 down-sampling unit
    [InlineData(9, 9, 200, 5, 1, 2)]   // three 5×5 groups, the last 40 = 2 registers + 8
    [InlineData(7, 7, 960, 5, 1, 2)]   // MobileNetV3-Large's last 5×5 stage
    [InlineData(8, 8, 72, 5, 2, 2)]    // MobileNetV3's first 5×5 stage, stride 2
    [InlineData(15, 15, 144, 3, 2, 1)] // MobileNetV2's stride-2 expansion width
    [InlineData(6, 6, 100, 7, 1, 3)]   // generic path with groups of 32
    public void Network_channel_counts_match_the_reference(int h, int w, int c, int k, int stride, int pad)
    {
        foreach (var act in new[] { FusedActivation.Relu6, FusedActivation.HardSwish })
            Check(new Case(h, w, c, k, k, stride, stride, Padding2d.Symmetric(pad), act, (0, 0), (5, 2), Bias: true, SplitRows: true), seed: (ulong)c);
    }

    [Fact]
    public unsafe void Packing_is_tap_major_with_zero_padded_channels()
    {
        float[] oihw = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; // C = 3, 2×2
        var packed = DwConv.PackWeights(oihw, 3, 2, 2);
        Assert.Equal(4 * 16, packed.Length);
        Assert.Equal([1f, 5, 9, 0], packed[..4]);  // tap (0, 0) of channels 0, 1, 2, then padding
        Assert.Equal([4f, 8, 12], packed[48..51]); // tap (1, 1)
        Assert.All(packed[51..64], v => Assert.Equal(0f, v));
    }

    [Fact]
    public unsafe void Bad_arguments_are_refused()
    {
        var s = DwConvShape.Create(4, 4, 8, 3, 3, 1, 1, 1, 1, 1, 1);
        var buffer = new float[4 * 4 * 16];
        var weights = DwConv.PackWeights(new float[8 * 9], 8, 3, 3);
        fixed (float* x = buffer)
        fixed (float* w = weights)
        {
            var p = x;
            var q = w;
            Assert.Throws<ArgumentException>(() => DwConv.Run(s, p, 7, q, null, p, 8, 0, 4, FusedActivation.None, Isa.Scalar));
            Assert.Throws<ArgumentException>(() => DwConv.Run(s, p, 8, q, null, p, 8, 2, 5, FusedActivation.None, Isa.Scalar));
            Assert.Throws<ArgumentException>(() => DwConv.Run(s with { OH = 0 }, p, 8, q, null, p, 8, 0, 0, FusedActivation.None, Isa.Scalar));
            Assert.Throws<ArgumentNullException>(() => DwConv.Run(s, p, 8, null, null, p, 8, 0, 4, FusedActivation.None, Isa.Scalar));
        }
        Assert.Throws<ArgumentException>(() => DwConv.PackWeights(new float[10], 8, 3, 3));
    }

    private static unsafe void Check(Case k, ulong seed)
    {
        var shape = k.Shape;
        var x = CpuTestData.Normal(seed, 1f, 1, k.C, k.H, k.W);
        var w = CpuTestData.Normal(seed + 1, 0.5f, k.C, 1, k.KH, k.KW);
        var b = k.Bias ? CpuTestData.Normal(seed + 2, 1f, k.C) : null;
        var op = new Conv2dOp(k.KH, k.KW, k.SH, k.SW, k.Pad, Groups: k.C);
        var expected = ConvReference.Conv2d(x, w, b, op);
        var magnitude = ConvReference.Conv2d(CpuTestData.Abs(x), CpuTestData.Abs(w), b is null ? null : CpuTestData.Abs(b), op);
        Assert.Equal(Shape.Nchw(1, k.C, shape.OH, shape.OW), expected.Shape);

        var packed = DwConv.PackWeights(w.Data, k.C, k.KH, k.KW);
        var input = Strided.FromNchw(x, 0, k.C + k.In.Extra + k.In.Offset, k.In.Offset);
        var bias = b?.Data ?? [];
        foreach (var isa in CpuTestData.Tiers)
        {
            var output = new Strided(shape.OH * shape.OW, k.C, k.C + k.Out.Extra + k.Out.Offset, k.Out.Offset);
            var ranges = k.SplitRows ? CpuTestData.ThreeRanges(shape.OH) : [(0, shape.OH)];
            fixed (float* pw = packed)
            fixed (float* pb = bias)
            {
                foreach (var (start, end) in ranges)
                {
                    DwConv.Run(shape, input.Ptr, input.Stride, pw, k.Bias ? pb : null, output.Ptr, output.Stride, start, end, k.Act, isa);
                    output.AssertPoisonIntact($"{k} on {isa}, rows [{start}, {end})");
                }
            }
            input.AssertPoisonIntact($"{k} on {isa} (input)");
            for (var c = 0; c < k.C; c++)
            {
                for (var p = 0; p < shape.OH * shape.OW; p++)
                {
                    var i = c * shape.OH * shape.OW + p;
                    var want = Activations.Apply(expected.Data[i], k.Act);
                    var got = output[p, c];
                    var bound = CpuTolerance.ReorderedDot * magnitude.Data[i] + CpuTolerance.ActivationUlps * Math.Abs(want);
                    if (!(Math.Abs(got - want) <= bound))
                        Assert.Fail($"{k} on {isa}: pixel {p} channel {c} is {got:R}, reference {want:R} (|diff| {Math.Abs(got - want):G3} > {bound:G3})");
                }
            }
        }
    }
}
