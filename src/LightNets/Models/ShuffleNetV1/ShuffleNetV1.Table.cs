namespace LightNets.Models.ShuffleNetV1;

/// <summary>
/// ShuffleNetV1 Table 1's "Layer" column, named as printed. The Image row is the input, no layer; a stage's second
/// row, blank in the paper, repeats the stage's name.
/// </summary>
public enum Layer { Image, Conv1, MaxPool, Stage2, Stage3, Stage4, GlobalPool, FC }

/// <summary>ShuffleNetV1 Table 1's "Output channels (g groups)" columns, g = 1, 2, 3, 4, 8.</summary>
public readonly record struct OutputChannels(int G1, int G2, int G3, int G4, int G8)
{
    public static OutputChannels All(int c) => new(c, c, c, c, c);

    /// <summary>The column for <paramref name="groups"/>; a g the table has no column for is a configuration error.</summary>
    public int this[int groups] => groups switch
    {
        1 => G1,
        2 => G2,
        3 => G3,
        4 => G4,
        8 => G8,
        _ => throw new ModelConfigurationException($"ShuffleNetV1 Table 1 has columns for g = 1, 2, 3, 4, 8, not g = {groups}"),
    };
}

/// <summary>
/// One row of ShuffleNetV1 Table 1: Layer, Output size (square: 28 is 28×28), KSize (square: 3 is 3×3), Stride, Repeat,
/// Output channels (g groups). A null is the paper's blank cell; a pool's blank channels keep its input's. Repeat is 1
/// where the paper leaves it blank on a single layer and 0 on the Image row, which is no layer.
/// </summary>
public readonly record struct ShuffleNetV1Row(Layer Layer, int OutputSize, int? KSize, int? Stride, int Repeat, OutputChannels? OutputChannels);

/// <summary>One of megvii's exact scaled configurations (ShuffleNetV1/network.py): the stem and the three stage widths.</summary>
public readonly record struct MegviiChannels(int Groups, double Scale, int Stem, int Stage2, int Stage3, int Stage4);

public static class ShuffleNetV1Table
{
    public static readonly int[] Groups = [1, 2, 3, 4, 8];

    /// <summary>
    /// Zhang et al. 2018, ShuffleNet, Table 1 (the 1× network). The table's "Complexity" row is a published figure
    /// (<see cref="Published"/>).
    /// </summary>
    public static readonly ShuffleNetV1Row[] Rows =
    [
        new(Layer: Layer.Image, OutputSize: 224, KSize: null, Stride: null, Repeat: 0, OutputChannels: OutputChannels.All(3)),
        new(Layer: Layer.Conv1, OutputSize: 112, KSize: 3, Stride: 2, Repeat: 1, OutputChannels: OutputChannels.All(24)),
        new(Layer: Layer.MaxPool, OutputSize: 56, KSize: 3, Stride: 2, Repeat: 1, OutputChannels: null),
        new(Layer: Layer.Stage2, OutputSize: 28, KSize: null, Stride: 2, Repeat: 1, OutputChannels: new(144, 200, 240, 272, 384)),
        new(Layer: Layer.Stage2, OutputSize: 28, KSize: null, Stride: 1, Repeat: 3, OutputChannels: new(144, 200, 240, 272, 384)),
        new(Layer: Layer.Stage3, OutputSize: 14, KSize: null, Stride: 2, Repeat: 1, OutputChannels: new(288, 400, 480, 544, 768)),
        new(Layer: Layer.Stage3, OutputSize: 14, KSize: null, Stride: 1, Repeat: 7, OutputChannels: new(288, 400, 480, 544, 768)),
        new(Layer: Layer.Stage4, OutputSize: 7, KSize: null, Stride: 2, Repeat: 1, OutputChannels: new(576, 800, 960, 1088, 1536)),
        new(Layer: Layer.Stage4, OutputSize: 7, KSize: null, Stride: 1, Repeat: 3, OutputChannels: new(576, 800, 960, 1088, 1536)),
        new(Layer: Layer.GlobalPool, OutputSize: 1, KSize: 7, Stride: null, Repeat: 1, OutputChannels: null),
        new(Layer: Layer.FC, OutputSize: 1, KSize: null, Stride: null, Repeat: 1, OutputChannels: OutputChannels.All(1000)),
    ];

    /// <summary>
    /// The small-input variant (kuangliu/pytorch-cifar's ShuffleNet): Conv1 (row 1) at stride 1 and no MaxPool (row 2), so
    /// the network down-samples 8× (its three stages). kuangliu's stem is a 1×1 conv; Table 1's 3×3 is kept here.
    /// </summary>
    public static readonly SmallInputVariant SmallInput = new(StrideOne: [1], Removed: [2], Change: "conv1 at stride 1 and no max-pool");

    /// <summary>
    /// megvii-model/ShuffleNet-Series, ShuffleNetV1/network.py: the only published channel tables for scales other than 1×
    /// (the paper gives none). The stems are irregular (12 for g = 3 at 0.5×, 16 for g = 8), so they are data, not a rule.
    /// </summary>
    public static readonly MegviiChannels[] Megvii =
    [
        new(Groups: 3, Scale: 0.5, Stem: 12, Stage2: 120, Stage3: 240, Stage4: 480),
        new(Groups: 3, Scale: 1.0, Stem: 24, Stage2: 240, Stage3: 480, Stage4: 960),
        new(Groups: 3, Scale: 1.5, Stem: 24, Stage2: 360, Stage3: 720, Stage4: 1440),
        new(Groups: 3, Scale: 2.0, Stem: 48, Stage2: 480, Stage3: 960, Stage4: 1920),
        new(Groups: 8, Scale: 0.5, Stem: 16, Stage2: 192, Stage3: 384, Stage4: 768),
        new(Groups: 8, Scale: 1.0, Stem: 24, Stage2: 384, Stage3: 768, Stage4: 1536),
        new(Groups: 8, Scale: 1.5, Stem: 24, Stage2: 576, Stage3: 1152, Stage4: 2304),
        new(Groups: 8, Scale: 2.0, Stem: 48, Stage2: 768, Stage3: 1536, Stage4: 3072),
    ];
}
