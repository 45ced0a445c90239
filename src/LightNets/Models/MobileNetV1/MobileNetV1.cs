using LightNets.Graphs;
using LightNets.Models.Blocks;

namespace LightNets.Models.MobileNetV1;

/// <summary>MobileNetV1 settings: width multiplier α (published 1.0, 0.75, 0.5, 0.25) and activation.</summary>
public sealed record MobileNetV1Config : ModelConfig
{
    /// <summary>Width multiplier α: every layer's channels become max(⌊c·α⌋, 8) (TF-slim).</summary>
    public double Width { get; init; } = 1.0;

    /// <summary>ReLU as in the paper; TF-slim and Keras checkpoints use ReLU6.</summary>
    public Activation Activation { get; init; } = Activation.Relu;

    /// <summary>BN ε of TF-slim's MobileNetV1.</summary>
    public float BatchNormEpsilon { get; init; } = 1e-3f;

    /// <summary>End with the table's Softmax row instead of logits.</summary>
    public bool IncludeSoftmax { get; init; }

    public override void Validate()
    {
        base.Validate();
        RequirePositiveWidth(Width);
        if (Activation is not (Activation.Relu or Activation.Relu6))
            throw new ModelConfigurationException($"MobileNetV1 uses ReLU (paper) or ReLU6 (TF-slim), not {Activation}");
    }
}

/// <summary>Builds MobileNetV1 by walking <see cref="MobileNetV1Table.Rows"/>.</summary>
public static class MobileNetV1
{
    public static Graph Build(MobileNetV1Config config, string? name = null) =>
        config.BuildChecked("MobileNetV1", () => BuildUnchecked(config, name ?? $"mobilenetv1_{config.Width * 100:000}"));

    private static Graph BuildUnchecked(MobileNetV1Config config, string name)
    {
        var b = new GraphBuilder(name, config.Init);
        b.Meta("family", "MobileNetV1").Meta("width", config.Width.ToString("0.###")).Meta("resolution", config.Resolution.ToString());
        int Scale(int c) => Channels.TfSlimDepth(c, config.Width);

        var x = config.Input(b);
        var layer = 0;
        var rows = MobileNetV1Table.Rows;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            switch (row.Type)
            {
                case LayerType.Conv when i == 0:
                    using (b.Block("stem"))
                        x = ConvBnAct.Build(b, x, Scale(row.FilterShape.Out), row.FilterShape.KernelH, row.Stride, 1, config.Activation, config.BatchNormEpsilon);
                    break;
                case LayerType.ConvDw:
                {
                    // A depthwise row and the pointwise row after it form one depthwise-separable layer; a "5×" group repeats.
                    var pw = rows[i + 1];
                    for (var r = 0; r < row.Repeat; r++)
                    {
                        using (b.Block($"layer{++layer}"))
                            x = DepthwiseSeparable.Build(b, x, Scale(pw.FilterShape.Out), row.Stride, config.Activation, config.BatchNormEpsilon, row.FilterShape.KernelH);
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
        b.Output(x);
        return b.Build();
    }
}
