using LightNets.Runtime.Kernels.Reference;
using LightNets.Tensors;
using static LightNets.Tests.Runtime.ReferenceAssert;

namespace LightNets.Tests.Runtime;

public class ChannelReferenceTests
{
    /// <summary>[1, c, 1, 2] with channel k holding [10k, 10k + 1], so a whole plane identifies its source channel.</summary>
    private static Tensor Labelled(int c)
    {
        var t = new Tensor(Shape.Nchw(1, c, 1, 2));
        for (var k = 0; k < c; k++)
        {
            t.Data[2 * k] = 10 * k;
            t.Data[2 * k + 1] = 10 * k + 1;
        }
        return t;
    }

    private static float[] Planes(params int[] channels) => channels.SelectMany(k => new float[] { 10 * k, 10 * k + 1 }).ToArray();

    [Fact]
    public void Concat_stacks_channels_per_image()
    {
        var y = ChannelReference.Concat([Of([1, 1, 1, 2], 1, 2), Of([1, 2, 1, 2], 3, 4, 5, 6)]);
        Close([1, 3, 1, 2], [1, 2, 3, 4, 5, 6], y, Tolerance.Exact);

        var batched = ChannelReference.Concat([Of([2, 1, 1, 1], 1, 2), Of([2, 2, 1, 1], 3, 4, 5, 6)]);
        Close([2, 3, 1, 1], [1, 3, 4, 2, 5, 6], batched, Tolerance.Exact);
    }

    [Fact]
    public void Shuffle_with_2_groups_follows_the_definition()
    {
        // C = 6, g = 2, n = 3: out[j·2 + i] = in[i·3 + j] → source channels 0, 3, 1, 4, 2, 5.
        var y = ChannelReference.ChannelShuffle(Labelled(6), 2);
        Close([1, 6, 1, 2], Planes(0, 3, 1, 4, 2, 5), y, Tolerance.Exact);
    }

    [Fact]
    public void Shuffle_with_3_groups_follows_the_definition()
    {
        // C = 6, g = 3, n = 2: out[j·3 + i] = in[i·2 + j] → source channels 0, 2, 4, 1, 3, 5.
        var y = ChannelReference.ChannelShuffle(Labelled(6), 3);
        Close([1, 6, 1, 2], Planes(0, 2, 4, 1, 3, 5), y, Tolerance.Exact);
    }

    [Fact]
    public void Shuffle_with_1_group_or_C_groups_is_the_identity()
    {
        var x = Labelled(5);
        Identical(x, ChannelReference.ChannelShuffle(x, 1));
        Identical(x, ChannelReference.ChannelShuffle(x, 5));
    }

    [Theory]
    [InlineData(12, 2)]
    [InlineData(12, 3)]
    [InlineData(12, 4)]
    [InlineData(12, 6)]
    [InlineData(24, 8)]
    public void Shuffle_with_g_then_with_C_over_g_is_the_identity(int channels, int groups)
    {
        var x = Random((ulong)(channels * 100 + groups), 2, channels, 3, 3);
        var shuffled = ChannelReference.ChannelShuffle(x, groups);
        Assert.NotEqual(x.Data, shuffled.Data);
        Identical(x, ChannelReference.ChannelShuffle(shuffled, channels / groups));
    }

    [Fact]
    public void Slice_takes_a_channel_range_of_every_image()
    {
        var x = Of([2, 3, 1, 1], 1, 2, 3, 4, 5, 6);
        Close([2, 2, 1, 1], [2, 3, 5, 6], ChannelReference.Slice(x, 1, 3), Tolerance.Exact);
        Close([2, 1, 1, 1], [1, 4], ChannelReference.Slice(x, 0, 1), Tolerance.Exact);
    }

    [Fact]
    public void Split_cuts_consecutive_parts_and_concat_undoes_it()
    {
        var x = Of([2, 3, 1, 1], 1, 2, 3, 4, 5, 6);
        var parts = ChannelReference.Split(x, [2, 1]);
        Assert.Equal(2, parts.Length);
        Close([2, 2, 1, 1], [1, 2, 4, 5], parts[0], Tolerance.Exact);
        Close([2, 1, 1, 1], [3, 6], parts[1], Tolerance.Exact);

        var map = Random(11, 2, 8, 3, 5);
        Identical(map, ChannelReference.Concat(ChannelReference.Split(map, [4, 4])));
        Identical(map, ChannelReference.Concat(ChannelReference.Split(map, [1, 3, 4])));
    }

    [Fact]
    public void Bad_ranges_are_argument_errors()
    {
        var x = Labelled(4);
        Assert.Throws<ArgumentException>(() => ChannelReference.Slice(x, 2, 5));
        Assert.Throws<ArgumentException>(() => ChannelReference.Split(x, [2, 3]));
        Assert.Throws<ArgumentException>(() => ChannelReference.ChannelShuffle(x, 3));
    }
}
