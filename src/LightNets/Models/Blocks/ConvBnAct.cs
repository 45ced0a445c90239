using LightNets.Graphs;

namespace LightNets.Models.Blocks;

/// <summary>The unit every family is made of: convolution (no bias) → BatchNorm → activation.</summary>
public static class ConvBnAct
{
    public static Value Build(GraphBuilder b, Value x, int outChannels, int kernel, int stride, int groups, Activation activation, float bnEpsilon, string name = "conv")
    {
        using var _ = b.Scope(name);
        var y = b.Conv2d(x, outChannels, kernel, stride, groups);
        y = b.BatchNorm(y, bnEpsilon);
        return b.Apply(activation, y);
    }

    /// <summary>k×k depthwise convolution (groups = channels) → BN → activation.</summary>
    public static Value Depthwise(GraphBuilder b, Value x, int kernel, int stride, Activation activation, float bnEpsilon, string name = "dw") =>
        Build(b, x, x.Shape.C, kernel, stride, x.Shape.C, activation, bnEpsilon, name);

    /// <summary>1×1 (optionally grouped) convolution → BN → activation.</summary>
    public static Value Pointwise(GraphBuilder b, Value x, int outChannels, Activation activation, float bnEpsilon, int groups = 1, string name = "pw") =>
        Build(b, x, outChannels, 1, 1, groups, activation, bnEpsilon, name);
}
