namespace LightNets.Models.ShuffleNetV2;

/// <summary>ShuffleNetV2 Table 5's "Output channels" columns: 0.5×, 1×, 1.5×, 2×.</summary>
public readonly record struct OutputChannels(int X050, int X100, int X150, int X200)
{
    public static OutputChannels All(int c) => new(c, c, c, c);

    public static readonly double[] Scales = [0.5, 1.0, 1.5, 2.0];

    public int this[double scale] => scale switch
    {
        0.5 => X050,
        1.0 => X100,
        1.5 => X150,
        2.0 => X200,
        _ => throw new ModelConfigurationException(
            $"ShuffleNetV2's widths are a table (Table 5), defined for 0.5×, 1×, 1.5× and 2× only, not {scale}×"),
    };
}

/// <summary>One row of ShuffleNetV2 Table 5: Layer, Output size, KSize, Stride, Repeat, Output channels.</summary>
public readonly record struct ShuffleNetV2Row(string Layer, int OutputSize, int? KSize, int? Stride, int Repeat, OutputChannels? OutputChannels);

public static class ShuffleNetV2Table
{
    /// <summary>Ma et al. 2018, ShuffleNet V2, Table 5. The widths are fixed per model, not a formula (0.5× Stage 2 is 48, 2× Conv5 is 2048).</summary>
    public static readonly ShuffleNetV2Row[] Rows =
    [
        new(Layer: "Image", OutputSize: 224, KSize: null, Stride: null, Repeat: 0, OutputChannels: OutputChannels.All(3)),
        new(Layer: "Conv1", OutputSize: 112, KSize: 3, Stride: 2, Repeat: 1, OutputChannels: OutputChannels.All(24)),
        new(Layer: "MaxPool", OutputSize: 56, KSize: 3, Stride: 2, Repeat: 1, OutputChannels: OutputChannels.All(24)),
        new(Layer: "Stage2", OutputSize: 28, KSize: null, Stride: 2, Repeat: 1, OutputChannels: new(48, 116, 176, 244)),
        new(Layer: "Stage2", OutputSize: 28, KSize: null, Stride: 1, Repeat: 3, OutputChannels: new(48, 116, 176, 244)),
        new(Layer: "Stage3", OutputSize: 14, KSize: null, Stride: 2, Repeat: 1, OutputChannels: new(96, 232, 352, 488)),
        new(Layer: "Stage3", OutputSize: 14, KSize: null, Stride: 1, Repeat: 7, OutputChannels: new(96, 232, 352, 488)),
        new(Layer: "Stage4", OutputSize: 7, KSize: null, Stride: 2, Repeat: 1, OutputChannels: new(192, 464, 704, 976)),
        new(Layer: "Stage4", OutputSize: 7, KSize: null, Stride: 1, Repeat: 3, OutputChannels: new(192, 464, 704, 976)),
        new(Layer: "Conv5", OutputSize: 7, KSize: 1, Stride: 1, Repeat: 1, OutputChannels: new(1024, 1024, 1024, 2048)),
        new(Layer: "GlobalPool", OutputSize: 1, KSize: 7, Stride: null, Repeat: 1, OutputChannels: null),
        new(Layer: "FC", OutputSize: 1, KSize: null, Stride: null, Repeat: 1, OutputChannels: OutputChannels.All(1000)),
    ];

    /// <summary>Table 5's "FLOPs" (mega multiply-adds, FC included) and "# of Weights" (millions) rows.</summary>
    public static readonly (double Scale, int MFlops, double MWeights)[] Published =
    [
        (0.5, 41, 1.4), (1.0, 146, 2.3), (1.5, 299, 3.5), (2.0, 591, 7.4),
    ];
}
