using LightNets.Graphs;
using LightNets.Models.MobileNetV3;

namespace LightNets.Models;

/// <summary>The five families.</summary>
public enum ModelFamily
{
    MobileNetV1,
    ShuffleNetV1,
    MobileNetV2,
    ShuffleNetV2,
    MobileNetV3,
}

/// <summary>
/// Every published knob, as optional overrides of a zoo entry's defaults. A knob that does not apply to the family
/// (groups for a MobileNet, a layout for MobileNetV2, ...) is an error, not silently ignored.
/// </summary>
public sealed record ModelOptions
{
    /// <summary>Width multiplier α (MobileNets) or scale factor s (ShuffleNets).</summary>
    public double? Width { get; init; }

    public int? Resolution { get; init; }

    /// <summary>ShuffleNetV1's groups g.</summary>
    public int? Groups { get; init; }

    /// <summary>ShuffleNetV1 (paper, megvii) and ShuffleNetV2 (paper, torchvision).</summary>
    public ModelLayout? Layout { get; init; }

    /// <summary>MobileNetV3-Large or -Small.</summary>
    public MobileNetV3Variant? Variant { get; init; }

    /// <summary>MobileNetV3's width convention.</summary>
    public WidthRounding? Rounding { get; init; }

    /// <summary>MobileNetV1's nonlinearity (ReLU as in the paper, ReLU6 as TF-slim).</summary>
    public Activation? Activation { get; init; }

    /// <summary>MobileNetV3-Small: the paper's SE on the last 1×1 conv.</summary>
    public bool? HeadSqueezeExcite { get; init; }

    /// <summary>Channels of the input image: 3 (RGB) or 1 (grayscale); the stem convolution takes that many.</summary>
    public int? InputChannels { get; init; }

    /// <summary>The family's small-input variant (<see cref="ModelConfig.SmallInput"/>): 8× down-sampling, for 28–32 px images.</summary>
    public bool? SmallInput { get; init; }

    public int? Classes { get; init; }
    public int? Batch { get; init; }
    public WeightInit? Init { get; init; }

    /// <summary>These options, with every value set in <paramref name="overrides"/> replacing ours.</summary>
    public ModelOptions Merge(ModelOptions? overrides) => overrides is null ? this : new ModelOptions
    {
        Width = overrides.Width ?? Width,
        Resolution = overrides.Resolution ?? Resolution,
        Groups = overrides.Groups ?? Groups,
        Layout = overrides.Layout ?? Layout,
        Variant = overrides.Variant ?? Variant,
        Rounding = overrides.Rounding ?? Rounding,
        Activation = overrides.Activation ?? Activation,
        HeadSqueezeExcite = overrides.HeadSqueezeExcite ?? HeadSqueezeExcite,
        InputChannels = overrides.InputChannels ?? InputChannels,
        SmallInput = overrides.SmallInput ?? SmallInput,
        Classes = overrides.Classes ?? Classes,
        Batch = overrides.Batch ?? Batch,
        Init = overrides.Init ?? Init,
    };

    /// <summary>A short description of the knobs that are set, e.g. "α=0.75, 192px, torchvision rounding", "0.5×, 32px, small input, 1 channel, 10 classes".</summary>
    public string Describe(ModelFamily family)
    {
        var parts = new List<string>();
        if (Width is { } w) parts.Add(family is ModelFamily.ShuffleNetV1 or ModelFamily.ShuffleNetV2 ? $"{w:0.##}×" : $"α={w:0.###}");
        if (Groups is { } g) parts.Add($"g={g}");
        if (Resolution is { } r) parts.Add($"{r}px");
        if (SmallInput == true) parts.Add("small input");
        if (InputChannels is { } ch && ch != 3) parts.Add(ch == 1 ? "1 channel" : $"{ch} channels");
        if (Layout is { } l) parts.Add($"{l.ToString().ToLowerInvariant()} layout");
        if (Rounding is { } rd) parts.Add($"{rd.ToString().ToLowerInvariant()} rounding");
        if (Activation is { } a) parts.Add(a.ToString());
        if (HeadSqueezeExcite == true) parts.Add("paper head SE");
        if (Classes is { } k && k != 1000) parts.Add($"{k} classes");
        return string.Join(", ", parts);
    }
}
