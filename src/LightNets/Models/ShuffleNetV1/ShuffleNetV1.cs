using LightNets.Graphs;
using LightNets.Models.Blocks;

namespace LightNets.Models.ShuffleNetV1;

/// <summary>ShuffleNetV1 settings: groups g ∈ {1, 2, 3, 4, 8} and scale s ("ShuffleNet s×").</summary>
public sealed record ShuffleNetV1Config : ModelConfig
{
    public int Groups { get; init; } = 3;

    /// <summary>Scale factor s: every stage width × s (published 0.25, 0.5, 1, 1.5, 2).</summary>
    public double Scale { get; init; } = 1.0;

    /// <summary>
    /// Whether the final FC has a bias. The paper does not say; megvii's code has none. LightNets defaults to a bias (the
    /// docs/ARCH-SPEC.md §6.1 convention); <see cref="ModelLayout.Megvii"/> turns it off.
    /// </summary>
    public bool ClassifierBias { get; init; } = true;

    public float BatchNormEpsilon { get; init; } = 1e-5f;

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
        config.BuildChecked("ShuffleNetV1", () => BuildUnchecked(config, name ?? $"shufflenetv1_g{config.Groups}_{config.Scale * 100:000}"));

    /// <summary>
    /// Stem and stage widths for (g, s). At s = 1 the table; megvii's table where it has the pair; otherwise each stage
    /// width × s rounded to a multiple of 4g (so the bottleneck C/4 and every C_out − C_in divide by g), and the stem
    /// 24·min(s, 1)... adjusted to the nearest value (upwards on ties) that keeps Stage 2's branch (C₂ − stem) divisible by g.
    /// </summary>
    public static (int Stem, int[] Stages) Widths(int groups, double scale)
    {
        var stages = ShuffleNetV1Table.Rows.Where(r => r.Layer.StartsWith("Stage", StringComparison.Ordinal) && r.Stride == 2)
            .Select(r => r.OutputChannels!.Value[groups]).ToArray();
        var stem = ShuffleNetV1Table.Rows.Single(r => r.Layer == "Conv1").OutputChannels!.Value[groups];
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

    private static Graph BuildUnchecked(ShuffleNetV1Config config, string name)
    {
        var b = new GraphBuilder(name, config.Init);
        b.Meta("family", "ShuffleNetV1").Meta("groups", config.Groups.ToString()).Meta("scale", config.Scale.ToString("0.###"))
            .Meta("resolution", config.Resolution.ToString());
        var eps = config.BatchNormEpsilon;
        var (stem, stages) = Widths(config.Groups, config.Scale);

        var x = config.Input(b);
        var stage = -1;
        var unit = 0;
        foreach (var row in ShuffleNetV1Table.Rows)
        {
            switch (row.Layer)
            {
                case "Image":
                    break;
                case "Conv1":
                    using (b.Block("stem"))
                        x = ConvBnAct.Build(b, x, stem, row.KSize!.Value, row.Stride!.Value, 1, Activation.Relu, eps, name: "conv1");
                    break;
                case "MaxPool":
                    using (b.Block("stem"))
                        x = b.MaxPool(x, row.KSize!.Value, row.Stride!.Value, padding: 1);
                    break;
                case "GlobalPool":
                    using (b.Block("classifier"))
                        x = b.Flatten(b.GlobalAveragePool(x));
                    break;
                case "FC":
                    using (b.Block("classifier"))
                        x = b.Gemm(x, config.Classes, bias: config.ClassifierBias);
                    break;
                default:
                {
                    if (row.Stride == 2) { stage++; unit = 0; }
                    var cout = stages[stage];
                    for (var r = 0; r < row.Repeat; r++, unit++)
                    {
                        using (b.Block($"stage{stage + 2}.{unit}"))
                        {
                            // Stage 2's first pointwise layer is not grouped: its 24 input channels are too few (Table 1 note).
                            var groupFirst = !(stage == 0 && unit == 0);
                            x = ShuffleUnitV1.Build(b, x, cout, cout / 4, config.Groups, row.Stride == 2 && r == 0 ? 2 : 1, groupFirst, eps);
                        }
                    }
                    break;
                }
            }
        }
        b.Output(x);
        return b.Build();
    }
}
