using LightNets.Graphs;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Runtime.Kernels.Reference.Int8;
using LightNets.Tensors;
using static LightNets.Tests.Runtime.Cpu.Int8.Int8TestData;

namespace LightNets.Tests.Runtime.Cpu.Int8;

/// <summary>
/// <see cref="Int8DwConv"/> on every tier this process has against <see cref="Int8DwConvReference"/>, byte for byte: a
/// pairwise sweep of channel counts around every register width, odd spatial sizes, the specialized windows (3×3, 5×5
/// at stride 1 and 2) and others (5×3, 1×4, 7×7, stride 3, asymmetric padding), every epilogue variant, zero points 0
/// and 255, full-range weights, input and output as channel slices of wider pixels, the input ending at a guard page,
/// rows split in two calls, sentinels around the output.
/// </summary>
public unsafe class Int8DwConvKernelTests
{
    private static readonly (int KH, int KW)[] Kernels = [(3, 3), (5, 5), (5, 3), (1, 4), (7, 7), (3, 5)];
    private static readonly (int SH, int SW)[] Strides = [(1, 1), (2, 2), (1, 2), (2, 1), (3, 3)];

    private static readonly Padding2d[] Pads =
        [Padding2d.None, Padding2d.Symmetric(1), Padding2d.Symmetric(2), new(0, 0, 1, 1), new(1, 0, 2, 1), Padding2d.Symmetric(3)];

    /// <summary>(extra bytes per pixel, channel offset) of the input and output slices.</summary>
    private static readonly (int Extra, int Offset)[] Slices = [(0, 0), (3, 0), (7, 3)];

    private static readonly int[] Sizes = [1, 2, 7, 8, 15, 17, 33];

    public sealed record Case(int H, int W, int C, int KH, int KW, int SH, int SW, Padding2d Pad, int Variant,
        (int Extra, int Offset) In, (int Extra, int Offset) Out, bool SplitRows)
    {
        public DwConvShape Shape => DwConvShape.Create(H, W, C, KH, KW, SH, SW, Pad.Top, Pad.Left, Pad.Bottom, Pad.Right);

        public override string ToString() =>
            $"{H}x{W}x{C} k{KH}x{KW} s{SH}x{SW} pad {Pad} variant {Variant} in+{In.Extra}@{In.Offset} out+{Out.Extra}@{Out.Offset}" +
            (SplitRows ? " split" : "");
    }

    private static readonly List<Case> Sweep = BuildSweep();

    private static List<Case> BuildSweep()
    {
        int[] sizes = [CpuTestData.Channels.Length, Sizes.Length, Sizes.Length, Kernels.Length, Strides.Length, Pads.Length, 8,
            Slices.Length, Slices.Length, 2];
        return Pairwise.Cases(sizes, v => Make(v).Shape is { OH: >= 1, OW: >= 1 }, seed: 20_261_207).Select(Make).ToList();

        static Case Make(int[] v) => new(Sizes[v[1]], Sizes[v[2]], CpuTestData.Channels[v[0]], Kernels[v[3]].KH, Kernels[v[3]].KW,
            Strides[v[4]].SH, Strides[v[4]].SW, Pads[v[5]], v[6], Slices[v[7]], Slices[v[8]], v[9] == 1);
    }

    public static TheoryData<Isa, int, string> SweepCases()
    {
        var data = new TheoryData<Isa, int, string>();
        foreach (var isa in CpuTestData.Tiers)
            for (var i = 0; i < Sweep.Count; i++)
                data.Add(isa, i, Sweep[i].ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(SweepCases))]
    public void Matches_the_reference_byte_for_byte(Isa isa, int index, string description)
    {
        _ = description;
        Check(isa, Sweep[index]);
    }

    /// <summary>The depthwise layers of MobileNetV2 and V3 at small sizes, many channels (several blocks and a tail).</summary>
    [Theory]
    [MemberData(nameof(ModelLayers))]
    public void Model_layers_match_the_reference(Isa isa, int h, int c, int k, int stride)
    {
        var pad = Padding2d.Symmetric(k / 2);
        Check(isa, new Case(h, h, c, k, k, stride, stride, pad, h + c, (0, 0), (0, 0), SplitRows: true));
    }

