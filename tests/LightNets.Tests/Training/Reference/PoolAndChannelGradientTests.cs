using LightNets.Graphs;
using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Reference;
using static LightNets.Tests.Training.Reference.GradCheck;

namespace LightNets.Tests.Training.Reference;

/// <summary>Finite-difference checks of max, average and global average pooling and of the channel maps (Concat, Split, shuffle).</summary>
public class PoolAndChannelGradientTests
{
    // n, h, w, c, kh, kw, stride h/w, pad top/left/bottom/right, ceil mode (0/1)
    public static TheoryData<string, int[]> Pools => new()
    {
        { "3x3 s2 p1 (ShuffleNet stem), batch 2", [2, 7, 6, 3, 3, 3, 2, 2, 1, 1, 1, 1, 0] },
        { "2x2 s2", [1, 6, 5, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0] },
        { "3x3 s1 p1 (overlapping windows)", [1, 5, 5, 2, 3, 3, 1, 1, 1, 1, 1, 1, 0] },
        { "3x3 s2 p1 ceil mode (window past the padding)", [1, 6, 6, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1] },
        { "3x3 s2x3, asymmetric pads 1/0/0/2, ceil (last row window past the bottom)", [2, 5, 7, 1, 3, 3, 2, 3, 1, 0, 0, 2, 1] },
    };

    [Theory]
    [MemberData(nameof(Pools))]
    public void Max_pool_backward_matches_finite_differences(string name, int[] g)
    {
        var p = Shape(g, max: true);
        var x = Random((int)p.InputLength, 61);   // distinct values: no tie within 2·step of the maximum
        var r = Random((int)p.OutputLength, 62);
        var y = new double[p.OutputLength];
        var argmax = new int[p.OutputLength];
        double Loss()
        {
            TrainReference.MaxPoolForward<double>(p, x, y, argmax);
            return Dot(r, y);
        }

        Loss();
        var dx = Poisoned(p.InputLength);
        TrainReference.MaxPoolBackward<double>(p, r, argmax, dx);
        AssertClose($"{name} dx", dx, Numeric(x, Loss));
    }

    [Theory]
    [MemberData(nameof(Pools))]
    public void Average_pool_backward_matches_finite_differences(string name, int[] g)
    {
        foreach (var includePad in new[] { false, true })
        {
            var p = Shape(g, max: false);
            var x = Random((int)p.InputLength, 63);
            var r = Random((int)p.OutputLength, 64);
            var y = new double[p.OutputLength];
            double Loss()
            {
                TrainReference.AvgPoolForward<double>(p, includePad, x, y);
                return Dot(r, y);
            }

            var dx = Poisoned(p.InputLength);
            TrainReference.AvgPoolBackward<double>(p, includePad, r, dx);
            AssertClose($"{name} count_include_pad={includePad} dx", dx, Numeric(x, Loss));
        }
    }

    [Theory]
    [InlineData(2, 9, 5)]
    [InlineData(1, 1, 3)]
    public void Global_average_pool_backward_matches_finite_differences(int n, int hw, int c)
    {
        var x = Random(n * hw * c, 65);
        var r = Random(n * c, 66);
        var y = new double[n * c];
        double Loss()
        {
            TrainReference.GlobalAvgPoolForward<double>(n, hw, c, x, y);
            return Dot(r, y);
        }

        var dx = Poisoned(x.Length);
        TrainReference.GlobalAvgPoolBackward<double>(n, hw, c, r, dx);
        AssertClose("dx", dx, Numeric(x, Loss));
    }

    public static TheoryData<string, int, int[]> Maps => new()
    {
        { "shuffle, 2 groups of 3", 6, [0, 3, 1, 4, 2, 5] },
        { "split: the second half", 6, [3, 4, 5] },
        { "concat's second input into 5 channels (identity onto a range)", 2, [0, 1] },
        { "repeats and skips (gradients must add)", 4, [3, 0, 3, 3, 1] },
    };

    [Theory]
    [MemberData(nameof(Maps))]
    public void Channel_map_backward_matches_finite_differences(string name, int cin, int[] map)
    {
        const int rows = 6;
        var x = Random(rows * cin, 67);
        var r = Random(rows * map.Length, 68);
        var y = new double[rows * map.Length];
        double Loss()
        {
            TrainReference.GatherChannels<double>(rows, cin, map.Length, map, x, y);
            return Dot(r, y);
        }

        var dx = new double[x.Length];
        TrainReference.ScatterAddChannels<double>(rows, cin, map.Length, map, r, dx);
        AssertClose($"{name} dx", dx, Numeric(x, Loss));

        // It accumulates: a second call adds the same gradient again (fan-out of one value to several consumers).
        var twice = (double[])dx.Clone();
        TrainReference.ScatterAddChannels<double>(rows, cin, map.Length, map, r, twice);
        for (var i = 0; i < dx.Length; i++) Assert.Equal(2 * dx[i], twice[i], 12);
    }

    [Fact]
    public void A_map_entry_outside_the_input_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            TrainReference.GatherChannels<double>(1, 2, 2, [0, 2], new double[2], new double[2]));
        Assert.Equal("map", e.ParamName);
    }

    private static PoolShape Shape(int[] g, bool max)
    {
        var pad = new Padding2d(g[8], g[9], g[10], g[11]);
        PoolOp op = max
            ? new MaxPoolOp(g[4], g[5], g[6], g[7], pad, g[12] == 1)
            : new AveragePoolOp(g[4], g[5], g[6], g[7], pad, CountIncludePad: false, g[12] == 1);
        var p = PoolShape.Create(g[0], g[1], g[2], g[3], op);
        p.Validate();
        return p;
    }
}
