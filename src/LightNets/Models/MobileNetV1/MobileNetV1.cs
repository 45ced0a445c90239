using LightNets.Graphs;
using LightNets.Models.Blocks;

namespace LightNets.Models.MobileNetV1;

/// <summary>
/// MobileNetV1 settings: width multiplier α (published 1.0, 0.75, 0.5, 0.25; every layer's channels become max(⌊c·α⌋, 8)
/// as in TF-slim) and activation. BN ε: TF-slim's 1e-3.
/// </summary>
public sealed record MobileNetV1Config() : MobileNetConfig(batchNormEpsilon: 1e-3f)
{
    /// <summary>ReLU as in the paper; TF-slim and Keras checkpoints use ReLU6.</summary>
    public Activation Activation { get; init; } = Activation.Relu;

    /// <summary>End with the table's Softmax row instead of logits.</summary>
    public bool IncludeSoftmax { get; init; }

    public override SmallInputVariant SmallInputRows => MobileNetV1Table.SmallInput;

    /// <summary>Every strided row's stride, once per repeat.</summary>
    public override int DownSampling
    {
        get
        {
            var factor = 1;
            var rows = MobileNetV1Table.Rows;
            for (var i = 0; i < rows.Length; i++)
            {
                for (var r = 0; r < rows[i].Repeat; r++) factor *= SmallInputRows.Stride(SmallInput, i, rows[i].Stride);
            }
            return factor;
        }
    }

    public override void Validate()
    {
        base.Validate();
        if (Activation is not (Activation.Relu or Activation.Relu6))
            throw new ModelConfigurationException($"MobileNetV1 uses ReLU (paper) or ReLU6 (TF-slim), not {Activation}");
    }
}

/// <summary>Builds MobileNetV1 by walking <see cref="MobileNetV1Table.Rows"/>.</summary>
public static class MobileNetV1
{
    public static Graph Build(MobileNetV1Config config, string? name = null) =>
        config.Build("MobileNetV1", name ?? $"mobilenetv1_{config.Width * 100:000}", (b, x) => Layers(config, b, x));

    private static Value Layers(MobileNetV1Config config, GraphBuilder b, Value x)
    {
        b.Meta("width", config.Width.ToString("0.###")).Meta("resolution", config.Resolution.ToString());
        var rows = MobileNetV1Table.Rows;
        int Scale(int c) => Channels.TfSlimDepth(c, config.Width);
        int Stride(int i) => config.SmallInputRows.Stride(config.SmallInput, i, rows[i].Stride);

        var layer = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            switch (row.Type)
            {
                case LayerType.Conv when i == 0:
                    using (b.Block("stem"))
                        x = ConvBnAct.Build(b, x, Scale(row.FilterShape.Out), row.FilterShape.KernelH, Stride(i), 1, config.Activation, config.BatchNormEpsilon);
                    break;
                case LayerType.ConvDw:
                {
                    // A depthwise row and the pointwise row after it form one depthwise-separable layer; a "5×" group repeats.
                    var pw = rows[i + 1];
                    for (var r = 0; r < row.Repeat; r++)
                    {
                        using (b.Block($"layer{++layer}"))
                            x = DepthwiseSeparable.Build(b, x, Scale(pw.FilterShape.Out), Stride(i), config.Activation, config.BatchNormEpsilon, row.FilterShape.KernelH);
                    }
                    i++;
                    break;
                }
                case LayerType.AvgPool:
                    using (b.Block("classifier"))
                        x = b.GlobalAveragePool(x);
                    break;
                case LayerType.FC:
                    using (b.Block("classifier"))
                        x = b.Gemm(b.Flatten(x), config.Classes);
                    break;
                case LayerType.Softmax when config.IncludeSoftmax:
                    x = b.Softmax(x);
                    break;
                case LayerType.Softmax:
                    break;
                default:
                    throw new InvalidOperationException($"MobileNetV1 table row {i} ({row.Type}) is out of place");
            }
        }
        return x;
    }
}
