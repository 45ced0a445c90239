using LightNets.Graphs;
using LightNets.Models.Blocks;

namespace LightNets.Models.MobileNetV3;

/// <summary>MobileNetV3 settings: Large or Small, width multiplier α under either rounding convention.</summary>
public sealed record MobileNetV3Config : ModelConfig
{
    public MobileNetV3Variant Variant { get; init; } = MobileNetV3Variant.Large;

    public double Width { get; init; } = 1.0;

    /// <summary>How α is applied (ARCH-SPEC §5.5). Both agree at α = 1.</summary>
    public WidthRounding Rounding { get; init; } = WidthRounding.Tf;

    /// <summary>Honour Table 2's SE mark on Small's last 1×1 conv (no implementation does; 2,709,464 params).</summary>
    public bool PaperSmallHeadSqueezeExcite { get; init; }

    /// <summary>torchvision's BN ε for MobileNetV3.</summary>
    public float BatchNormEpsilon { get; init; } = 1e-3f;

    public float DropoutRatio { get; init; } = 0.2f;

    public override void Validate()
    {
        base.Validate();
        RequirePositiveWidth(Width);
    }
}

/// <summary>Builds MobileNetV3 by walking <see cref="MobileNetV3Table.Large"/> or <see cref="MobileNetV3Table.Small"/>.</summary>
public static class MobileNetV3
{
    public static Graph Build(MobileNetV3Config config, string? name = null) =>
        config.BuildChecked("MobileNetV3", () => BuildUnchecked(config,
            name ?? $"mobilenetv3_{config.Variant.ToString().ToLowerInvariant()}_{config.Width * 100:000}"));

    private static Graph BuildUnchecked(MobileNetV3Config config, string name)
    {
        var b = new GraphBuilder(name, config.Init);
        b.Meta("family", "MobileNetV3").Meta("variant", config.Variant.ToString()).Meta("width", config.Width.ToString("0.###"))
            .Meta("rounding", config.Rounding.ToString().ToLowerInvariant()).Meta("resolution", config.Resolution.ToString());
        var rows = MobileNetV3Table.For(config.Variant);
        var alpha = config.Width;
        var tv = config.Rounding == WidthRounding.Torchvision;
        var eps = config.BatchNormEpsilon;
        int Scale(int c) => Channels.MakeDivisible(c * alpha);

        var x = config.Input(b);
        var index = 0;
        var lastBneckOut = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            switch (row.Operator)
            {
                case Operator.Conv2d when i == 0:
                {
                    // timm keeps the 16-channel stem below α = 0.75; torchvision scales it.
                    var stem = !tv && alpha < 0.75 ? row.Out!.Value : Scale(row.Out!.Value);
                    using (b.Block($"features.{index++}"))
                        x = ConvBnAct.Build(b, x, stem, row.Kernel, row.S, 1, row.NL!.Value.ToActivation(), eps);
                    break;
                }
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
                        x = InvertedResidual.Build(b, x, expanded, Scale(row.Out!.Value), row.Kernel, row.S, row.NL!.Value.ToActivation(), squeeze, eps);
                    break;
                }
                case Operator.Conv2d:
                {
                    // torchvision: 6 × the scaled last bneck width; TF/timm: the table's width × α.
                    var width = tv ? 6 * Scale(lastBneckOut) : Scale(row.Out!.Value);
                    using (b.Block($"features.{index++}"))
                    {
                        x = ConvBnAct.Build(b, x, width, row.Kernel, row.S, 1, row.NL!.Value.ToActivation(), eps);
                        if (row.SE && config.PaperSmallHeadSqueezeExcite)
                            x = SqueezeExcite.Build(b, x, Channels.MakeDivisible(width / 4));
                    }
                    break;
                }
                case Operator.Pool:
                    using (b.Block("classifier"))
                        x = b.Flatten(b.GlobalAveragePool(x));
                    break;
                case Operator.Conv2dNbn when row.Out is { } headWidth:
                    // The head FC: scaled by α in torchvision, kept at 1280/1024 in TF-slim/timm.
                    using (b.Block("classifier"))
                        x = b.Apply(row.NL!.Value.ToActivation(), b.Gemm(x, tv ? Scale(headWidth) : headWidth, name: "head"));
                    break;
                case Operator.Conv2dNbn:
                    using (b.Block("classifier"))
                        x = b.Gemm(b.Dropout(x, config.DropoutRatio), config.Classes);
                    break;
            }
        }
        b.Output(x);
        return b.Build();
    }
}
