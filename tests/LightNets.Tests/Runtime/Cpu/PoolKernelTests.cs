using LightNets.Graphs;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Reference;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime.Cpu;

/// <summary>
/// <see cref="Pool"/> against <see cref="PoolReference"/> on every tier. Max pooling and average pooling sum in the
/// reference's order and divide, so both must match it bit for bit; global average pooling multiplies by 1/(H·W).
/// </summary>
public class PoolKernelTests
{
    private static readonly (int KH, int KW)[] Windows = [(3, 3), (2, 2), (3, 2), (1, 1), (5, 5)];
    private static readonly (int SH, int SW)[] Strides = [(1, 1), (2, 2), (2, 1), (3, 3)];
    private static readonly Padding2d[] Pads = [Padding2d.None, Padding2d.Symmetric(1), new(0, 0, 1, 1), new(1, 0, 0, 1)];
    private static readonly (int Extra, int Offset)[] Slices = [(0, 0), (3, 0), (6, 2)];

    public sealed record Case(int H, int W, int C, int KH, int KW, int SH, int SW, Padding2d Pad, bool Ceil, bool Max,
        bool CountIncludePad, (int Extra, int Offset) In, (int Extra, int Offset) Out, bool SplitRows)
    {
        public PoolShape Shape => PoolShape.Create(H, W, C, KH, KW, SH, SW, Pad.Top, Pad.Left, Pad.Bottom, Pad.Right, Ceil);

        /// <summary>The reference's preconditions: padding smaller than the window, and an output.</summary>
        public bool Valid => Pad.Top < KH && Pad.Bottom < KH && Pad.Left < KW && Pad.Right < KW && Shape is { OH: >= 1, OW: >= 1 };

        public override string ToString() =>
            $"{(Max ? "max" : CountIncludePad ? "avg+pad" : "avg")} {H}x{W}x{C} k{KH}x{KW} s{SH}x{SW} pad {Pad}{(Ceil ? " ceil" : "")} " +
            $"in+{In.Extra}@{In.Offset} out+{Out.Extra}@{Out.Offset}{(SplitRows ? " split" : "")}";
    }

    private static readonly List<Case> Sweep = BuildSweep();

    private static List<Case> BuildSweep()
    {
        int[] sizes = [CpuTestData.Channels.Length, CpuTestData.Sizes.Length, CpuTestData.Sizes.Length, Windows.Length,
            Strides.Length, Pads.Length, 2, 3, Slices.Length, Slices.Length, 2];
        return Pairwise.Cases(sizes, v => Make(v).Valid, seed: 11_26).Select(Make).ToList();

        static Case Make(int[] v) => new(CpuTestData.Sizes[v[1]], CpuTestData.Sizes[v[2]], CpuTestData.Channels[v[0]],
            Windows[v[3]].KH, Windows[v[3]].KW, Strides[v[4]].SH, Strides[v[4]].SW, Pads[v[5]], v[6] == 1,
            Max: v[7] == 0, CountIncludePad: v[7] == 2, Slices[v[8]], Slices[v[9]], v[10] == 1);
    }

    public static TheoryData<int, string> SweepCases()
    {
        var data = new TheoryData<int, string>();
        for (var i = 0; i < Sweep.Count; i++) data.Add(i, Sweep[i].ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(SweepCases))]
    public void Pairwise_sweep_matches_the_reference_exactly_on_every_tier(int index, string description)
    {
        _ = description;
        Check(Sweep[index], seed: (ulong)index);
    }

    [Fact]
    public void Sweep_covers_every_factor_value()
    {
        Assert.InRange(Sweep.Count, 30, 200);
        Assert.Equal(CpuTestData.Channels.Order(), Sweep.Select(c => c.C).Distinct().Order());
        Assert.Contains(Sweep, c => c.Ceil && c.CountIncludePad);
        Assert.Contains(Sweep, c => c is { KH: 3, KW: 3, SH: 2, Max: true } && c.Pad == Padding2d.Symmetric(1));
    }

