namespace LightNets.Models.MobileNetV1;

/// <summary>The "Type" half of MobileNetV1 Table 1's "Type / Stride" column.</summary>
public enum LayerType
{
    /// <summary>"Conv": a full convolution.</summary>
    Conv,
    /// <summary>"Conv dw": a depthwise convolution.</summary>
    ConvDw,
    /// <summary>"Avg Pool".</summary>
    AvgPool,
    /// <summary>"FC".</summary>
    FC,
    /// <summary>"Softmax".</summary>
    Softmax,
}

/// <summary>
/// MobileNetV1 Table 1's "Filter Shape" column: kh × kw × in × out for a conv ("3 × 3 × 3 × 32"), kh × kw × C dw for a
/// depthwise conv ("3 × 3 × 32 dw"), the window for a pool, in × out for the FC.
/// </summary>
public readonly record struct FilterShape(int KernelH, int KernelW, int In, int Out)
{
    public static FilterShape Conv(int k, int cin, int cout) => new(k, k, cin, cout);
    public static FilterShape Dw(int k, int c) => new(k, k, c, c);
    public static FilterShape Pool(int k) => new(k, k, 0, 0);
    public static FilterShape Fc(int cin, int cout) => new(1, 1, cin, cout);
}

/// <summary>One row of MobileNetV1 Table 1 ("MobileNet Body Architecture"): Type / Stride, Filter Shape, Input Size.</summary>
/// <param name="Type">Layer type.</param>
/// <param name="Stride">Stride ("s1", "s2").</param>
/// <param name="FilterShape">Filter shape at α = 1.</param>
/// <param name="InputSize">Input size at 224×224, α = 1.</param>
/// <param name="Repeat">The "5×" of the paper: rows with Repeat &gt; 1 form a group repeated that many times.</param>
public readonly record struct MobileNetV1Row(LayerType Type, int Stride, FilterShape FilterShape, InputSize InputSize, int Repeat = 1);

public static class MobileNetV1Table
{
    /// <summary>
    /// Howard et al. 2017, MobileNets, Table 1. One deliberate correction: the paper prints the last depthwise layer as
    /// "Conv dw / s2" with a 7×7 input; the 7×7 average pool that follows needs stride 1, and every implementation
    /// (TF-slim, Keras) uses stride 1.
    /// </summary>
    public static readonly MobileNetV1Row[] Rows =
    [
        new(Type: LayerType.Conv, Stride: 2, FilterShape: FilterShape.Conv(3, 3, 32), InputSize: new(224, 3)),
        new(Type: LayerType.ConvDw, Stride: 1, FilterShape: FilterShape.Dw(3, 32), InputSize: new(112, 32)),
        new(Type: LayerType.Conv, Stride: 1, FilterShape: FilterShape.Conv(1, 32, 64), InputSize: new(112, 32)),
        new(Type: LayerType.ConvDw, Stride: 2, FilterShape: FilterShape.Dw(3, 64), InputSize: new(112, 64)),
        new(Type: LayerType.Conv, Stride: 1, FilterShape: FilterShape.Conv(1, 64, 128), InputSize: new(56, 64)),
        new(Type: LayerType.ConvDw, Stride: 1, FilterShape: FilterShape.Dw(3, 128), InputSize: new(56, 128)),
        new(Type: LayerType.Conv, Stride: 1, FilterShape: FilterShape.Conv(1, 128, 128), InputSize: new(56, 128)),
        new(Type: LayerType.ConvDw, Stride: 2, FilterShape: FilterShape.Dw(3, 128), InputSize: new(56, 128)),
        new(Type: LayerType.Conv, Stride: 1, FilterShape: FilterShape.Conv(1, 128, 256), InputSize: new(28, 128)),
        new(Type: LayerType.ConvDw, Stride: 1, FilterShape: FilterShape.Dw(3, 256), InputSize: new(28, 256)),
        new(Type: LayerType.Conv, Stride: 1, FilterShape: FilterShape.Conv(1, 256, 256), InputSize: new(28, 256)),
        new(Type: LayerType.ConvDw, Stride: 2, FilterShape: FilterShape.Dw(3, 256), InputSize: new(28, 256)),
        new(Type: LayerType.Conv, Stride: 1, FilterShape: FilterShape.Conv(1, 256, 512), InputSize: new(14, 256)),
        new(Type: LayerType.ConvDw, Stride: 1, FilterShape: FilterShape.Dw(3, 512), InputSize: new(14, 512), Repeat: 5),
        new(Type: LayerType.Conv, Stride: 1, FilterShape: FilterShape.Conv(1, 512, 512), InputSize: new(14, 512), Repeat: 5),
        new(Type: LayerType.ConvDw, Stride: 2, FilterShape: FilterShape.Dw(3, 512), InputSize: new(14, 512)),
        new(Type: LayerType.Conv, Stride: 1, FilterShape: FilterShape.Conv(1, 512, 1024), InputSize: new(7, 512)),
        new(Type: LayerType.ConvDw, Stride: 1, FilterShape: FilterShape.Dw(3, 1024), InputSize: new(7, 1024)), // paper: "s2" (typo)
        new(Type: LayerType.Conv, Stride: 1, FilterShape: FilterShape.Conv(1, 1024, 1024), InputSize: new(7, 1024)),
        new(Type: LayerType.AvgPool, Stride: 1, FilterShape: FilterShape.Pool(7), InputSize: new(7, 1024)),
        new(Type: LayerType.FC, Stride: 1, FilterShape: FilterShape.Fc(1024, 1000), InputSize: new(1, 1024)),
        new(Type: LayerType.Softmax, Stride: 1, FilterShape: default, InputSize: new(1, 1000)),
    ];

    /// <summary>
    /// The small-input variant: the stem (row 0) and the first stride-2 depthwise layer (row 3, 64 → 128) run at stride 1,
    /// so the network down-samples 8×. kuangliu/pytorch-cifar's MobileNet keeps the stem at stride 1 and down-samples 16×
    /// (a 2×2 last map at 32 px); the first stride-2 layer after the stem also loses its stride here, as in the same
    /// repository's MobileNetV2, so that every family ends on the same 4×4 map.
    /// </summary>
    public static readonly SmallInputVariant SmallInput = new(StrideOne: [0, 3], Removed: [],
        Change: "stem and layer2 at stride 1");
}
