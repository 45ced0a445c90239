using LightNets.Graphs;

namespace LightNets.Models.Blocks;

/// <summary>
/// The stem ShuffleNetV1 (Table 1) and ShuffleNetV2 (Table 5) share: "Conv1" (k×k convolution → BN → ReLU) and "MaxPool"
/// (k×k, padded by 1 so that stride 2 halves the map, as in both reference implementations).
/// </summary>
public static class ShuffleNetStem
{
    public static Value Conv1(GraphBuilder b, Value x, int outChannels, int kSize, int stride, float bnEpsilon)
    {
        using var _ = b.Block("stem");
        return ConvBnAct.Build(b, x, outChannels, kSize, stride, 1, Activation.Relu, bnEpsilon, name: "conv1");
    }

    public static Value MaxPool(GraphBuilder b, Value x, int kSize, int stride)
    {
        using var _ = b.Block("stem");
        return b.MaxPool(x, kSize, stride, padding: 1);
    }
}