    /// <summary>ShuffleNet's stem max pool and ShuffleNetV1's average-pool shortcut (the unrolled 3×3 path), shrunk.</summary>
    [Theory]
    [InlineData(true, 24)]
    [InlineData(false, 240)]
    public void ShuffleNet_3x3_stride_2_pools_match_the_reference(bool max, int channels)
    {
        Check(new Case(28, 28, channels, 3, 3, 2, 2, Padding2d.Symmetric(1), false, max, CountIncludePad: true, (0, 0), (4, 0), SplitRows: true), seed: 7);
    }

    [Theory]
    [InlineData(1, 1, 1, 0)]
    [InlineData(7, 7, 33, 0)]
    [InlineData(3, 7, 1024, 5)]   // MobileNetV1's head: 4 registers per pass, 64 of them
    [InlineData(14, 14, 72, 0)]   // squeeze-and-excitation's squeeze: 4 + 0 registers and a half tail
    [InlineData(2, 15, 17, 3)]
    public unsafe void Global_average_matches_the_reference(int h, int w, int c, int extra)
    {
        const int batch = 3;
        var x = CpuTestData.Normal((ulong)(h * w * c), 1f, batch, c, h, w);
        var expected = PoolReference.GlobalAveragePool(x);
        var stride = c + extra;
        var images = Enumerable.Range(0, batch).Select(n => Strided.FromNchw(x, n, stride, 0)).ToArray();
        // The kernel takes the images one image stride apart: lay the three out back to back in one buffer.
        var input = new Strided(batch * h * w, c, stride, 0);
        for (var n = 0; n < batch; n++)
        {
            for (var p = 0; p < h * w; p++)
            {
                for (var ch = 0; ch < c; ch++) input[n * h * w + p, ch] = images[n][p, ch];
            }
        }
        foreach (var isa in CpuTestData.Tiers)
        {
            var output = Strided.Dense(batch, c);
            Pool.GlobalAverage(input.Ptr, batch, (long)h * w * stride, h * w, c, stride, output.Ptr, isa);
            output.AssertPoisonIntact($"gap {h}x{w}x{c} on {isa}");
            for (var n = 0; n < batch; n++)
            {
                for (var ch = 0; ch < c; ch++)
                {
                    var want = expected.Data[n * c + ch];
                    var got = output[n, ch];
                    Assert.True(Math.Abs(got - want) <= CpuTolerance.ReciprocalMultiply * Math.Abs(want),
                        $"gap {h}x{w}x{c} on {isa}: image {n} channel {ch} is {got:R}, reference {want:R}");
                }
            }
        }
    }

    /// <summary>
    /// A NaN at any cell of a window makes that window's maximum NaN, as in the reference (and PyTorch), on every tier:
    /// one NaN pixel swept over the whole image, for the unrolled 3×3 windows and the generic ones, with ±∞ elsewhere.
    /// A bare vmaxps accumulator forgot a NaN as soon as a number followed it in the window.
    /// </summary>
    [Theory]
    [InlineData(3, 3, 2, 1, false)]
    [InlineData(2, 2, 1, 0, false)]
    [InlineData(3, 2, 2, 0, true)]
    public unsafe void A_nan_anywhere_in_a_window_makes_its_maximum_nan(int kh, int kw, int stride, int pad, bool ceil)
    {
        const int h = 7, w = 6, c = 17;
        var op = new MaxPoolOp(kh, kw, stride, stride, Padding2d.Symmetric(pad), ceil);
        var shape = PoolShape.Create(h, w, c, kh, kw, stride, stride, pad, pad, pad, pad, ceil);
        for (var nan = 0; nan < h * w; nan++)
        {
            var x = CpuTestData.Normal((ulong)nan, 1f, 1, c, h, w);
            for (var ch = 0; ch < c; ch++)
            {
                x.Data[ch * h * w + nan] = float.NaN;
                x.Data[ch * h * w + (nan + 5 + ch) % (h * w)] = ch % 2 == 0 ? float.PositiveInfinity : float.NegativeInfinity;
            }
            var expected = PoolReference.MaxPool(x, op);
            var input = Strided.FromNchw(x, 0, c, 0);
            foreach (var isa in CpuTestData.Tiers)
            {
                var output = Strided.Dense(shape.OH * shape.OW, c);
                Pool.Max(shape, input.Ptr, c, output.Ptr, c, 0, shape.OH, isa);
                for (var ch = 0; ch < c; ch++)
                {
                    for (var p = 0; p < shape.OH * shape.OW; p++)
                    {
                        var want = expected.Data[ch * shape.OH * shape.OW + p];
                        var got = output[p, ch];
                        Assert.True(float.IsNaN(want) ? float.IsNaN(got) : got == want,
                            $"max {kh}x{kw}/{stride} NaN at pixel {nan} on {isa}: output {p} channel {ch} is {got:R}, reference {want:R}");
                    }
                }
            }
        }
    }

