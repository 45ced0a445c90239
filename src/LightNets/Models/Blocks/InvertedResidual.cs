using LightNets.Graphs;

namespace LightNets.Models.Blocks;

/// <summary>
/// The inverted residual of MobileNetV2 (its Table 1) and MobileNetV3's bneck (its Fig. 4): optional 1×1 expansion →
/// k×k depthwise → optional squeeze-and-excite → linear 1×1 projection, with an identity shortcut when the stride is 1
/// and the widths match. The expansion conv is omitted when it would not change the width (t = 1, exp = in).
/// </summary>
public static class InvertedResidual
{
    /// <param name="b">The builder.</param>
    /// <param name="x">Block input.</param>
    /// <param name="expandedChannels">Width of the depthwise stage (in·t for V2, the paper's "exp size" for V3).</param>
    /// <param name="outChannels">Output width.</param>
    /// <param name="kernel">Depthwise kernel (3 or 5).</param>
    /// <param name="stride">Depthwise stride.</param>
    /// <param name="activation">Nonlinearity after the expansion and the depthwise conv.</param>
    /// <param name="squeezeChannels">SE bottleneck width, or null for no SE.</param>
    /// <param name="bnEpsilon">BatchNorm ε.</param>
    public static Value Build(GraphBuilder b, Value x, int expandedChannels, int outChannels, int kernel, int stride,
        Activation activation, int? squeezeChannels, float bnEpsilon)
    {
        var y = x;
        if (expandedChannels != x.Shape.C)
            y = ConvBnAct.Pointwise(b, y, expandedChannels, activation, bnEpsilon, name: "expand");
        y = ConvBnAct.Depthwise(b, y, kernel, stride, activation, bnEpsilon);
        if (squeezeChannels is { } sq)
            y = SqueezeExcite.Build(b, y, sq);
        y = ConvBnAct.Pointwise(b, y, outChannels, Activation.None, bnEpsilon, name: "project");
        return stride == 1 && x.Shape.C == outChannels ? b.Add(y, x, name: "residual") : y;
    }
}
