using LightNets.Graphs;

namespace LightNets.Models.Blocks;

/// <summary>
/// MobileNetV3's squeeze-and-excite (its §5.3): global average pool → 1×1 conv C→sq with bias → ReLU → 1×1 conv sq→C
/// with bias → h-sigmoid → channel-wise multiply with the input.
/// </summary>
public static class SqueezeExcite
{
    public static Value Build(GraphBuilder b, Value x, int squeezeChannels)
    {
        using var _ = b.Scope("se");
        var s = b.GlobalAveragePool(x);
        s = b.Conv2d(s, squeezeChannels, kernel: 1, bias: true, name: "fc1");
        s = b.Relu(s);
        s = b.Conv2d(s, x.Shape.C, kernel: 1, bias: true, name: "fc2");
        s = b.HardSigmoid(s);
        return b.Mul(x, s, name: "scale");
    }
}
