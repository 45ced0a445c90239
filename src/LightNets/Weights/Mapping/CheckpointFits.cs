using System.Globalization;
using LightNets.Models;
using LightNets.Models.MobileNetV3;

namespace LightNets.Weights.Mapping;

/// <summary>A zoo configuration that a checkpoint fits: every tensor it needs is in the file with its shape, and nothing more.</summary>
/// <param name="Naming">Whose names the checkpoint has.</param>
/// <param name="Options">The configuration, every knob that changes a shape set: width (or scale), variant, groups, the
/// source's rounding, layout or activation, and the file's class count and input channels.</param>
/// <param name="Model">The MODEL to name: the zoo entry with this family, variant, width and groups, or the family's
/// name when no entry has this width (the loader then infers it from the file).</param>
public sealed record CheckpointFit(CheckpointNaming Naming, ModelOptions Options, string Model)
{
    /// <summary>"α=0.35, torchvision rounding, 10 classes": the configuration in words.</summary>
    public string Description => Options.Describe(Naming.Family);
}

/// <summary>
/// Which zoo configurations a checkpoint fits. Names tell the source and family (torchvision's <c>features.1.block.0.0</c>,
/// timm's <c>blocks.1.0.conv_pw</c>, megvii's <c>first_conv</c>); shapes tell the rest: the width is found by trying the
/// zoo's widths, then every multiple of 0.05 up to 2, and keeping those whose every tensor matches (different widths
/// that round to the same network are one fit); class count and input channels are read off the classifier and the stem.
/// </summary>
public static class CheckpointFits
{
    /// <summary>A naming whose reference model has at least this share of its names in the file is the file's source.</summary>
    public const double NameShare = 0.5;

    /// <summary>Names of families, accepted as MODEL with a checkpoint: the width (and ShuffleNetV1's groups) then come from the file.</summary>
    public static IReadOnlyDictionary<string, (ModelFamily Family, ModelOptions Defaults)> FamilyNames { get; } =
        new Dictionary<string, (ModelFamily, ModelOptions)>(StringComparer.OrdinalIgnoreCase)
        {
            ["mobilenetv1"] = (ModelFamily.MobileNetV1, new ModelOptions()),
            ["mobilenetv2"] = (ModelFamily.MobileNetV2, new ModelOptions()),
            ["mobilenetv3"] = (ModelFamily.MobileNetV3, new ModelOptions()),
            ["mobilenetv3_large"] = (ModelFamily.MobileNetV3, new ModelOptions { Variant = MobileNetV3Variant.Large }),
            ["mobilenetv3_small"] = (ModelFamily.MobileNetV3, new ModelOptions { Variant = MobileNetV3Variant.Small }),
            ["shufflenetv1"] = (ModelFamily.ShuffleNetV1, new ModelOptions()),
            ["shufflenetv2"] = (ModelFamily.ShuffleNetV2, new ModelOptions()),
        };

    /// <summary>Every configuration <paramref name="file"/> fits (under the one naming whose names it has).</summary>
    public static IReadOnlyList<CheckpointFit> Find(CheckpointTensors file)
    {
        ArgumentNullException.ThrowIfNull(file);
        // Two namings never fit one file (their names differ somewhere), and the one that fits has the most of the file's
        // names: the namings are tried best first, up to the first that fits.
        var namings = CheckpointNamings.All.Select(n => (Naming: n, Score: NameScore(file, n))).Where(s => s.Score >= NameShare)
            .OrderByDescending(s => s.Score).Select(s => s.Naming);
        return namings.Select(n => Find(file, n, new ModelOptions())).FirstOrDefault(fits => fits.Count > 0) ?? [];
    }

