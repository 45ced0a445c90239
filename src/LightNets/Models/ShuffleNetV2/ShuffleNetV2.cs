using LightNets.Graphs;
using LightNets.Models.Blocks;

namespace LightNets.Models.ShuffleNetV2;

/// <summary>ShuffleNetV2 settings: scale (0.5×, 1×, 1.5×, 2×) and layout of Stage 2's first unit.</summary>
public sealed record ShuffleNetV2Config : ModelConfig
{
    public double Scale { get; init; } = 1.0;

    /// <summary>
    /// <see cref="ModelLayout.Torchvision"/>: both branches of every down-sampling unit output C_out/2, FC with bias
    /// (torchvision's weights, num_params and _ops). <see cref="ModelLayout.Paper"/> (= megvii): in Stage 2's first unit the
    /// left branch keeps C_in and the right branch outputs C_out − C_in; FC without bias (the paper's 146/299/591 MFLOPs).
    /// At 0.5× the two coincide except for the FC bias.
    /// </summary>
    public ModelLayout Layout { get; init; } = ModelLayout.Torchvision;

    public float BatchNormEpsilon { get; init; } = 1e-5f;

    public override void Validate()
    {
        base.Validate();
        _ = new OutputChannels()[Scale]; // throws for a scale the table lacks
    }
}

/// <summary>Builds ShuffleNetV2 by walking <see cref="ShuffleNetV2Table.Rows"/>.</summary>
public static class ShuffleNetV2
{
    public static Graph Build(ShuffleNetV2Config config, string? name = null) =>
        config.BuildChecked("ShuffleNetV2", () => BuildUnchecked(config, name ?? $"shufflenetv2_{config.Scale * 100:000}"));

    private static Graph BuildUnchecked(ShuffleNetV2Config config, string name)
    {
        var b = new GraphBuilder(name, config.Init);
        var paper = config.Layout != ModelLayout.Torchvision;
        b.Meta("family", "ShuffleNetV2").Meta("scale", config.Scale.ToString("0.###")).Meta("resolution", config.Resolution.ToString())
            .Meta("layout", paper ? "paper" : "torchvision");
        var eps = config.BatchNormEpsilon;

        var x = config.Input(b);
        var stage = 1;
        var unit = 0;
        foreach (var row in ShuffleNetV2Table.Rows)
        {
            var c = row.OutputChannels?[config.Scale] ?? 0;
            switch (row.Layer)
            {
                case "Image":
                    break;
                case "Conv1":
                    using (b.Block("stem"))
                        x = ConvBnAct.Build(b, x, c, row.KSize!.Value, row.Stride!.Value, 1, Activation.Relu, eps, name: "conv1");
                    break;
                case "MaxPool":
                    using (b.Block("stem"))
                        x = b.MaxPool(x, row.KSize!.Value, row.Stride!.Value, padding: 1);
                    break;
                case "Conv5":
                    using (b.Block("conv5"))
                        x = ConvBnAct.Build(b, x, c, 1, 1, 1, Activation.Relu, eps, name: "conv5");
                    break;
                case "GlobalPool":
                    using (b.Block("classifier"))
                        x = b.Flatten(b.GlobalAveragePool(x));
                    break;
                case "FC":
                    using (b.Block("classifier"))
                        x = b.Gemm(x, config.Classes, bias: !paper);
                    break;
                default:
                    if (row.Stride == 2) { stage++; unit = 0; }
                    for (var r = 0; r < row.Repeat; r++, unit++)
                    {
                        using var _ = b.Block($"stage{stage}.{unit}");
                        if (row.Stride == 2 && r == 0)
                        {
                            var cin = x.Shape.C;
                            // Only Stage 2's first unit has C_in ≠ C_out/2; there the paper keeps C_in on the left.
                            var left = paper && cin != c / 2 ? cin : c / 2;
                            x = ShuffleUnitV2.DownSampling(b, x, left, c / 2, c - left, eps);
                        }
                        else
                        {
                            x = ShuffleUnitV2.Basic(b, x, eps);
                        }
                    }
                    break;
            }
        }
        b.Output(x);
        return b.Build();
    }
}
