namespace LightNets.Models.MobileNetV3;

/// <summary>MobileNetV3 Tables 1–2's "Operator" column.</summary>
public enum Operator
{
    /// <summary>"conv2d" (3×3 stem, or the 1×1 after the last bneck), with BN.</summary>
    Conv2d,
    /// <summary>"bneck, k×k".</summary>
    Bneck,
    /// <summary>"pool, 7×7": global average pooling.</summary>
    Pool,
    /// <summary>"conv2d 1×1, NBN": no BN, with bias (a fully connected layer on the pooled vector).</summary>
    Conv2dNbn,
}

/// <summary>
/// One row of MobileNetV3 Table 1 (Large) or Table 2 (Small): Input, Operator (with its kernel), exp size (absolute, as
/// the paper prints it), #out, SE, NL, s. A null #out on the last row is the paper's "k" (classes).
/// </summary>
public readonly record struct MobileNetV3Row(
    InputSize Input, Operator Operator, int Kernel, int? ExpSize, int? Out, bool SE, Nonlinearity? NL, int S);

/// <summary>Which table.</summary>
public enum MobileNetV3Variant
{
    Large,
    Small,
}

public static class MobileNetV3Table
{
    /// <summary>Howard et al. 2019, Searching for MobileNetV3, Table 1 (MobileNetV3-Large).</summary>
    public static readonly MobileNetV3Row[] Large =
    [
        new(Input: new(224, 3), Operator: Operator.Conv2d, Kernel: 3, ExpSize: null, Out: 16, SE: false, NL: Nonlinearity.HS, S: 2),
        new(Input: new(112, 16), Operator: Operator.Bneck, Kernel: 3, ExpSize: 16, Out: 16, SE: false, NL: Nonlinearity.RE, S: 1),
        new(Input: new(112, 16), Operator: Operator.Bneck, Kernel: 3, ExpSize: 64, Out: 24, SE: false, NL: Nonlinearity.RE, S: 2),
        new(Input: new(56, 24), Operator: Operator.Bneck, Kernel: 3, ExpSize: 72, Out: 24, SE: false, NL: Nonlinearity.RE, S: 1),
        new(Input: new(56, 24), Operator: Operator.Bneck, Kernel: 5, ExpSize: 72, Out: 40, SE: true, NL: Nonlinearity.RE, S: 2),
        new(Input: new(28, 40), Operator: Operator.Bneck, Kernel: 5, ExpSize: 120, Out: 40, SE: true, NL: Nonlinearity.RE, S: 1),
        new(Input: new(28, 40), Operator: Operator.Bneck, Kernel: 5, ExpSize: 120, Out: 40, SE: true, NL: Nonlinearity.RE, S: 1),
        new(Input: new(28, 40), Operator: Operator.Bneck, Kernel: 3, ExpSize: 240, Out: 80, SE: false, NL: Nonlinearity.HS, S: 2),
        new(Input: new(14, 80), Operator: Operator.Bneck, Kernel: 3, ExpSize: 200, Out: 80, SE: false, NL: Nonlinearity.HS, S: 1),
        new(Input: new(14, 80), Operator: Operator.Bneck, Kernel: 3, ExpSize: 184, Out: 80, SE: false, NL: Nonlinearity.HS, S: 1),
        new(Input: new(14, 80), Operator: Operator.Bneck, Kernel: 3, ExpSize: 184, Out: 80, SE: false, NL: Nonlinearity.HS, S: 1),
        new(Input: new(14, 80), Operator: Operator.Bneck, Kernel: 3, ExpSize: 480, Out: 112, SE: true, NL: Nonlinearity.HS, S: 1),
        new(Input: new(14, 112), Operator: Operator.Bneck, Kernel: 3, ExpSize: 672, Out: 112, SE: true, NL: Nonlinearity.HS, S: 1),
        new(Input: new(14, 112), Operator: Operator.Bneck, Kernel: 5, ExpSize: 672, Out: 160, SE: true, NL: Nonlinearity.HS, S: 2),
        new(Input: new(7, 160), Operator: Operator.Bneck, Kernel: 5, ExpSize: 960, Out: 160, SE: true, NL: Nonlinearity.HS, S: 1),
        new(Input: new(7, 160), Operator: Operator.Bneck, Kernel: 5, ExpSize: 960, Out: 160, SE: true, NL: Nonlinearity.HS, S: 1),
        new(Input: new(7, 160), Operator: Operator.Conv2d, Kernel: 1, ExpSize: null, Out: 960, SE: false, NL: Nonlinearity.HS, S: 1),
        new(Input: new(7, 960), Operator: Operator.Pool, Kernel: 7, ExpSize: null, Out: null, SE: false, NL: null, S: 1),
        new(Input: new(1, 960), Operator: Operator.Conv2dNbn, Kernel: 1, ExpSize: null, Out: 1280, SE: false, NL: Nonlinearity.HS, S: 1),
        new(Input: new(1, 1280), Operator: Operator.Conv2dNbn, Kernel: 1, ExpSize: null, Out: null, SE: false, NL: null, S: 1), // k
    ];

