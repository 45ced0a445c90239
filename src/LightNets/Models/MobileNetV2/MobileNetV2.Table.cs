namespace LightNets.Models.MobileNetV2;

/// <summary>MobileNetV2 Table 2's "Operator" column.</summary>
public enum Operator
{
    /// <summary>"conv2d": the 3×3 stem (with BN and ReLU6).</summary>
    Conv2d,
    /// <summary>"bottleneck": an inverted residual block.</summary>
    Bottleneck,
    /// <summary>"conv2d 1x1": the last feature conv (with BN and ReLU6).</summary>
    Conv2d1x1,
    /// <summary>"avgpool 7x7": global average pooling.</summary>
    AvgPool7x7,
    /// <summary>"conv2d 1x1" with k outputs: the classifier.</summary>
    Classifier,
}

/// <summary>
/// One row of MobileNetV2 Table 2: Input, Operator, t (expansion factor), c (output channels), n (repeats), s (stride of
/// the first repeat). A null t or c is the paper's "-"; the classifier's c is the paper's "k" (number of classes).
/// </summary>
public readonly record struct MobileNetV2Row(InputSize Input, Operator Operator, int? T, int? C, int N, int S);

public static class MobileNetV2Table
{
    /// <summary>Sandler et al. 2018, MobileNetV2, Table 2. Every spatial convolution is 3×3.</summary>
    public static readonly MobileNetV2Row[] Rows =
    [
        new(Input: new(224, 3), Operator: Operator.Conv2d, T: null, C: 32, N: 1, S: 2),
        new(Input: new(112, 32), Operator: Operator.Bottleneck, T: 1, C: 16, N: 1, S: 1),
        new(Input: new(112, 16), Operator: Operator.Bottleneck, T: 6, C: 24, N: 2, S: 2),
        new(Input: new(56, 24), Operator: Operator.Bottleneck, T: 6, C: 32, N: 3, S: 2),
        new(Input: new(28, 32), Operator: Operator.Bottleneck, T: 6, C: 64, N: 4, S: 2),
        new(Input: new(14, 64), Operator: Operator.Bottleneck, T: 6, C: 96, N: 3, S: 1),
        new(Input: new(14, 96), Operator: Operator.Bottleneck, T: 6, C: 160, N: 3, S: 2),
        new(Input: new(7, 160), Operator: Operator.Bottleneck, T: 6, C: 320, N: 1, S: 1),
        new(Input: new(7, 320), Operator: Operator.Conv2d1x1, T: null, C: 1280, N: 1, S: 1),
        new(Input: new(7, 1280), Operator: Operator.AvgPool7x7, T: null, C: null, N: 1, S: 1),
        new(Input: new(1, 1280), Operator: Operator.Classifier, T: null, C: null, N: 1, S: 1), // c = k
    ];

    /// <summary>
    /// The small-input variant (kuangliu/pytorch-cifar's MobileNetV2, "change stride 2 -> 1 for CIFAR10"): the stem (row 0)
    /// and the first stride-2 bottleneck (row 2, c = 24, torchvision's features.2) run at stride 1, so the network
    /// down-samples 8×. (The PyTorch Fashion-MNIST anchor of issue 11 changes the stem only: 16×, a 2×2 last map at 32 px.)
    /// </summary>
    public static readonly SmallInputVariant SmallInput = new(StrideOne: [0, 2], Removed: [], Change: "stem and features.2 at stride 1");
}