    public static TheoryData<Isa, int, int, int, int> ModelLayers()
    {
        var data = new TheoryData<Isa, int, int, int, int>();
        foreach (var isa in CpuTestData.Tiers)
        {
            foreach (var (h, c, k, s) in new[] { (14, 144, 3, 1), (15, 96, 3, 2), (7, 960, 5, 1), (14, 72, 5, 2), (9, 100, 3, 1), (28, 24, 3, 1) })
                data.Add(isa, h, c, k, s);
        }
        return data;
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var s = DwConvShape.Create(4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1);
        var w = Int8DwConv.PackWeights(new sbyte[27], 3, 3, 3);
        var q = new Requantize { Scale = new float[3], Bias = new float[3] };
        var x = new byte[48];
        var y = new byte[48];
        fixed (byte* px = x) fixed (byte* py = y) fixed (int* pw = w)
        {
            var (ix, iy, iw) = ((nint)px, (nint)py, (nint)pw);
            Int8DwConv.Run(s, px, 3, 0, pw, q, 0, py, 3, 0, 4, Isa.V512);
            Assert.Throws<ArgumentException>(() => Int8DwConv.Run(s, (byte*)ix, 2, 0, (int*)iw, q, 0, (byte*)iy, 3, 0, 4, Isa.V512));
            Assert.Throws<ArgumentException>(() => Int8DwConv.Run(s, (byte*)ix, 3, 256, (int*)iw, q, 0, (byte*)iy, 3, 0, 4, Isa.V512));
            Assert.Throws<ArgumentException>(() => Int8DwConv.Run(s, (byte*)ix, 3, 0, (int*)iw, q, 1, (byte*)iy, 3, 0, 4, Isa.V512));
            Assert.Throws<ArgumentException>(() => Int8DwConv.Run(s, (byte*)ix, 3, 0, (int*)iw, q, 0, (byte*)iy, 3, 0, 5, Isa.V512));
        }
        Assert.Throws<ArgumentException>(() => Int8DwConv.PackWeights(new sbyte[26], 3, 3, 3));
    }

    private static void Check(Isa isa, Case t)
    {
        var s = t.Shape;
        var rng = new Rng((ulong)(t.H * 7919 + t.W * 613 + t.C * 31 + t.KH * 7 + t.Variant));
        var inStride = s.C + t.In.Extra + t.In.Offset;
        var outStride = s.C + t.Out.Extra + t.Out.Offset;
        var za = new[] { 0, 255, 128, Int(rng, 1, 254) }[t.Variant % 4];
        var w = Weights8(rng, s.C * s.KH * s.KW, WeightKind.FullRange, s.KH * s.KW);
        var q = Epilogue(rng, t.Variant, s.C + 1, s.KH * s.KW);
        var packed = Int8DwConv.PackWeights(w, s.C, s.KH, s.KW);

        // The input's last pixel's channel slice ends exactly at the guard page.
        var inLength = (s.H * s.W - 1) * inStride + t.In.Offset + s.C;
        using var input = new GuardedBytes(inLength);
        Fill(rng, input.Span);
        var output = new SentinelBuffer<byte>(s.OH * s.OW, outStride, 0xA5);
        var outPtr = (byte*)output.Ptr + t.Out.Offset;
        fixed (int* pw = packed)
        {
            var split = t.SplitRows ? s.OH / 2 : s.OH;
            Int8DwConv.Run(s, input.Ptr + t.In.Offset, inStride, za, pw, q, 1, outPtr, outStride, 0, split, isa);
            Int8DwConv.Run(s, input.Ptr + t.In.Offset, inStride, za, pw, q, 1, outPtr, outStride, split, s.OH, isa);
        }

        var expected = new byte[s.OH * s.OW * outStride];
        Int8DwConvReference.DwConv(s, input.Span[t.In.Offset..], inStride, za, w, q, 1, expected, outStride);
        for (var p = 0; p < s.OH * s.OW; p++)
        {
            for (var c = 0; c < s.C; c++)
            {
                if (output[p, t.Out.Offset + c] != expected[p * outStride + c])
                    Assert.Fail($"u8-dwconv__{isa.Word()} {t} za {za}: pixel {p} channel {c} is {output[p, t.Out.Offset + c]}, the reference {expected[p * outStride + c]}");
            }
        }
        AssertSliceOnly(output, s.OH * s.OW, t.Out.Offset, s.C, t.ToString());
    }

    /// <summary>Fails unless every byte outside the live channel slice of each pixel still holds the sentinel.</summary>
    private static void AssertSliceOnly(SentinelBuffer<byte> b, int pixels, int offset, int channels, string context)
    {
        for (var p = 0; p < pixels; p++)
        {
            for (var j = 0; j < b.Stride; j++)
            {
                if ((j < offset || j >= offset + channels) && b[p, j] != 0xA5)
                    Assert.Fail($"{context}: pixel {p} byte {j} outside the channel slice was written");
            }
        }
        b.AssertOnlyWritten(0, pixels, b.Stride, context);
    }
}