    /// <summary>
    /// Table 2 (MobileNetV3-Small). The paper marks SE on the 96→576 conv2d; TF-slim, torchvision and timm put none there,
    /// so the builder honours that mark only when asked (<see cref="MobileNetV3Config.PaperSmallHeadSqueezeExcite"/>).
    /// </summary>
    public static readonly MobileNetV3Row[] Small =
    [
        new(Input: new(224, 3), Operator: Operator.Conv2d, Kernel: 3, ExpSize: null, Out: 16, SE: false, NL: Nonlinearity.HS, S: 2),
        new(Input: new(112, 16), Operator: Operator.Bneck, Kernel: 3, ExpSize: 16, Out: 16, SE: true, NL: Nonlinearity.RE, S: 2),
        new(Input: new(56, 16), Operator: Operator.Bneck, Kernel: 3, ExpSize: 72, Out: 24, SE: false, NL: Nonlinearity.RE, S: 2),
        new(Input: new(28, 24), Operator: Operator.Bneck, Kernel: 3, ExpSize: 88, Out: 24, SE: false, NL: Nonlinearity.RE, S: 1),
        new(Input: new(28, 24), Operator: Operator.Bneck, Kernel: 5, ExpSize: 96, Out: 40, SE: true, NL: Nonlinearity.HS, S: 2),
        new(Input: new(14, 40), Operator: Operator.Bneck, Kernel: 5, ExpSize: 240, Out: 40, SE: true, NL: Nonlinearity.HS, S: 1),
        new(Input: new(14, 40), Operator: Operator.Bneck, Kernel: 5, ExpSize: 240, Out: 40, SE: true, NL: Nonlinearity.HS, S: 1),
        new(Input: new(14, 40), Operator: Operator.Bneck, Kernel: 5, ExpSize: 120, Out: 48, SE: true, NL: Nonlinearity.HS, S: 1),
        new(Input: new(14, 48), Operator: Operator.Bneck, Kernel: 5, ExpSize: 144, Out: 48, SE: true, NL: Nonlinearity.HS, S: 1),
        new(Input: new(14, 48), Operator: Operator.Bneck, Kernel: 5, ExpSize: 288, Out: 96, SE: true, NL: Nonlinearity.HS, S: 2),
        new(Input: new(7, 96), Operator: Operator.Bneck, Kernel: 5, ExpSize: 576, Out: 96, SE: true, NL: Nonlinearity.HS, S: 1),
        new(Input: new(7, 96), Operator: Operator.Bneck, Kernel: 5, ExpSize: 576, Out: 96, SE: true, NL: Nonlinearity.HS, S: 1),
        new(Input: new(7, 96), Operator: Operator.Conv2d, Kernel: 1, ExpSize: null, Out: 576, SE: true, NL: Nonlinearity.HS, S: 1),
        new(Input: new(7, 576), Operator: Operator.Pool, Kernel: 7, ExpSize: null, Out: null, SE: false, NL: null, S: 1),
        new(Input: new(1, 576), Operator: Operator.Conv2dNbn, Kernel: 1, ExpSize: null, Out: 1024, SE: false, NL: Nonlinearity.HS, S: 1),
        new(Input: new(1, 1024), Operator: Operator.Conv2dNbn, Kernel: 1, ExpSize: null, Out: null, SE: false, NL: null, S: 1), // k
    ];

    public static MobileNetV3Row[] For(MobileNetV3Variant variant) => variant == MobileNetV3Variant.Large ? Large : Small;

    /// <summary>
    /// Large's small-input variant: the stem (row 0) and the first stride-2 bneck (row 2, 16 → 24, features.2) run at stride
    /// 1, so the network down-samples 8×. No CIFAR MobileNetV3 is as widely used as kuangliu/pytorch-cifar's MobileNetV2;
    /// this is that adaptation (stem and first stride-2 stage at stride 1) applied to Table 1.
    /// </summary>
    public static readonly SmallInputVariant SmallInputLarge = new(StrideOne: [0, 2], Removed: [], Change: "stem and features.2 at stride 1");

    /// <summary>
    /// Small's small-input variant: the stem (row 0) and the first bneck (row 1, which is Small's first stride-2 block,
    /// features.1) run at stride 1; the MobileNetV2 adaptation applied to Table 2.
    /// </summary>
    public static readonly SmallInputVariant SmallInputSmall = new(StrideOne: [0, 1], Removed: [], Change: "stem and features.1 at stride 1");

    public static SmallInputVariant SmallInputFor(MobileNetV3Variant variant) => variant == MobileNetV3Variant.Large ? SmallInputLarge : SmallInputSmall;
}
