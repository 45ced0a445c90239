namespace LightNets.Models.MobileNetV3;

/// <summary>
/// What torchvision and timm call MobileNetV3's tensors, block by block (the loader walks the zoo graph, whose blocks
/// are numbered as torchvision's <c>features</c>, and applies these rules). The two sources round widths differently
/// (docs/ARCH-SPEC.md §5.5), so each loads into its own <see cref="WidthRounding"/> only.
/// </summary>
public static class MobileNetV3Checkpoints
{
    /// <summary>
    /// torchvision.models.mobilenet_v3_large/_small: a Conv2dNormActivation's conv is its .0 and its BN its .1; a bneck's
    /// layers are the items of its <c>block</c> Sequential (expansion, depthwise, SqueezeExcitation with fc1/fc2, projection);
    /// the head is classifier.0 (Linear), Hardswish, Dropout and classifier.3. BN ε 1e-3.
    /// </summary>
    public static readonly CheckpointNaming Torchvision = new(
        CheckpointSource.Torchvision, ModelFamily.MobileNetV3, "torchvision MobileNetV3",
        new ModelOptions { Rounding = WidthRounding.Torchvision }, BatchNormEpsilon: 1e-3f,
        [
            new("features.*", "{zoo}", new Dictionary<string, CheckpointUnit[]>
            {
                ["conv"] = [new("0", "1")],
                ["dw project"] = [new("block.0.0", "block.0.1"), new("block.1.0", "block.1.1")],
                ["dw se.fc1 se.fc2 project"] = [new("block.0.0", "block.0.1"), new("block.1.fc1"), new("block.1.fc2"), new("block.2.0", "block.2.1")],
                ["expand dw project"] = [new("block.0.0", "block.0.1"), new("block.1.0", "block.1.1"), new("block.2.0", "block.2.1")],
                ["expand dw se.fc1 se.fc2 project"] =
                    [new("block.0.0", "block.0.1"), new("block.1.0", "block.1.1"), new("block.2.fc1"), new("block.2.fc2"), new("block.3.0", "block.3.1")],
            }),
            new("classifier", "classifier", new Dictionary<string, CheckpointUnit[]> { ["head fc"] = [new("0"), new("3")] }),
        ]);

    /// <summary>
    /// timm's blocks (_efficientnet_blocks.py): DepthwiseSeparableConv (conv_dw/bn1, se, conv_pw/bn2) where the paper's
    /// bneck has no expansion, InvertedResidual (conv_pw/bn1, conv_dw/bn2, se, conv_pwl/bn3), ConvBnAct (conv/bn1) for
    /// the last 1×1 conv; SqueezeExcite's convs are conv_reduce and conv_expand.
    /// </summary>
    private static readonly Dictionary<string, CheckpointUnit[]> TimmBlocks = new()
    {
        ["conv"] = [new("conv", "bn1")],
        ["dw project"] = [new("conv_dw", "bn1"), new("conv_pw", "bn2")],
        ["dw se.fc1 se.fc2 project"] = [new("conv_dw", "bn1"), new("se.conv_reduce"), new("se.conv_expand"), new("conv_pw", "bn2")],
        ["expand dw project"] = [new("conv_pw", "bn1"), new("conv_dw", "bn2"), new("conv_pwl", "bn3")],
        ["expand dw se.fc1 se.fc2 project"] =
            [new("conv_pw", "bn1"), new("conv_dw", "bn2"), new("se.conv_reduce"), new("se.conv_expand"), new("conv_pwl", "bn3")],
    };

    /// <summary>The stem conv_stem/bn1, and the head: conv_head (a 1×1 conv with bias on the pooled vector) and classifier.</summary>
    private static CheckpointBlock[] TimmModel(IReadOnlyList<int> stages) =>
    [
        new("features.0", "", new Dictionary<string, CheckpointUnit[]> { ["conv"] = [new("conv_stem", "bn1")] }),
        new("features.*", "blocks.{stage}.{index}", TimmBlocks, stages),
        new("classifier", "", new Dictionary<string, CheckpointUnit[]> { ["head fc"] = [new("conv_head"), new("classifier")] }),
    ];

    /// <summary>
    /// timm's mobilenetv3_large_* (_gen_mobilenet_v3): its arch_def groups Table 1's bnecks and last conv into seven
    /// stages of 1, 2, 3, 4, 2, 3 and 1 blocks. timm rounding; BN ε 1e-5 (PyTorch's default; only timm's tf_ models use 1e-3).
    /// </summary>
    public static readonly CheckpointNaming TimmLarge = new(
        CheckpointSource.Timm, ModelFamily.MobileNetV3, "timm MobileNetV3-Large",
        new ModelOptions { Variant = MobileNetV3Variant.Large, Rounding = WidthRounding.Timm }, BatchNormEpsilon: 1e-5f,
        TimmModel([1, 2, 3, 4, 2, 3, 1]));

    /// <summary>timm's mobilenetv3_small_*: Table 2's bnecks and last conv in six stages of 1, 2, 3, 2, 3 and 1 blocks.</summary>
    public static readonly CheckpointNaming TimmSmall = new(
        CheckpointSource.Timm, ModelFamily.MobileNetV3, "timm MobileNetV3-Small",
        new ModelOptions { Variant = MobileNetV3Variant.Small, Rounding = WidthRounding.Timm }, BatchNormEpsilon: 1e-5f,
        TimmModel([1, 2, 3, 2, 3, 1]));
}
