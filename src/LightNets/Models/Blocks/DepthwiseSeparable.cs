using LightNets.Graphs;

namespace LightNets.Models.Blocks;

/// <summary>MobileNetV1's layer (its Fig. 3, right): 3×3 depthwise conv → BN → act → 1×1 conv → BN → act.</summary>
public static class DepthwiseSeparable
{
    public static Value Build(GraphBuilder b, Value x, int outChannels, int stride, Activation activation, float bnEpsilon, int kernel = 3)
    {
        var y = ConvBnAct.Depthwise(b, x, kernel, stride, activation, bnEpsilon);
        return ConvBnAct.Pointwise(b, y, outChannels, activation, bnEpsilon);
    }
}
