using LightNets.Graphs;
using LightNets.Models.Blocks;

namespace LightNets.Models.ShuffleNetV2;

/// <summary>ShuffleNetV2 settings: scale (0.5×, 1×, 1.5×, 2×) and layout of Stage 2's first unit. BN ε: 1e-5 (torchvision, megvii).</summary>
public sealed record ShuffleNetV2Config() : ModelConfig(batchNormEpsilon: 1e-5f)
{
    public double Scale { get; init; } = 1.0;

    /// <summary>
    /// <see cref="ModelLayout.Torchvision"/>: both branches of every down-sampling unit output C_out/2, FC with bias
    /// (torchvision's weights, num_params and _ops). <see cref="ModelLayout.Paper"/> (= megvii): in Stage 2's first unit the
    /// left branch keeps C_in and the right branch outputs C_out − C_in; FC without bias (the paper's 146/299/591 MFLOPs).
    /// At 0.5× the two coincide except for the FC bias.
    /// </summary>
    public ModelLayout Layout { get; init; } = ModelLayout.Torchvision;

    public override SmallInputVariant SmallInputRows => ShuffleNetV2Table.SmallInput;

    /// <summary>Every built row's stride, once per repeat (the stem, the max-pool and each stage's first unit).</summary>
    public override int DownSampling
    {
        get
        {
            var factor = 1;
            var rows = ShuffleNetV2Table.Rows;
            for (var i = 0; i < rows.Length; i++)
            {
                if (rows[i].Stride is not { } stride || !SmallInputRows.Keeps(SmallInput, i)) continue;
                for (var r = 0; r < rows[i].Repeat; r++) factor *= SmallInputRows.Stride(SmallInput, i, stride);
            }
            return factor;
        }
    }

    public override void Validate()
    {
        base.Validate();
        if (!OutputChannels.Scales.Contains(Scale)) throw OutputChannels.NoColumn(Scale);
    }
}

/// <summary>Builds ShuffleNetV2 by walking <see cref="ShuffleNetV2Table.Rows"/>.</summary>
public static class ShuffleNetV2
{
    public static Graph Build(ShuffleNetV2Config config, string? name = null) =>
        config.Build("ShuffleNetV2", name ?? $"shufflenetv2_{config.Scale * 100:000}", (b, x) => Layers(config, b, x));

    private static Value Layers(ShuffleNetV2Config config, GraphBuilder b, Value x)
    {
        var paper = config.Layout != ModelLayout.Torchvision;
        b.Meta("scale", config.Scale.ToString("0.###")).Meta("resolution", config.Resolution.ToString())
            .Meta("layout", paper ? "paper" : "torchvision");
        var eps = config.BatchNormEpsilon;

        var unit = 0;
        var rows = ShuffleNetV2Table.Rows;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            if (!config.SmallInputRows.Keeps(config.SmallInput, i)) continue;
            // The stem's strides are the small-input variant's to change; a unit's stride decides its kind (Units).
            int StemStride() => config.SmallInputRows.Stride(config.SmallInput, i, row.Stride!.Value);
            var c = row.OutputChannels?[config.Scale];
            // Every Layer has an arm (a missing one is error CS8509); CS8524 asks for one for unnamed values, which only a
            // cast can make, and those throw SwitchExpressionException.
#pragma warning disable CS8524
            x = row.Layer switch
            {
                Layer.Image => x,
                Layer.Conv1 => ShuffleNetStem.Conv1(b, x, c!.Value, row.KSize!.Value, StemStride(), eps),
                Layer.MaxPool => ShuffleNetStem.MaxPool(b, x, row.KSize!.Value, StemStride()),
                Layer.Stage2 or Layer.Stage3 or Layer.Stage4 => Units(row, c!.Value, x),
                Layer.Conv5 => Conv5(b, x, c!.Value, row.KSize!.Value, row.Stride!.Value, eps),
                Layer.GlobalPool => Classifier.Pool(b, x),
                Layer.FC => Classifier.Fc(b, x, config.Classes, bias: !paper),
            };
#pragma warning restore CS8524
        }
        return x;

        // A row's Repeat units, in blocks named after the Layer column and numbered from 0 in each stage ("stage3.0" is
        // Stage 3's down-sampling unit, the stage's stride-2 row).
        Value Units(ShuffleNetV2Row row, int c, Value x)
        {
            if (row.Stride == 2) unit = 0;
            for (var r = 0; r < row.Repeat; r++, unit++)
            {
                using var _ = b.Block($"{row.Layer.ToString().ToLowerInvariant()}.{unit}");
                if (row.Stride == 2)
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
            return x;
        }
    }

    private static Value Conv5(GraphBuilder b, Value x, int outChannels, int kSize, int stride, float bnEpsilon)
    {
        using var _ = b.Block("conv5");
        return ConvBnAct.Build(b, x, outChannels, kSize, stride, 1, Activation.Relu, bnEpsilon, name: "conv5");
    }
}
