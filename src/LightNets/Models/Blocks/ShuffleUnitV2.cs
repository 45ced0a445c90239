using LightNets.Graphs;

namespace LightNets.Models.Blocks;

/// <summary>
/// ShuffleNetV2's units (its Fig. 3 c, d). Basic unit: channel split in halves, the second half through 1×1 → BN →
/// ReLU → 3×3 depthwise → BN → 1×1 → BN → ReLU, concat with the untouched first half, channel shuffle (g = 2).
/// Down-sampling unit: no split; left branch 3×3/2 depthwise → BN → 1×1 → BN → ReLU, right branch 1×1 → BN → ReLU →
/// 3×3/2 depthwise → BN → 1×1 → BN → ReLU; concat; shuffle.
/// </summary>
public static class ShuffleUnitV2
{
    public static Value Basic(GraphBuilder b, Value x, float bnEpsilon)
    {
        var c = x.Shape.C;
        if (c % 2 != 0)
            throw new ModelConfigurationException($"a ShuffleNetV2 basic unit splits its channels in halves, but {c} is odd");
        var halves = b.Split(x, [c / 2, c / 2]);
        Value right;
        using (b.Scope("branch2"))
            right = Branch(b, halves[1], c / 2, c / 2, stride: 1, bnEpsilon);
        var y = b.Concat([halves[0], right]);
        return b.ChannelShuffle(y, 2);
    }

    /// <param name="b">The builder.</param>
    /// <param name="x">Unit input (C_in).</param>
    /// <param name="leftOut">Output width of the left branch (C_out/2 in torchvision; C_in in the paper's Stage-2 unit).</param>
    /// <param name="rightMid">Width of the right branch's first 1×1 and depthwise conv (C_out/2).</param>
    /// <param name="rightOut">Output width of the right branch (C_out − leftOut).</param>
    /// <param name="bnEpsilon">BatchNorm ε.</param>
    public static Value DownSampling(GraphBuilder b, Value x, int leftOut, int rightMid, int rightOut, float bnEpsilon)
    {
        Value left, right;
        using (b.Scope("branch1"))
        {
            left = ConvBnAct.Depthwise(b, x, 3, 2, Activation.None, bnEpsilon);
            left = ConvBnAct.Pointwise(b, left, leftOut, Activation.Relu, bnEpsilon);
        }
        using (b.Scope("branch2"))
            right = Branch(b, x, rightMid, rightOut, stride: 2, bnEpsilon);
        var y = b.Concat([left, right]);
        return b.ChannelShuffle(y, 2);
    }

    private static Value Branch(GraphBuilder b, Value x, int mid, int outChannels, int stride, float bnEpsilon)
    {
        var y = ConvBnAct.Pointwise(b, x, mid, Activation.Relu, bnEpsilon, name: "pw1");
        y = ConvBnAct.Depthwise(b, y, 3, stride, Activation.None, bnEpsilon);
        return ConvBnAct.Pointwise(b, y, outChannels, Activation.Relu, bnEpsilon, name: "pw2");
    }
}
