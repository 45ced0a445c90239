using LightNets.Graphs;
using LightNets.Models.Blocks;

namespace LightNets.Models.MobileNetV3;

/// <summary>
/// MobileNetV3 settings: Large or Small, width multiplier α under any of the rounding conventions. BN ε: torchvision's
/// 1e-3 for MobileNetV3.
/// </summary>
public sealed record MobileNetV3Config() : MobileNetConfig(batchNormEpsilon: 1e-3f)
{
    public MobileNetV3Variant Variant { get; init; } = MobileNetV3Variant.Large;

    /// <summary>How α is applied (docs/ARCH-SPEC.md §5.5). All conventions agree at α = 1.</summary>
    public WidthRounding Rounding { get; init; } = WidthRounding.Paper;

    /// <summary>Honour Table 2's SE mark on Small's last 1×1 conv (no implementation does; 2,709,464 params).</summary>
    public bool PaperSmallHeadSqueezeExcite { get; init; }

    /// <summary>Dropout ratio before the classifier (torchvision: 0.2; the identity at inference).</summary>
    public float DropoutRatio { get; init; } = 0.2f;

    public override SmallInputVariant SmallInputRows => MobileNetV3Table.SmallInputFor(Variant);

    /// <summary>Every row's s.</summary>
    public override int DownSampling
    {
        get
        {
            var factor = 1;
            var rows = MobileNetV3Table.For(Variant);
            for (var i = 0; i < rows.Length; i++) factor *= SmallInputRows.Stride(SmallInput, i, rows[i].S);
            return factor;
        }
    }
}

/// <summary>Builds MobileNetV3 by walking <see cref="MobileNetV3Table.Large"/> or <see cref="MobileNetV3Table.Small"/>.</summary>
public static class MobileNetV3
{
    public static Graph Build(MobileNetV3Config config, string? name = null) =>
        config.Build("MobileNetV3", name ?? $"mobilenetv3_{config.Variant.ToString().ToLowerInvariant()}_{config.Width * 100:000}",
            (b, x) => Layers(config, b, x));

    /// <summary>
    /// Whether two width conventions build the same network for <paramref name="variant"/> at width
    /// <paramref name="width"/>: always at α = 1; <see cref="WidthRounding.Timm"/> and <see cref="WidthRounding.Paper"/>
    /// wherever their stems and heads agree; torchvision's rule nowhere else.
    /// </summary>
    public static bool SameNetwork(MobileNetV3Variant variant, double width, WidthRounding a, WidthRounding b)
    {
        if (a == b || width == 1.0) return true;
        if (a == WidthRounding.Torchvision || b == WidthRounding.Torchvision) return false;
        var rows = MobileNetV3Table.For(variant);
        var head = rows.First(r => r.Operator == Operator.Conv2dNbn);
        return StemWidth(rows[0], width, a) == StemWidth(rows[0], width, b) && HeadWidth(head, width, a) == HeadWidth(head, width, b);
    }

    /// <summary>The stem: timm keeps 16 channels below α = 0.75; torchvision and TF-slim (the paper) scale it.</summary>
    private static int StemWidth(MobileNetV3Row stem, double alpha, WidthRounding rounding) =>
        rounding == WidthRounding.Timm && alpha < 0.75 ? stem.Out!.Value : Channels.MakeDivisible(stem.Out!.Value * alpha);

    /// <summary>The head FC (1280/1024): scaled by α in torchvision, kept in timm, scaled only above α = 1 in the paper's models.</summary>
    private static int HeadWidth(MobileNetV3Row head, double alpha, WidthRounding rounding) => rounding switch
    {
        WidthRounding.Torchvision => Channels.MakeDivisible(head.Out!.Value * alpha),
        WidthRounding.Paper => Channels.MakeDivisible(head.Out!.Value * Math.Max(1.0, alpha)),
        _ => head.Out!.Value,
    };

    private static Value Layers(MobileNetV3Config config, GraphBuilder b, Value x)
    {
        b.Meta("variant", config.Variant.ToString()).Meta("width", config.Width.ToString("0.###"))
            .Meta("rounding", config.Rounding.ToString().ToLowerInvariant()).Meta("resolution", config.Resolution.ToString());
        var rows = MobileNetV3Table.For(config.Variant);
        var alpha = config.Width;
        var tv = config.Rounding == WidthRounding.Torchvision;
        var eps = config.BatchNormEpsilon;
        int Scale(int c) => Channels.MakeDivisible(c * alpha);

        var index = 0;
        var lastBneckOut = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            var stride = config.SmallInputRows.Stride(config.SmallInput, i, row.S);
            switch (row.Operator)
            {
                case Operator.Conv2d when i == 0:
                    using (b.Block($"features.{index++}"))
                        x = ConvBnAct.Build(b, x, StemWidth(row, alpha, config.Rounding), row.Kernel, stride, 1, row.NL!.Value.ToActivation(), eps);
                    break;
                case Operator.Bneck:
                {
                    var paperIn = rows[i - 1].Operator == Operator.Bneck ? rows[i - 1].Out!.Value : row.Input.Channels;
                    var expanded = tv
                        ? Scale(row.ExpSize!.Value)
                        // TF/timm: the paper's expansion ratio (exp size / input at α = 1) applied to the scaled input.
                        : row.ExpSize == paperIn ? x.Shape.C : Channels.MakeDivisible(x.Shape.C * (double)row.ExpSize!.Value / paperIn);
                    int? squeeze = row.SE ? Channels.MakeDivisible(expanded / 4) : null;
                    lastBneckOut = row.Out!.Value;
                    using (b.Block($"features.{index++}"))
                        x = InvertedResidual.Build(b, x, expanded, Scale(row.Out!.Value), row.Kernel, stride, row.NL!.Value.ToActivation(), squeeze, eps);
                    break;
                }
                case Operator.Conv2d:
                {
                    // torchvision: 6 × the scaled last bneck width; TF/timm: the table's width × α.
                    var width = tv ? 6 * Scale(lastBneckOut) : Scale(row.Out!.Value);
                    using (b.Block($"features.{index++}"))
                    {
                        x = ConvBnAct.Build(b, x, width, row.Kernel, stride, 1, row.NL!.Value.ToActivation(), eps);
                        if (row.SE && config.PaperSmallHeadSqueezeExcite)
                            x = SqueezeExcite.Build(b, x, Channels.MakeDivisible(width / 4));
                    }
                    break;
                }
                case Operator.Pool:
                    x = Classifier.Pool(b, x);
                    break;
                case Operator.Conv2dNbn when row.Out is not null:
                    using (b.Block("classifier"))
                        x = b.Apply(row.NL!.Value.ToActivation(), b.Gemm(x, HeadWidth(row, alpha, config.Rounding), name: "head"));
                    break;
                case Operator.Conv2dNbn:
                    x = Classifier.Fc(b, x, config.Classes, dropout: config.DropoutRatio);
                    break;
            }
        }
        return x;
    }
}
