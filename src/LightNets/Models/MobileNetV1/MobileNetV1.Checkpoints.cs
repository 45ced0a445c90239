namespace LightNets.Models.MobileNetV1;

/// <summary>
/// What timm calls MobileNetV1's tensors (torchvision has no MobileNetV1). The loader walks the zoo graph (stem,
/// layer1–13, classifier) and applies these rules.
/// </summary>
public static class MobileNetV1Checkpoints
{
    /// <summary>
    /// timm's mobilenetv1_100 and mobilenetv1_125 (EfficientNet class, _gen_mobilenet_v1): conv_stem/bn1, then the 13
    /// depthwise-separable layers as blocks.{stage}.{index} ('dsa' blocks: conv_dw/bn1, conv_pw/bn2, ReLU6 after both)
    /// in timm's five stages of 1, 2, 2, 6 and 2 (a new stage at each stride 2), no head conv, and the Linear classifier.
    /// timm rounds widths with make_divisible(c·α, 8), which agrees with the zoo's max(⌊c·α⌋, 8) wherever every c·α is a
    /// multiple of 8 (α = 0.25, 0.5, 0.75, 1, 1.25). BN ε 1e-5 (PyTorch's default).
    /// </summary>
    public static readonly CheckpointNaming Timm = new(
        CheckpointSource.Timm, ModelFamily.MobileNetV1, "timm MobileNetV1", new ModelOptions { Activation = Activation.Relu6 }, BatchNormEpsilon: 1e-5f,
        [
            new("stem", "", new Dictionary<string, CheckpointUnit[]> { ["conv"] = [new("conv_stem", "bn1")] }),
            new("layer*", "blocks.{stage}.{index}", new Dictionary<string, CheckpointUnit[]>
            {
                ["dw pw"] = [new("conv_dw", "bn1"), new("conv_pw", "bn2")],
            }, Stages: [1, 2, 2, 6, 2]),
            new("classifier", "", new Dictionary<string, CheckpointUnit[]> { ["fc"] = [new("classifier")] }),
        ]);
}
