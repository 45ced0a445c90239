namespace LightNets.Models.ShuffleNetV2;

/// <summary>
/// ShuffleNetV2 Table 5's "Layer" column, named as printed. The Image row is the input, no layer; a stage's second
/// row, blank in the paper, repeats the stage's name.
/// </summary>
public enum Layer { Image, Conv1, MaxPool, Stage2, Stage3, Stage4, Conv5, GlobalPool, FC }

/// <summary>ShuffleNetV2 Table 5's "Output channels" columns: 0.5×, 1×, 1.5×, 2×.</summary>
public readonly record struct OutputChannels(int X050, int X100, int X150, int X200)
{
    public static OutputChannels All(int c) => new(c, c, c, c);

    public static readonly double[] Scales = [0.5, 1.0, 1.5, 2.0];

    /// <summary>The column for <paramref name="scale"/>; a scale the table has no column for is a configuration error.</summary>
    public int this[double scale] => scale switch
    {
        0.5 => X050,
        1.0 => X100,
        1.5 => X150,
        2.0 => X200,
        _ => throw NoColumn(scale),
    };

    internal static ModelConfigurationException NoColumn(double scale) =>
        new($"ShuffleNetV2's widths are a table (Table 5), defined for 0.5×, 1×, 1.5× and 2× only, not {scale}×");
}

/// <summary>
/// One row of ShuffleNetV2 Table 5: Layer, Output size (square: 28 is 28×28), KSize (square: 3 is 3×3), Stride, Repeat,
/// Output channels. A null is the paper's blank cell; a pool's blank channels keep its input's. Repeat is 1 where the paper
/// leaves it blank on a single layer and 0 on the Image row, which is no layer.
/// </summary>
public readonly record struct ShuffleNetV2Row(Layer Layer, int OutputSize, int? KSize, int? Stride, int Repeat, OutputChannels? OutputChannels);

public static class ShuffleNetV2Table
{
    /// <summary>
    /// Ma et al. 2018, ShuffleNet V2, Table 5. The widths are fixed per model, not a formula (0.5× Stage 2 is 48, 2× Conv5
    /// is 2048). The table's "FLOPs" and "# of Weights" rows are published figures (<see cref="Published"/>).
    /// </summary>
    public static readonly ShuffleNetV2Row[] Rows =
    [
        new(Layer: Layer.Image, OutputSize: 224, KSize: null, Stride: null, Repeat: 0, OutputChannels: OutputChannels.All(3)),
        new(Layer: Layer.Conv1, OutputSize: 112, KSize: 3, Stride: 2, Repeat: 1, OutputChannels: OutputChannels.All(24)),
        new(Layer: Layer.MaxPool, OutputSize: 56, KSize: 3, Stride: 2, Repeat: 1, OutputChannels: OutputChannels.All(24)),
        new(Layer: Layer.Stage2, OutputSize: 28, KSize: null, Stride: 2, Repeat: 1, OutputChannels: new(48, 116, 176, 244)),
        new(Layer: Layer.Stage2, OutputSize: 28, KSize: null, Stride: 1, Repeat: 3, OutputChannels: new(48, 116, 176, 244)),
        new(Layer: Layer.Stage3, OutputSize: 14, KSize: null, Stride: 2, Repeat: 1, OutputChannels: new(96, 232, 352, 488)),
        new(Layer: Layer.Stage3, OutputSize: 14, KSize: null, Stride: 1, Repeat: 7, OutputChannels: new(96, 232, 352, 488)),
        new(Layer: Layer.Stage4, OutputSize: 7, KSize: null, Stride: 2, Repeat: 1, OutputChannels: new(192, 464, 704, 976)),
        new(Layer: Layer.Stage4, OutputSize: 7, KSize: null, Stride: 1, Repeat: 3, OutputChannels: new(192, 464, 704, 976)),
        new(Layer: Layer.Conv5, OutputSize: 7, KSize: 1, Stride: 1, Repeat: 1, OutputChannels: new(1024, 1024, 1024, 2048)),
        new(Layer: Layer.GlobalPool, OutputSize: 1, KSize: 7, Stride: null, Repeat: 1, OutputChannels: null),
        new(Layer: Layer.FC, OutputSize: 1, KSize: null, Stride: null, Repeat: 1, OutputChannels: OutputChannels.All(1000)),
    ];

    /// <summary>
    /// The small-input variant (kuangliu/pytorch-cifar's ShuffleNetV2, and the PyTorch Fashion-MNIST anchor of issue 11):
    /// Conv1 (row 1) at stride 1 and no MaxPool (row 2), so the network down-samples 8× (its three stages).
    /// </summary>
    public static readonly SmallInputVariant SmallInput = new(StrideOne: [1], Removed: [2], Change: "conv1 at stride 1 and no max-pool");
}
