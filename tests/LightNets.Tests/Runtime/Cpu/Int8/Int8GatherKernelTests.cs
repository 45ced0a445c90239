using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Runtime.Kernels.Reference.Int8;
using LightNets.Tensors;
using static LightNets.Tests.Runtime.Cpu.Int8.Int8TestData;

namespace LightNets.Tests.Runtime.Cpu.Int8;

/// <summary>
/// <see cref="Int8Gather"/> on every tier against <see cref="Int8GatherReference"/>, byte for byte: the channel maps a
/// shuffle leaves (the two halves after a shuffle of two groups, which zip two runs; three groups, which do not), plain
/// runs, odd lengths around the 16-byte unpacks; sources ending at a guard page, targets with sentinels around them.
/// </summary>
public unsafe class Int8GatherKernelTests
{
    public static TheoryData<Isa, int, int> Cases()
    {
        var data = new TheoryData<Isa, int, int>();
        foreach (var isa in CpuTestData.Tiers)
            foreach (var c in new[] { 2, 6, 30, 32, 34, 58, 116, 232, 488 })
                foreach (var groups in new[] { 1, 2, 3 })
                    data.Add(isa, c, groups);
        return data;
    }

    /// <summary>The physical channels of one half of a 2c-channel tensor shuffled in <paramref name="groups"/> groups (groups 1: a plain run).</summary>
    private static int[] ShuffledHalf(int c, int groups, int half)
    {
        var total = 2 * c;
        var perGroup = total / groups;
        return [.. Enumerable.Range(half * c, c).Select(j => groups == 1 ? j + 3 : j % groups * perGroup + j / groups)];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_gather_matches_the_reference(Isa isa, int c, int groups)
    {
        if (2 * c % groups != 0) return;
        foreach (var half in new[] { 0, 1 })
        {
            var from = ShuffledHalf(c, groups, half);
            var gather = ChannelGather.For(from);
            var rng = new Rng((ulong)(c * 31 + groups * 7 + half));
            var pixels = 1 + c % 5;
            var srcStride = from.Max() + 1 + half;
            var dstStride = c + (c % 3);
            using var src = new GuardedBytes((pixels - 1) * srcStride + from.Max() + 1);
            Fill(rng, src.Span);
            var dst = new SentinelBuffer<byte>(pixels, dstStride, 0xA5);
            Int8Gather.Run(gather, src.Ptr, srcStride, dst.Ptr, dstStride, pixels, isa);
            var expected = new byte[pixels * dstStride];
            Int8GatherReference.Run(from, src.Span, srcStride, expected, dstStride, pixels);
            for (var p = 0; p < pixels; p++)
                for (var i = 0; i < c; i++)
                    Assert.True(dst[p, i] == expected[p * dstStride + i], $"u8-gather__{isa.Word()} C={c} g={groups} half {half}: ({p}, {i}) is {dst[p, i]}");
            dst.AssertOnlyWritten(0, pixels, c, $"gather C={c} g={groups}");
        }
    }

    [Fact]
    public void The_shuffle_halves_of_two_groups_are_recognised_as_zips()
    {
        Assert.Equal("Zip2", ChannelGather.For(ShuffledHalf(58, 2, 1)).Kind.ToString());
        Assert.Equal("Copy", ChannelGather.For(ShuffledHalf(58, 1, 0)).Kind.ToString());
        Assert.Equal("Any", ChannelGather.For(ShuffledHalf(60, 3, 0)).Kind.ToString());
    }
}
