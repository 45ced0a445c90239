using LightNets.Graphs;
using LightNets.Models.Blocks;

namespace LightNets.Models.MobileNetV2;

/// <summary>
/// MobileNetV2 settings: width multiplier α (published 0.35, 0.5, 0.75, 1.0, 1.3, 1.4). Stem and stage widths:
/// make_divisible(c·α, 8). The last 1×1 conv: make_divisible(1280·max(1, α)) — it stays 1280 for α &lt; 1 (paper §4,
/// "except the very last convolutional layer"). BN ε: torchvision's 1e-5.
/// </summary>
public sealed record MobileNetV2Config() : MobileNetConfig(batchNormEpsilon: 1e-5f)
{
    /// <summary>Dropout ratio before the classifier (torchvision: 0.2; the identity at inference).</summary>
    public float DropoutRatio { get; init; } = 0.2f;

    public override SmallInputVariant SmallInputRows => MobileNetV2Table.SmallInput;

    /// <summary>Every row's s (the stride of its first repeat).</summary>
    public override int DownSampling
    {
        get
        {
            var factor = 1;
            var rows = MobileNetV2Table.Rows;
            for (var i = 0; i < rows.Length; i++) factor *= SmallInputRows.Stride(SmallInput, i, rows[i].S);
            return factor;
        }
    }
}

/// <summary>Builds MobileNetV2 by walking <see cref="MobileNetV2Table.Rows"/>; blocks are numbered as torchvision's features.</summary>
public static class MobileNetV2
{
    public static Graph Build(MobileNetV2Config config, string? name = null) =>
        config.Build("MobileNetV2", name ?? $"mobilenetv2_{config.Width * 100:000}", (b, x) => Layers(config, b, x));

    private static Value Layers(MobileNetV2Config config, GraphBuilder b, Value x)
    {
        b.Meta("width", config.Width.ToString("0.###")).Meta("resolution", config.Resolution.ToString());
        var eps = config.BatchNormEpsilon;
        var index = 0;
        var rows = MobileNetV2Table.Rows;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            var stride = config.SmallInputRows.Stride(config.SmallInput, i, row.S);
            switch (row.Operator)
            {
                case Operator.Conv2d:
                    using (b.Block($"features.{index++}"))
                        x = ConvBnAct.Build(b, x, Channels.MakeDivisible(row.C!.Value * config.Width), 3, stride, 1, Activation.Relu6, eps);
                    break;
                case Operator.Bottleneck:
                {
                    var c = Channels.MakeDivisible(row.C!.Value * config.Width);
                    for (var r = 0; r < row.N; r++)
                    {
                        // torchvision: hidden = round(in · t); the input is already a multiple of 8, so no further rounding.
                        var hidden = (int)Math.Round(x.Shape.C * (double)row.T!.Value);
                        using (b.Block($"features.{index++}"))
                            x = InvertedResidual.Build(b, x, hidden, c, 3, r == 0 ? stride : 1, Activation.Relu6, squeezeChannels: null, eps);
                    }
                    break;
                }
                case Operator.Conv2d1x1:
                    using (b.Block($"features.{index++}"))
                        x = ConvBnAct.Build(b, x, Channels.MakeDivisible(row.C!.Value * Math.Max(1.0, config.Width)), 1, 1, 1, Activation.Relu6, eps);
                    break;
                case Operator.AvgPool7x7:
                    x = Classifier.Pool(b, x);
                    break;
                case Operator.Classifier:
                    x = Classifier.Fc(b, x, config.Classes, dropout: config.DropoutRatio);
                    break;
            }
        }
        return x;
    }
}
