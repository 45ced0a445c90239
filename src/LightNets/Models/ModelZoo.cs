using LightNets.Graphs;
using LightNets.Models.MobileNetV1;
using LightNets.Models.MobileNetV2;
using LightNets.Models.MobileNetV3;
using LightNets.Models.ShuffleNetV1;
using LightNets.Models.ShuffleNetV2;

namespace LightNets.Models;

/// <summary>A registered model: timm-style name (width in hundredths), family, defaults, torchvision aliases.</summary>
public sealed record ZooEntry(string Name, ModelFamily Family, ModelOptions Defaults, IReadOnlyList<string> Aliases)
{
    public string Description => Defaults.Describe(Family);
}

/// <summary>One configuration the <c>models</c> listing shows: an entry, possibly with a variant's overrides.</summary>
public sealed record ZooConfiguration(ZooEntry Entry, ModelOptions Overrides)
{
    public ModelOptions Options => Entry.Defaults.Merge(Overrides);
    public string Variant => Overrides.Describe(Entry.Family);
}

/// <summary>
/// The registry. Names follow timm's grammar with the width in hundredths (<c>mobilenetv2_100</c>,
/// <c>shufflenetv1_g3_050</c>, <c>mobilenetv3_small_075</c>); torchvision's builder names are aliases.
/// </summary>
public static class ModelZoo
{
    public static IReadOnlyList<ZooEntry> Entries { get; } = CreateEntries();

    /// <summary>Fashion-MNIST's shape for the small-input variants: 32 px (28 padded), 1 channel, 10 classes.</summary>
    public static ModelOptions FashionMnist { get; } = new() { SmallInput = true, InputChannels = 1, Classes = 10, Resolution = 32 };

    /// <summary>
    /// Each family's widest zoo entry whose small-input variant stays within 1 M params at <see cref="FashionMnist"/>'s
    /// shape (ShuffleNetV1 at its default g = 3; MobileNetV3 at its default rounding), listed by <c>models</c> with that
    /// shape: the candidates for training on Fashion-MNIST.
    /// </summary>
    public static IReadOnlyList<string> SmallInputCandidates { get; } =
        ["mobilenetv1_050", "shufflenetv1_g3_100", "mobilenetv2_050", "shufflenetv2_050", "mobilenetv3_large_035", "mobilenetv3_small_050"];