    [Fact]
    public unsafe void Windows_without_an_input_cell_are_refused()
    {
        var buffer = new float[64];
        fixed (float* p = buffer)
        {
            var x = p;
            // Padding as large as the window would make the first window pure padding.
            Assert.Throws<ArgumentException>(() => Pool.Max(PoolShape.Create(4, 4, 1, 2, 2, 2, 2, 2, 0, 0, 0, false), x, 1, x, 1, 0, 1, Isa.Scalar));
            Assert.Throws<ArgumentException>(() => Pool.Max(new PoolShape(4, 4, 1, 2, 2, 2, 2, 0, 0, 0, 0, 3, 2), x, 1, x, 1, 0, 3, Isa.Scalar));
        }
    }

    private static unsafe void Check(Case k, ulong seed)
    {
        var shape = k.Shape;
        // Negative-leaning values: a zero read from the padding would win a max pool and be caught.
        var x = CpuTestData.Normal(seed, 1f, 1, k.C, k.H, k.W);
        for (var i = 0; i < x.Data.Length; i++) x.Data[i] -= 2f;
        var expected = k.Max
            ? PoolReference.MaxPool(x, new MaxPoolOp(k.KH, k.KW, k.SH, k.SW, k.Pad, k.Ceil))
            : PoolReference.AveragePool(x, new AveragePoolOp(k.KH, k.KW, k.SH, k.SW, k.Pad, k.CountIncludePad, k.Ceil));
        Assert.Equal(Shape.Nchw(1, k.C, shape.OH, shape.OW), expected.Shape);

        var input = Strided.FromNchw(x, 0, k.C + k.In.Extra + k.In.Offset, k.In.Offset);
        foreach (var isa in CpuTestData.Tiers)
        {
            var output = new Strided(shape.OH * shape.OW, k.C, k.C + k.Out.Extra + k.Out.Offset, k.Out.Offset);
            foreach (var (start, end) in k.SplitRows ? CpuTestData.ThreeRanges(shape.OH) : [(0, shape.OH)])
            {
                if (k.Max) Pool.Max(shape, input.Ptr, input.Stride, output.Ptr, output.Stride, start, end, isa);
                else Pool.Average(shape, k.CountIncludePad, input.Ptr, input.Stride, output.Ptr, output.Stride, start, end, isa);
                output.AssertPoisonIntact($"{k} on {isa}, rows [{start}, {end})");
            }
            for (var c = 0; c < k.C; c++)
            {
                for (var p = 0; p < shape.OH * shape.OW; p++)
                {
                    var want = expected.Data[c * shape.OH * shape.OW + p];
                    if (!ExactFloat.Same(output[p, c], want))
                        Assert.Fail($"{k} on {isa}: pixel {p} channel {c} is {output[p, c]:R}, reference {want:R}");
                }
            }
        }
    }
}
