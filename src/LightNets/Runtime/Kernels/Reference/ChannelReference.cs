using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Runtime.Kernels.Reference;

/// <summary>
/// Reference channel operators: <see cref="ConcatOp"/>, <see cref="ChannelShuffleOp"/>, <see cref="SliceOp"/> and
/// <see cref="SplitOp"/>. All work on [N, C, …] tensors (rank ≥ 2) and move whole channel planes: channel c of image n
/// is the contiguous block of <c>inner</c> = product of the trailing dimensions starting at (n·C + c)·inner.
/// Values are copied bit for bit, NaN payloads and the sign of zero included.
/// </summary>
public static class ChannelReference
{
    /// <summary>
    /// Concatenation along axis 1: the channels of <paramref name="parts"/>[0], then those of [1], ….
    /// Y[n, offset_k + c, …] = parts[k][n, c, …], offset_k = Σ_{j &lt; k} C_j. All other dimensions must agree.
    /// </summary>
    public static Tensor Concat(IReadOnlyList<Tensor> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ReferenceGuard.That(parts.Count > 0, "needs at least one part", nameof(parts));
        var first = parts[0];
        ReferenceGuard.AtLeastRank(first, 2, nameof(parts));
        var channels = 0;
        foreach (var p in parts)
        {
            ReferenceGuard.NotNull(p, nameof(parts));
            var same = p.Shape.Rank == first.Shape.Rank;
            for (var d = 0; same && d < p.Shape.Rank; d++) same = d == 1 || p.Shape[d] == first.Shape[d];
            ReferenceGuard.That(same, $"cannot concatenate [{first.Shape}] with [{p.Shape}] along channels", nameof(parts));
            channels += p.Shape.C;
        }

        var shape = first.Shape.WithChannels(channels);
        var n = shape.N;
        var inner = ReferenceGuard.InnerSize(shape);
        var y = new Tensor(shape);
        var yd = y.Data;
        for (var ni = 0; ni < n; ni++)
        {
            var offset = 0;
            foreach (var p in parts)
            {
                var pc = p.Shape.C;
                for (var c = 0; c < pc; c++)
                    CopyPlane(p.Data, (ni * pc + c) * inner, yd, (ni * channels + offset + c) * inner, inner);
                offset += pc;
            }
        }
        return y;
    }

    /// <summary>
    /// Channel shuffle with g groups (ShuffleNetV1 §3.1): view the C = g·n channels as a g×n matrix (row i = group i),
    /// transpose it to n×g and flatten. Y[·, j·g + i, …] = X[·, i·n + j, …] for i ∈ [0, g), j ∈ [0, n).
    /// Shuffling with g and then with n = C/g restores the input.
    /// </summary>
    public static Tensor ChannelShuffle(Tensor x, int groups)
    {
        ReferenceGuard.AtLeastRank(x, 2, nameof(x));
        var c = x.Shape.C;
        ReferenceGuard.That(groups >= 1 && c % groups == 0, $"groups {groups} must divide the {c} channels of [{x.Shape}]", nameof(groups));
        var perGroup = c / groups;
        var inner = ReferenceGuard.InnerSize(x.Shape);
        var y = new Tensor(x.Shape);
        for (var ni = 0; ni < x.Shape.N; ni++)
        {
            for (var i = 0; i < groups; i++)
            {
                for (var j = 0; j < perGroup; j++)
                    CopyPlane(x.Data, (ni * c + i * perGroup + j) * inner, y.Data, (ni * c + j * groups + i) * inner, inner);
            }
        }
        return y;
    }

    /// <summary>Channels [start, end) of X: Y[n, c, …] = X[n, start + c, …] for c ∈ [0, end − start).</summary>
    public static Tensor Slice(Tensor x, int start, int end)
    {
        ReferenceGuard.AtLeastRank(x, 2, nameof(x));
        var c = x.Shape.C;
        ReferenceGuard.That(0 <= start && start < end && end <= c, $"channels [{start}, {end}) are not within the {c} of [{x.Shape}]", nameof(start));
        var count = end - start;
        var inner = ReferenceGuard.InnerSize(x.Shape);
        var y = new Tensor(x.Shape.WithChannels(count));
        for (var ni = 0; ni < x.Shape.N; ni++)
        {
            for (var k = 0; k < count; k++)
                CopyPlane(x.Data, (ni * c + start + k) * inner, y.Data, (ni * count + k) * inner, inner);
        }
        return y;
    }

    /// <summary>
    /// Consecutive channel parts of the given sizes: part k is <see cref="Slice"/>(x, s_k, s_k + sizes[k]) with
    /// s_k = Σ_{j &lt; k} sizes[j]. The sizes must be positive and sum to C.
    /// </summary>
    public static Tensor[] Split(Tensor x, IReadOnlyList<int> sizes)
    {
        ReferenceGuard.AtLeastRank(x, 2, nameof(x));
        ArgumentNullException.ThrowIfNull(sizes);
        ReferenceGuard.That(sizes.Count > 0 && sizes.All(s => s >= 1) && sizes.Sum() == x.Shape.C,
            $"parts [{string.Join(", ", sizes)}] do not split the {x.Shape.C} channels of [{x.Shape}]", nameof(sizes));
        var parts = new Tensor[sizes.Count];
        var start = 0;
        for (var k = 0; k < sizes.Count; k++)
        {
            parts[k] = Slice(x, start, start + sizes[k]);
            start += sizes[k];
        }
        return parts;
    }

    private static void CopyPlane(float[] src, int srcOffset, float[] dst, int dstOffset, int count)
    {
        for (var i = 0; i < count; i++) dst[dstOffset + i] = src[srcOffset + i];
    }
}
