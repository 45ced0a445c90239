using LightNets.Graphs;
using LightNets.Runtime.Kernels.Reference;
using static LightNets.Tests.Runtime.ReferenceAssert;

namespace LightNets.Tests.Runtime;

public class PoolReferenceTests
{
    // The 4×4 input x(r, c) = 4r + c + 1 (or its negation):
    //    1  2  3  4
    //    5  6  7  8
    //    9 10 11 12
    //   13 14 15 16
    // A 3×3 stride-2 window with padding 1 covers rows/cols {−1, 0, 1} and {1, 2, 3}; in ceil mode a third window
    // covers {3, 4, 5}, of which 3 is real, 4 is padding and 5 lies past the padding.

    private static readonly Padding2d Pad1 = Padding2d.Symmetric(1);

    [Fact]
    public void Max_pool_never_lets_padding_win()
    {
        var x = Iota(1, 1, 4, 4, step: -1); // −1 … −16: a zero from the padding would beat every cell
        var y = PoolReference.MaxPool(x, new MaxPoolOp(3, 3, 2, 2, Pad1));
        Close([1, 1, 2, 2], [-1, -2, -5, -6], y, Tolerance.Exact);
    }

    [Fact]
    public void Max_pool_in_ceil_mode_adds_a_partial_last_window()
    {
        var y = PoolReference.MaxPool(Iota(1, 1, 4, 4, step: -1), new MaxPoolOp(3, 3, 2, 2, Pad1, CeilMode: true));
        // Windows start at rows/cols {0, 1, 3} (clipped): max = −(4·r0 + c0 + 1).
        Close([1, 1, 3, 3], [-1, -2, -4, -5, -6, -8, -13, -14, -16], y, Tolerance.Exact);
    }

    [Fact]
    public void Average_pool_counting_padding_divides_by_the_full_window_at_corners()
    {
        var y = PoolReference.AveragePool(Iota(1, 1, 4, 4), new AveragePoolOp(3, 3, 2, 2, Pad1, CountIncludePad: true));
        // Window sums 14, 30, 57, 99, each over 9 cells.
        Close([1, 1, 2, 2], [14f / 9, 30f / 9, 57f / 9, 11], y, Tolerance.FewUlps);
    }

    [Fact]
    public void Average_pool_excluding_padding_divides_by_the_real_cells()
    {
        var y = PoolReference.AveragePool(Iota(1, 1, 4, 4), new AveragePoolOp(3, 3, 2, 2, Pad1, CountIncludePad: false));
        // Window sums 14, 30, 57, 99 over 4, 6, 6, 9 real cells.
        Close([1, 1, 2, 2], [3.5f, 5, 9.5f, 11], y, Tolerance.Exact);
    }

    [Fact]
    public void Average_pool_in_ceil_mode_clips_the_counted_window_to_the_padded_input()
    {
        var include = PoolReference.AveragePool(Iota(1, 1, 4, 4), new AveragePoolOp(3, 3, 2, 2, Pad1, CountIncludePad: true, CeilMode: true));
        // Sums by rows {0,1},{1,2,3},{3} × cols likewise: 14 30 12 / 57 99 36 / 27 45 16.
        // Cells inside the padded input [−1, 5) per axis: 3, 3, 2, so divisors 9 9 6 / 9 9 6 / 6 6 4 (PyTorch).
        Close([1, 1, 3, 3], [14f / 9, 30f / 9, 2, 57f / 9, 11, 6, 4.5f, 7.5f, 4], include, Tolerance.FewUlps);

        var exclude = PoolReference.AveragePool(Iota(1, 1, 4, 4), new AveragePoolOp(3, 3, 2, 2, Pad1, CountIncludePad: false, CeilMode: true));
        // Real cells per axis: 2, 3, 1, so divisors 4 6 2 / 6 9 3 / 2 3 1.
        Close([1, 1, 3, 3], [3.5f, 5, 6, 9.5f, 11, 12, 13.5f, 15, 16], exclude, Tolerance.Exact);
    }

    [Fact]
    public void Average_pool_with_asymmetric_padding()
    {
        // 2×2 stride 2 on 1..9 (3×3) with one padded row and column after: windows {0,1} and {2,3} per axis.
        var op = new Padding2d(0, 0, 1, 1);
        var include = PoolReference.AveragePool(Iota(1, 1, 3, 3), new AveragePoolOp(2, 2, 2, 2, op, CountIncludePad: true));
        Close([1, 1, 2, 2], [12f / 4, 9f / 4, 15f / 4, 9f / 4], include, Tolerance.Exact);
        var exclude = PoolReference.AveragePool(Iota(1, 1, 3, 3), new AveragePoolOp(2, 2, 2, 2, op, CountIncludePad: false));
        Close([1, 1, 2, 2], [3, 4.5f, 7.5f, 9], exclude, Tolerance.Exact);
    }

    [Fact]
    public void Pools_run_each_image_and_channel_alone()
    {
        var x = Iota(2, 3, 4, 4, step: -1);
        var y = PoolReference.MaxPool(x, new MaxPoolOp(3, 3, 2, 2, Pad1));
        // Plane p = n·3 + c holds −(16p + 1) … −(16p + 16).
        for (var p = 0; p < 6; p++)
        {
            float o = -16 * p;
            Close([o - 1, o - 2, o - 5, o - 6], y.Data[(4 * p)..(4 * p + 4)], Tolerance.Exact);
        }
    }

    [Fact]
    public void Global_average_pool_is_the_plane_mean()
    {
        var x = Of([2, 2, 2, 2], 1, 2, 3, 4, -1, -1, -1, 5, 0, 0, 0, 0, 8, 8, 8, 8);
        var y = PoolReference.GlobalAveragePool(x);
        Close([2, 2, 1, 1], [2.5f, 0.5f, 0, 8], y, Tolerance.Exact);
    }
}