    /// <summary>The configurations <paramref name="file"/> fits under <paramref name="naming"/> that keep every knob set in <paramref name="given"/>.</summary>
    public static IReadOnlyList<CheckpointFit> Find(CheckpointTensors file, CheckpointNaming naming, ModelOptions given)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(naming);
        ArgumentNullException.ThrowIfNull(given);
        var fits = new List<CheckpointFit>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var variant in Variants(naming, given))
        {
            // Classes and input channels do not depend on the width: read once per variant, from a model of the zoo's default width.
            if (FileShape(file, naming, variant) is not { } shaped) continue;
            foreach (var options in Sizes(naming.Family, given).Select(s => shaped with { Width = s.Width, Groups = s.Groups }))
            {
                if (!TryMap(naming, options, out var map) || CheckpointMatcher.FirstMismatch(map, file, skipClassifier: false) is not null) continue;
                // Widths that round to the same network are one fit: the first tried (a zoo entry's, else the smallest) names it.
                if (seen.Add(string.Join(';', map.Tensors.Select(t => t.Shape.ToString()))))
                    fits.Add(new CheckpointFit(naming, options, ModelName(naming.Family, options)));
            }
        }
        return fits;
    }

    /// <summary>Why <paramref name="file"/> fits no zoo configuration, in words (call when <see cref="Find(CheckpointTensors)"/> found none).</summary>
    public static string WhyNone(CheckpointTensors file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var best = CheckpointNamings.All.Select(n => (Naming: n, Score: NameScore(file, n))).MaxBy(s => s.Score);
        if (best.Score < NameShare)
            return $"its names are not those of torchvision's, timm's or megvii's MobileNets and ShuffleNets (first names: {string.Join(", ", file.Names.Take(3).Select(n => $"'{n}'"))})";
        var family = FamilyNames.First(f => f.Value.Family == best.Naming.Family && (best.Naming.Implies.Variant is null || f.Value.Defaults.Variant == best.Naming.Implies.Variant)).Key;
        try
        {
            CheckpointLoader.Load(file, family);
        }
        catch (WeightMappingException e)
        {
            return e.Message;
        }
        catch (ArgumentException)
        {
            // Only the values were missing: the names and shapes fit (not reached when Find found nothing).
        }
        return $"its names are {best.Naming.Name}'s, but no width of the zoo fits its shapes";
    }

    /// <summary>
    /// The share (0–1) of the names <paramref name="naming"/> gives its family's reference model (width 1, each variant)
    /// that <paramref name="file"/> has: 1 for a checkpoint of that source and family whatever its width.
    /// </summary>
    public static double NameScore(CheckpointTensors file, CheckpointNaming naming)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(naming);
        var best = 0.0;
        foreach (var options in Variants(naming, naming.Implies))
        {
            if (!TryMap(naming, options, out var map)) continue;
            best = Math.Max(best, map.Tensors.Count(t => file.Contains(t.Source)) / (double)map.Tensors.Count);
        }
        return best;
    }

    /// <summary>
    /// <paramref name="options"/> with the class count and input channels the file's classifier and stem have, or null
    /// when the file lacks them (it is not a checkpoint of this naming and configuration).
    /// </summary>
    internal static ModelOptions? FileShape(CheckpointTensors file, CheckpointNaming naming, ModelOptions options)
    {
        if (!TryMap(naming, options, out var map)) return null;
        var stem = map.Tensors[0];
        var classifier = map.Tensors.FirstOrDefault(t => t.Classifier && t.Shape.Rank >= 2);
        if (classifier is null || !file.TryGetShape(stem.Source, out var stemShape) || !file.TryGetShape(classifier.Source, out var headShape)
            || stemShape.Length != 4 || headShape.Length < 2 || stemShape[1] < 1 || headShape[0] < 1)
            return null;
        return options with
        {
            InputChannels = options.InputChannels ?? stemShape[1],
            Classes = options.Classes ?? headShape[0],
        };
    }

    /// <summary>Builds the configuration and maps it; false when the zoo cannot build it or the source's code has no such model.</summary>
    internal static bool TryMap(CheckpointNaming naming, ModelOptions options, out NameMap map)
    {
        try
        {
            map = NameMap.For(ModelZoo.Build(naming.Family, options), naming);
            return true;
        }
        catch (Exception e) when (e is ModelConfigurationException or WeightMappingException)
        {
            map = null!;
            return false;
        }
    }

    /// <summary>The widths (ShuffleNetV1: and groups) to try, the zoo's own first; only those given when given.</summary>
    private static IEnumerable<(double Width, int? Groups)> Sizes(ModelFamily family, ModelOptions given)
    {
        var entries = ModelZoo.Entries.Where(e => e.Family == family).Select(e => e.Defaults.Width!.Value);
        // The ShuffleNets' widths are tables; a MobileNet's α is any number, so every multiple of 0.05 up to 2 is tried too.
        var widths = given.Width is { } w ? [w]
            : family is ModelFamily.ShuffleNetV1 or ModelFamily.ShuffleNetV2 ? entries.Distinct().ToArray()
            : entries.Concat(Enumerable.Range(2, 39).Select(k => Math.Round(k * 0.05, 2))).Distinct().ToArray();
        int?[] groups = family != ModelFamily.ShuffleNetV1 ? [given.Groups]
            : given.Groups is { } g ? [g] : Models.ShuffleNetV1.ShuffleNetV1Table.Groups.Select(x => (int?)x).ToArray();
        return groups.SelectMany(group => widths.Select(width => (width, group)));
    }

    /// <summary><paramref name="given"/> with the naming's settings, once per MobileNetV3 variant it may be.</summary>
    private static IEnumerable<ModelOptions> Variants(CheckpointNaming naming, ModelOptions given)
    {
        var options = given.Merge(naming.Implies);
        if (naming.Family != ModelFamily.MobileNetV3 || options.Variant is not null) return [options];
        return [options with { Variant = MobileNetV3Variant.Large }, options with { Variant = MobileNetV3Variant.Small }];
    }

    /// <summary>The zoo entry with this family, variant, width and groups, or the family's name.</summary>
    private static string ModelName(ModelFamily family, ModelOptions o)
    {
        var entry = ModelZoo.Entries.FirstOrDefault(e => e.Family == family && e.Defaults.Width == o.Width && e.Defaults.Groups == o.Groups
                                                         && e.Defaults.Variant == o.Variant);
        if (entry is not null) return entry.Name;
        return FamilyNames.First(f => f.Value.Family == family && f.Value.Defaults.Variant == o.Variant).Key;
    }

    /// <summary>"0.25": a width as the command line takes it.</summary>
    internal static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
