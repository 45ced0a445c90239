using LightNets.Graphs;

namespace LightNets.Models.Blocks;

/// <summary>
/// The classifier block of ShuffleNetV1, MobileNetV2, ShuffleNetV2 and MobileNetV3: global average pooling flattened to
/// a vector (the tables' "GlobalPool", "avgpool 7x7", "pool, 7×7"), then the fully connected layer to the classes.
/// </summary>
public static class Classifier
{
    public static Value Pool(GraphBuilder b, Value x)
    {
        using var _ = b.Block("classifier");
        return b.Flatten(b.GlobalAveragePool(x));
    }

    /// <param name="b">The builder.</param>
    /// <param name="x">The pooled vector.</param>
    /// <param name="classes">Output features.</param>
    /// <param name="bias">Whether the layer has a bias (megvii's ShuffleNets have none).</param>
    /// <param name="dropout">Dropout ratio before the layer where the reference has one (the identity at inference), else null.</param>
    public static Value Fc(GraphBuilder b, Value x, int classes, bool bias = true, float? dropout = null)
    {
        using var _ = b.Block("classifier");
        return b.Gemm(dropout is { } ratio ? b.Dropout(x, ratio) : x, classes, bias);
    }
}
