using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Runtime.Kernels.Reference.Int8;
using LightNets.Tensors;
using static LightNets.Tests.Runtime.Cpu.Int8.Int8TestData;

namespace LightNets.Tests.Runtime.Cpu.Int8;

/// <summary><see cref="Int8Pool"/> on every tier against <see cref="Int8PoolReference"/>, byte for byte.</summary>
public unsafe class Int8PoolKernelTests
{
    private static readonly int[] Channels = [.. CpuTestData.Channels, 64, 65, 100, 130];

    public static TheoryData<Isa, int> TiersByChannels()
    {
        var data = new TheoryData<Isa, int>();
        foreach (var isa in CpuTestData.Tiers)
            foreach (var c in Channels)
                data.Add(isa, c);
        return data;
    }

    /// <summary>Two images with gaps between them, input and output as channel slices, every epilogue variant and zero point.</summary>
    [Theory]
    [MemberData(nameof(TiersByChannels))]
    public void Global_average_matches_the_reference(Isa isa, int c)
    {
        foreach (var pixels in new[] { 1, 2, 7, 49, 196 })
        {
            var rng = new Rng((ulong)(c * 1000 + pixels));
            var variant = c + pixels;
            var stride = c + pixels % 3;
            var imageStride = (long)pixels * stride + 5;
            var za = new[] { 0, 255, 128, Int(rng, 1, 254) }[variant % 4];
            var q = Epilogue(rng, variant, c + 2, pixels);
            for (var i = 0; i < c + 2; i++) q.Scale[i] = (float)(rng.NextDouble() * 0.5 + 0.01) / pixels;
            using var x = new GuardedBytes((int)imageStride + (pixels - 1) * stride + c);
            Fill(rng, x.Span);
            var outStride = c + 3;
            var y = new SentinelBuffer<byte>(2, outStride, 0xA5);
            Int8Pool.GlobalAverage(x.Ptr, 2, imageStride, pixels, c, stride, za, q, 2, y.Ptr, outStride, isa);
            for (var n = 0; n < 2; n++)
            {
                var dense = new byte[pixels * c];
                for (var p = 0; p < pixels; p++)
                    for (var ch = 0; ch < c; ch++)
                        dense[p * c + ch] = x.Span[(int)(n * imageStride) + p * stride + ch];
                var expected = Int8PoolReference.GlobalAverage(dense, pixels, c, za, q, 2);
                for (var ch = 0; ch < c; ch++)
                    Assert.True(expected[ch] == y[n, ch], $"u8-gavgpool__{isa.Word()} C={c} pixels={pixels}: image {n} channel {ch} is {y[n, ch]}, the reference {expected[ch]}");
            }
            y.AssertOnlyWritten(0, 2, c, $"gavgpool C={c}");
        }
    }

    [Theory]
    [MemberData(nameof(TiersByChannels))]
    public void Max_pool_matches_the_reference(Isa isa, int c)
    {
        (int H, int W, int K, int S, int Pad)[] shapes = [(7, 7, 3, 2, 1), (8, 5, 2, 2, 0), (15, 15, 3, 1, 1), (4, 9, 5, 2, 2), (1, 1, 1, 1, 0)];
        foreach (var (h, w, k, stride, pad) in shapes)
        {
            var s = PoolShape.Create(h, w, c, k, k, stride, stride, pad, pad, pad, pad, ceilMode: false);
            var rng = new Rng((ulong)(c * 31 + h * 7 + k));
            var inStride = c + 1;
            using var x = new GuardedBytes((h * w - 1) * inStride + c);
            Fill(rng, x.Span);
            var outStride = c + 2;
            var y = new SentinelBuffer<byte>(s.OH * s.OW, outStride, 0xA5);
            Int8Pool.Max(s, x.Ptr, inStride, y.Ptr, outStride, 0, s.OH / 2, isa);
            Int8Pool.Max(s, x.Ptr, inStride, y.Ptr, outStride, s.OH / 2, s.OH, isa);
            var dense = new byte[h * w * c];
            for (var p = 0; p < h * w; p++)
                for (var ch = 0; ch < c; ch++)
                    dense[p * c + ch] = x.Span[p * inStride + ch];
            var expected = Int8PoolReference.Max(s, dense);
            for (var p = 0; p < s.OH * s.OW; p++)
                for (var ch = 0; ch < c; ch++)
                    Assert.True(expected[p * c + ch] == y[p, ch], $"u8-maxpool__{isa.Word()} {s}: pixel {p} channel {ch}");
            y.AssertOnlyWritten(0, s.OH * s.OW, c, $"maxpool {s}");
        }
    }
}
