using LightNets.Graphs;
using LightNets.Models.Blocks;

namespace LightNets.Models.ShuffleNetV1;

/// <summary>ShuffleNetV1 settings: groups g ∈ {1, 2, 3, 4, 8} and scale s ("ShuffleNet s×"). BN ε: megvii's 1e-5.</summary>
public sealed record ShuffleNetV1Config() : ModelConfig(batchNormEpsilon: 1e-5f)
{
    public int Groups { get; init; } = 3;

    /// <summary>Scale factor s: every stage width × s (published 0.25, 0.5, 1, 1.5, 2).</summary>
    public double Scale { get; init; } = 1.0;

    /// <summary>
    /// Whether the final FC has a bias. The paper does not say; megvii's code has none. LightNets defaults to a bias (the
    /// docs/ARCH-SPEC.md §6.1 convention); <see cref="ModelLayout.Megvii"/> turns it off.
    /// </summary>
    public bool ClassifierBias { get; init; } = true;

    public override SmallInputVariant SmallInputRows => ShuffleNetV1Table.SmallInput;

    /// <summary>Every built row's stride, once per repeat (the stem, the max-pool and each stage's first unit).</summary>
    public override int DownSampling
    {
        get
        {
            var factor = 1;
            var rows = ShuffleNetV1Table.Rows;
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
        RequirePositiveWidth(Scale, "scale factor s");
        if (!ShuffleNetV1Table.Groups.Contains(Groups))
            throw new ModelConfigurationException($"ShuffleNetV1 is defined for g = 1, 2, 3, 4 or 8 (Table 1), not g = {Groups}");
    }
}

/// <summary>
/// Builds ShuffleNetV1 by walking <see cref="ShuffleNetV1Table.Rows"/>. Widths at 1× come from the table's g column; at
/// other scales megvii's exact tables are used where they exist, else <see cref="Widths"/>'s rule.
/// </summary>
public static class ShuffleNetV1
{
    public static Graph Build(ShuffleNetV1Config config, string? name = null) =>
        config.Build("ShuffleNetV1", name ?? $"shufflenetv1_g{config.Groups}_{config.Scale * 100:000}", (b, x) => Layers(config, b, x));

    /// <summary>
    /// Stem and stage widths for (g, s). At s = 1 the table; megvii's table where it has the pair; otherwise each stage
    /// width × s rounded to a multiple of 4g (so the bottleneck C/4 and every C_out − C_in divide by g), and the stem
    /// 24·min(s, 1)... adjusted to the nearest value (upwards on ties) that keeps Stage 2's branch (C₂ − stem) divisible by g.
    /// </summary>
    public static (int Stem, int[] Stages) Widths(int groups, double scale)
    {
        var stages = Stages.Select(stage => ShuffleNetV1Table.Rows.First(r => r.Layer == stage).OutputChannels!.Value[groups]).ToArray();
        var stem = ShuffleNetV1Table.Rows.Single(r => r.Layer == Layer.Conv1).OutputChannels!.Value[groups];
        if (scale == 1.0) return (stem, stages);
        foreach (var m in ShuffleNetV1Table.Megvii)
        {
            if (m.Groups == groups && m.Scale == scale) return (m.Stem, [m.Stage2, m.Stage3, m.Stage4]);
        }
        var unit = 4 * groups;
        var scaled = stages.Select(c => Math.Max(unit, (int)Math.Round(c * scale / unit, MidpointRounding.AwayFromZero) * unit)).ToArray();
        var target = Math.Max(groups, (int)Math.Round(stem * Math.Min(scale, 2.0)));
        var best = -1;
        for (var d = 0; best < 0; d++)
        {
            foreach (var candidate in new[] { target + d, target - d })
            {
                if (candidate >= 1 && candidate < scaled[0] && (scaled[0] - candidate) % groups == 0) { best = candidate; break; }
            }
        }
        return (best, scaled);
    }

    /// <summary>Table 1's stages in order: <see cref="Widths"/> returns their widths in this order.</summary>
    private static readonly Layer[] Stages = [Layer.Stage2, Layer.Stage3, Layer.Stage4];

    private static Value Layers(ShuffleNetV1Config config, GraphBuilder b, Value x)
    {
        b.Meta("groups", config.Groups.ToString()).Meta("scale", config.Scale.ToString("0.###"))
            .Meta("resolution", config.Resolution.ToString());
        var eps = config.BatchNormEpsilon;
        var (stem, stages) = Widths(config.Groups, config.Scale);

        var unit = 0;
        var rows = ShuffleNetV1Table.Rows;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            if (!config.SmallInputRows.Keeps(config.SmallInput, i)) continue;
            // The stem's strides are the small-input variant's to change; a unit's stride decides its kind (Units).
            int StemStride() => config.SmallInputRows.Stride(config.SmallInput, i, row.Stride!.Value);
            // Every Layer has an arm (a missing one is error CS8509); CS8524 asks for one for unnamed values, which only a
            // cast can make, and those throw SwitchExpressionException.
#pragma warning disable CS8524
            x = row.Layer switch
            {
                Layer.Image => x,
                Layer.Conv1 => ShuffleNetStem.Conv1(b, x, stem, row.KSize!.Value, StemStride(), eps),
                Layer.MaxPool => ShuffleNetStem.MaxPool(b, x, row.KSize!.Value, StemStride()),
                Layer.Stage2 or Layer.Stage3 or Layer.Stage4 => Units(row, x),
                Layer.GlobalPool => Classifier.Pool(b, x),
                Layer.FC => Classifier.Fc(b, x, config.Classes, config.ClassifierBias),
            };
#pragma warning restore CS8524
        }
        return x;

        // A row's Repeat units, in blocks named after the Layer column and numbered from 0 in each stage ("stage3.0" is
        // Stage 3's first unit, the stage's stride-2 row).
        Value Units(ShuffleNetV1Row row, Value x)
        {
            if (row.Stride == 2) unit = 0;
            var cout = stages[Array.IndexOf(Stages, row.Layer)];
            for (var r = 0; r < row.Repeat; r++, unit++)
            {
                using var _ = b.Block($"{row.Layer.ToString().ToLowerInvariant()}.{unit}");
                // Stage 2's first pointwise layer is not grouped: its 24 input channels are too few (Table 1 note).
                var groupFirst = !(row.Layer == Layer.Stage2 && unit == 0);
                x = ShuffleUnitV1.Build(b, x, cout, cout / 4, config.Groups, row.Stride!.Value, groupFirst, eps);
            }
            return x;
        }
    }
}
