namespace LightNets.Models.MobileNetV2;

/// <summary>
/// What torchvision and timm call MobileNetV2's tensors, block by block (the loader walks the zoo graph and applies
/// these rules; the zoo's blocks are numbered as torchvision's <c>features</c>: features.0 the stem, features.1–17 the
/// bottlenecks, features.18 the last 1×1 conv). Both build the same network at every α (timm's _gen_mobilenet_v2 rounds
/// as torchvision does and keeps the last conv at max(1280, 1280·α)); BN ε 1e-5 in both.
/// </summary>
public static class MobileNetV2Checkpoints
{
    /// <summary>
    /// torchvision.models.mobilenet_v2: a Conv2dNormActivation's conv is its .0 and its BN its .1; a bottleneck's layers
    /// are the items of its <c>conv</c> Sequential (expansion and depthwise Conv2dNormActivations, then the projection's
    /// bare conv and BN); the Linear after the Dropout is classifier.1.
    /// </summary>
    public static readonly CheckpointNaming Torchvision = new(
        CheckpointSource.Torchvision, ModelFamily.MobileNetV2, "torchvision MobileNetV2", new ModelOptions(), BatchNormEpsilon: 1e-5f,
        [
            new("features.*", "{zoo}", new Dictionary<string, CheckpointUnit[]>
            {
                ["conv"] = [new("0", "1")],
                ["dw project"] = [new("conv.0.0", "conv.0.1"), new("conv.1", "conv.2")],
                ["expand dw project"] = [new("conv.0.0", "conv.0.1"), new("conv.1.0", "conv.1.1"), new("conv.2", "conv.3")],
            }),
            new("classifier", "classifier", new Dictionary<string, CheckpointUnit[]> { ["fc"] = [new("1")] }),
        ]);

    /// <summary>
    /// timm's mobilenetv2_* (EfficientNet class): conv_stem/bn1, then the bottlenecks as blocks.{stage}.{index} with one
    /// stage per row of the paper's Table 2 (timm's arch_def is that table), the first a DepthwiseSeparableConv
    /// (conv_dw/bn1, conv_pw/bn2) and the others InvertedResiduals (conv_pw/bn1, conv_dw/bn2, conv_pwl/bn3); the last
    /// 1×1 conv is conv_head/bn2 and the Linear is classifier.
    /// </summary>
    public static readonly CheckpointNaming Timm = new(
        CheckpointSource.Timm, ModelFamily.MobileNetV2, "timm MobileNetV2", new ModelOptions(), BatchNormEpsilon: 1e-5f,
        [
            new("features.0", "", new Dictionary<string, CheckpointUnit[]> { ["conv"] = [new("conv_stem", "bn1")] }),
            new("features.18", "", new Dictionary<string, CheckpointUnit[]> { ["conv"] = [new("conv_head", "bn2")] }),
            new("features.*", "blocks.{stage}.{index}", new Dictionary<string, CheckpointUnit[]>
            {
                ["dw project"] = [new("conv_dw", "bn1"), new("conv_pw", "bn2")],
                ["expand dw project"] = [new("conv_pw", "bn1"), new("conv_dw", "bn2"), new("conv_pwl", "bn3")],
            }, Stages: MobileNetV2Table.Rows.Where(r => r.Operator == Operator.Bottleneck).Select(r => r.N).ToArray()),
            new("classifier", "", new Dictionary<string, CheckpointUnit[]> { ["fc"] = [new("classifier")] }),
        ]);
}