    private static readonly Dictionary<string, ZooEntry> ByName = Entries
        .SelectMany(e => e.Aliases.Prepend(e.Name).Select(n => (n, e)))
        .ToDictionary(p => p.n, p => p.e, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every name and alias.</summary>
    public static IEnumerable<string> Names => ByName.Keys.Order(StringComparer.Ordinal);

    /// <summary>
    /// What <c>lightnets models</c> lists: every entry, plus the variants whose counts docs/ARCH-SPEC.md §6.1 pins
    /// (other resolutions, the ShuffleNetV2 paper layout, MobileNetV3's torchvision rounding, Small with the paper's head SE)
    /// and each family's small-input variant at Fashion-MNIST's shape (<see cref="SmallInputCandidates"/>).
    /// </summary>
    public static IReadOnlyList<ZooConfiguration> Configurations { get; } = CreateConfigurations();

    public static bool TryFind(string name, out ZooEntry entry) => ByName.TryGetValue(name, out entry!);

    public static ZooEntry Find(string name)
    {
        if (TryFind(name, out var entry)) return entry;
        var nearest = Nearest(name, 5);
        throw new ModelConfigurationException(
            $"unknown model '{name}'; nearest valid names: {string.Join(", ", nearest)} (`lightnets models` lists all)");
    }

    /// <summary>Builds a registered model with optional overrides of its defaults.</summary>
    public static Graph Build(string name, ModelOptions? overrides = null)
    {
        var entry = Find(name);
        return Build(entry.Family, entry.Defaults.Merge(overrides));
    }

    /// <summary>Builds any configuration of a family.</summary>
    public static Graph Build(ModelFamily family, ModelOptions o)
    {
        Reject(family, o);
        var e = Effective(family, o);
        return family switch
        {
            ModelFamily.MobileNetV1 => MobileNetV1.MobileNetV1.Build(Common(new MobileNetV1Config
            {
                Width = e.Width!.Value, Activation = e.Activation!.Value,
            }, e)),
            ModelFamily.MobileNetV2 => MobileNetV2.MobileNetV2.Build(Common(new MobileNetV2Config { Width = e.Width!.Value }, e)),
            ModelFamily.MobileNetV3 => MobileNetV3.MobileNetV3.Build(Common(new MobileNetV3Config
            {
                Variant = e.Variant!.Value,
                Width = e.Width!.Value,
                Rounding = e.Rounding!.Value,
                PaperSmallHeadSqueezeExcite = e.HeadSqueezeExcite!.Value,
            }, e)),
            ModelFamily.ShuffleNetV1 => ShuffleNetV1.ShuffleNetV1.Build(Common(new ShuffleNetV1Config
            {
                Groups = e.Groups!.Value, Scale = e.Width!.Value, ClassifierBias = e.Layout != ModelLayout.Megvii,
            }, e)),
            ModelFamily.ShuffleNetV2 => ShuffleNetV2.ShuffleNetV2.Build(Common(new ShuffleNetV2Config
            {
                Scale = e.Width!.Value, Layout = e.Layout!.Value,
            }, e)),
            _ => throw new ArgumentOutOfRangeException(nameof(family)),
        };
    }

    /// <summary>
    /// <paramref name="o"/> with every unset knob that applies to <paramref name="family"/> replaced by the value
    /// <see cref="Build(ModelFamily, ModelOptions)"/> uses (width 1, 224 px, 3 channels, the ImageNet layout, 1000 classes, g = 3, ShuffleNetV1's paper and
    /// ShuffleNetV2's torchvision layout, MobileNetV3-Large with TF rounding, ...). Knobs of other families stay as given.
    /// </summary>
    public static ModelOptions Effective(ModelFamily family, ModelOptions o) => o with
    {
        Width = o.Width ?? 1.0,
        Resolution = o.Resolution ?? 224,
        Classes = o.Classes ?? 1000,
        Batch = o.Batch ?? 1,
        Init = o.Init ?? WeightInit.Default,
        InputChannels = o.InputChannels ?? 3,
        SmallInput = o.SmallInput ?? false,
        Groups = family == ModelFamily.ShuffleNetV1 ? o.Groups ?? 3 : o.Groups,
        Layout = family switch
        {
            ModelFamily.ShuffleNetV1 => o.Layout ?? ModelLayout.Paper,
            ModelFamily.ShuffleNetV2 => o.Layout ?? ModelLayout.Torchvision,
            _ => o.Layout,
        },
        Activation = family == ModelFamily.MobileNetV1 ? o.Activation ?? Activation.Relu : o.Activation,
        Variant = family == ModelFamily.MobileNetV3 ? o.Variant ?? MobileNetV3Variant.Large : o.Variant,
        Rounding = family == ModelFamily.MobileNetV3 ? o.Rounding ?? WidthRounding.Paper : o.Rounding,
        HeadSqueezeExcite = family == ModelFamily.MobileNetV3 ? o.HeadSqueezeExcite ?? false : o.HeadSqueezeExcite,
    };

    /// <summary>Names closest to <paramref name="name"/> by edit distance (for "did you mean").</summary>
    public static IReadOnlyList<string> Nearest(string name, int count) => ByName.Keys
        .Select(n => (n, d: EditDistance(name.ToLowerInvariant(), n.ToLowerInvariant())))
        .OrderBy(p => p.d).ThenBy(p => p.n, StringComparer.Ordinal)
        .Take(count).Select(p => p.n).ToArray();

    private static T Common<T>(T config, ModelOptions effective) where T : ModelConfig => config with
    {
        Resolution = effective.Resolution!.Value,
        Classes = effective.Classes!.Value,
        Batch = effective.Batch!.Value,
        Init = effective.Init!,
        InputChannels = effective.InputChannels!.Value,
        SmallInput = effective.SmallInput!.Value,
    };

    private static void Reject(ModelFamily family, ModelOptions o)
    {
        void No(bool set, string option, string appliesTo)
        {
            if (set) throw new ModelConfigurationException($"option {option} does not apply to {family}; it applies to {appliesTo}");
        }
        No(o.Groups is not null && family != ModelFamily.ShuffleNetV1, "--groups", "ShuffleNetV1");
        No(o.Layout is not null && family is not (ModelFamily.ShuffleNetV1 or ModelFamily.ShuffleNetV2), "--layout", "ShuffleNetV1 and ShuffleNetV2");
        No(o.Rounding is not null && family != ModelFamily.MobileNetV3, "--rounding", "MobileNetV3");
        No(o.Activation is not null && family != ModelFamily.MobileNetV1, "--activation", "MobileNetV1");
        No(o.HeadSqueezeExcite is not null && family != ModelFamily.MobileNetV3, "--head-se", "MobileNetV3-Small");
        No(o.Variant is not null && family != ModelFamily.MobileNetV3, "a Large/Small variant", "MobileNetV3");
        if (family == ModelFamily.ShuffleNetV1 && o.Layout == ModelLayout.Torchvision)
            throw new ModelConfigurationException("ShuffleNetV1 has no torchvision layout (torchvision has no ShuffleNetV1); use paper or megvii");
    }

    private static ZooEntry[] CreateEntries()
    {
        var list = new List<ZooEntry>();
        void Add(string name, ModelFamily family, ModelOptions defaults, params string[] aliases) =>
            list.Add(new ZooEntry(name, family, defaults, aliases));
        static string Hundredths(double w) => ((int)Math.Round(w * 100)).ToString("000");

        foreach (var a in new[] { 1.0, 0.75, 0.5, 0.25 })
            Add($"mobilenetv1_{Hundredths(a)}", ModelFamily.MobileNetV1, new ModelOptions { Width = a });
        foreach (var g in ShuffleNetV1Table.Groups)
        {
            foreach (var s in new[] { 0.25, 0.5, 1.0, 1.5, 2.0 })
                Add($"shufflenetv1_g{g}_{Hundredths(s)}", ModelFamily.ShuffleNetV1, new ModelOptions { Groups = g, Width = s });
        }
        foreach (var a in new[] { 0.35, 0.5, 0.75, 1.0, 1.3, 1.4 })
            Add($"mobilenetv2_{Hundredths(a)}", ModelFamily.MobileNetV2, new ModelOptions { Width = a }, a == 1.0 ? ["mobilenet_v2"] : []);
        foreach (var s in ShuffleNetV2.OutputChannels.Scales)
        {
            var alias = $"shufflenet_v2_x{s:0.0}".Replace('.', '_');
            Add($"shufflenetv2_{Hundredths(s)}", ModelFamily.ShuffleNetV2, new ModelOptions { Width = s }, alias);
        }
        foreach (var variant in new[] { MobileNetV3Variant.Large, MobileNetV3Variant.Small })
        {
            var v = variant.ToString().ToLowerInvariant();
            foreach (var a in new[] { 0.35, 0.5, 0.75, 1.0, 1.25 })
                Add($"mobilenetv3_{v}_{Hundredths(a)}", ModelFamily.MobileNetV3, new ModelOptions { Variant = variant, Width = a },
                    a == 1.0 ? [$"mobilenet_v3_{v}"] : []);
        }
        return list.ToArray();
    }

    private static ZooConfiguration[] CreateConfigurations()
    {
        var list = Entries.Select(e => new ZooConfiguration(e, new ModelOptions())).ToList();
        void Variant(string name, ModelOptions overrides) => list.Insert(
            list.FindLastIndex(c => c.Entry.Name == name) + 1, new ZooConfiguration(Find(name), overrides));

        foreach (var r in new[] { 128, 160, 192 })
            Variant("mobilenetv1_100", new ModelOptions { Resolution = r });
        foreach (var e in Entries.Where(e => e.Family == ModelFamily.ShuffleNetV2))
            Variant(e.Name, new ModelOptions { Layout = ModelLayout.Paper });
        Variant("mobilenetv3_large_075", new ModelOptions { Rounding = WidthRounding.Torchvision });
        Variant("mobilenetv3_small_075", new ModelOptions { Rounding = WidthRounding.Torchvision });
        Variant("mobilenetv3_small_100", new ModelOptions { HeadSqueezeExcite = true });
        foreach (var name in SmallInputCandidates)
            Variant(name, FashionMnist);
        return list.ToArray();
    }


    /// <summary>Levenshtein distance, for suggestions.</summary>
    internal static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
