using LightNets.Cost;
using LightNets.Models.MobileNetV3;

namespace LightNets.Models;

/// <summary>How a source rounded a count to the digits it prints.</summary>
public enum PublishedRounding
{
    /// <summary>To the nearest printed digit, halves up (568.74 M → 569).</summary>
    Nearest,

    /// <summary>Truncated (TF-slim's MobileNetV2 README: 300.77 M → 300; Google's params: 3.47 M → 3.4).</summary>
    Truncate,

    /// <summary>
    /// Not a measurement but a complexity class: ShuffleNetV1's "140 / 38 / 13 MFLOPs" label every model of a size
    /// (P-SN1 §3.3 and Tables 2, 4–6, 8; PUBLISHED §8.30). A model is in the class when within ±20 % of it.
    /// </summary>
    Nominal,
}

/// <summary>What a published params figure counts (PUBLISHED §8.5).</summary>
public enum ParamsConvention
{
    /// <summary>Every learnable scalar: conv/FC weights and biases, BN γ and β (<see cref="CostReport.Params"/>; torchvision's num_params).</summary>
    C1,

    /// <summary>C1 without BN γ and β (<see cref="CostReport.ParamsNoBatchNorm"/>; TF-slim's MobileNetV2 README, Google's papers).</summary>
    NoBatchNorm,

    /// <summary>
    /// TF-slim's MobileNetV1 checkpoints: conv/FC weights and biases + 3 BN variables per channel (β, moving mean, moving
    /// variance; TF-slim's V1 has no γ), with a 1001-class classifier (PUBLISHED §1.5: reproduces 4.24/2.59/1.34/0.47).
    /// </summary>
    TfSlimV1,
}

/// <summary>
/// One published complexity figure: a source's table row for one zoo configuration, with the MACs and/or params it
/// prints, how it rounded them and what it counted, and the top-1 accuracy of the same row. A figure known not to
/// reproduce says why (<see cref="MacsErratum"/>, <see cref="ParamsErratum"/>).
/// </summary>
public sealed record PublishedFigure
{
    /// <summary>docs/PUBLISHED.md's source key and the table, e.g. "P-MN1 Table 6", "R-TFS-MN".</summary>
    public required string Source { get; init; }

    /// <summary>The zoo name of the model (<see cref="ModelZoo.Entries"/>).</summary>
    public required string Model { get; init; }

    /// <summary>What differs from the zoo entry's defaults: resolution, layout, MobileNetV3 rounding.</summary>
    public ModelOptions Overrides { get; init; } = new();

    /// <summary>Published multiply-adds (the papers' "FLOPs", "Mult-Adds", "MACs") in millions, or null.</summary>
    public double? MacsMillions { get; init; }

    /// <summary>Decimals printed after the million (0 for "569"; 6 for an exact count).</summary>
    public int MacsDecimals { get; init; }

    /// <summary>How the source rounded its MACs.</summary>
    public PublishedRounding MacsRounding { get; init; }

    /// <summary>The source leaves out the final classifier layer (P-SN1 Table 1, TF-slim's "base" network).</summary>
    public bool MacsWithoutClassifier { get; init; }

    /// <summary>Published parameter count in millions, or null.</summary>
    public double? ParamsMillions { get; init; }

    /// <summary>Decimals printed after the million (1 for "4.2"; 6 for torchvision's exact num_params).</summary>
    public int ParamsDecimals { get; init; } = 1;

    /// <summary>How the source rounded its params.</summary>
    public PublishedRounding ParamsRounding { get; init; }

    /// <summary>What the source's params count (with or without BN, TF-slim's variables).</summary>
    public ParamsConvention ParamsConvention { get; init; }

    /// <summary>ImageNet top-1 (%) printed in the same row (100 − the ShuffleNet papers' error), or null.</summary>
    public double? Top1 { get; init; }

    /// <summary>Why <see cref="MacsMillions"/> does not reproduce at its rounding, or null when it does.</summary>
    public string? MacsErratum { get; init; }

    /// <summary>Why <see cref="ParamsMillions"/> does not reproduce at its rounding, or null when it does.</summary>
    public string? ParamsErratum { get; init; }

    /// <summary>Provenance worth showing beside the figure (e.g. "quoted from P-MN2").</summary>
    public string? Note { get; init; }

    /// <summary>Non-null when part of the figure is known not to reproduce: the reasons.</summary>
    public string? Erratum => (MacsErratum, ParamsErratum) switch
    {
        (null, null) => null,
        ({ } m, null) => $"MACs: {m}",
        (null, { } p) => $"params: {p}",
        ({ } m, { } p) => $"MACs: {m}; params: {p}",
    };

    /// <summary>A unique, readable id, e.g. "P-MN1 Table 7: mobilenetv1_100 (192px)".</summary>
    public string Key
    {
        get
        {
            var described = Overrides.Describe(ModelZoo.Find(Model).Family);
            return described.Length == 0 ? $"{Source}: {Model}" : $"{Source}: {Model} ({described})";
        }
    }

    public override string ToString() => Key;
}

/// <summary>
/// The published complexity figures of the five families (docs/PUBLISHED.md) as data: every table row that maps to a zoo
/// configuration, with its rounding and counting convention, and the errata that are known not to reproduce.
/// </summary>
public static partial class Published
{
    /// <summary>Every figure, grouped by family and source.</summary>
    public static IReadOnlyList<PublishedFigure> Figures { get; } =
        [.. MobileNetV1Figures(), .. ShuffleNetV1Figures(), .. MobileNetV2Figures(), .. ShuffleNetV2Figures(), .. MobileNetV3Figures()];

    /// <summary>
    /// The figures that describe the network <paramref name="model"/> (a zoo name or alias) builds with
    /// <paramref name="overrides"/>: the same family, width, resolution, input channels, groups, layout, classes and head,
    /// the ImageNet strides (a small-input variant is no published network), and a MobileNetV3 rounding that builds the
    /// same network (<see cref="MobileNetV3.MobileNetV3.SameNetwork"/>). Batch, weights and activation change no count and
    /// are ignored.
    /// </summary>
    /// <exception cref="ModelConfigurationException">The name is unknown.</exception>
    public static IEnumerable<PublishedFigure> For(string model, ModelOptions? overrides = null)
    {
        var entry = ModelZoo.Find(model);
        var query = ModelZoo.Effective(entry.Family, entry.Defaults.Merge(overrides));
        return Figures.Where(f => Describes(f, entry.Family, query));
    }

    /// <summary>The options the figure's network is built with: its zoo entry's defaults and its overrides.</summary>
    public static ModelOptions Options(PublishedFigure figure) => ModelZoo.Find(figure.Model).Defaults.Merge(figure.Overrides);

    /// <summary>Builds the figure's network and costs it.</summary>
    public static CostReport Cost(PublishedFigure figure) => CostReport.Analyze(ModelZoo.Build(figure.Model, figure.Overrides));

    /// <summary>Our MAC count as the figure counts it (per image, with or without the classifier).</summary>
    public static long Macs(PublishedFigure figure, CostReport report) =>
        (figure.MacsWithoutClassifier ? report.MacsWithoutClassifier : report.Macs) / report.Batch;

    /// <summary>Our parameter count under the figure's <see cref="PublishedFigure.ParamsConvention"/>.</summary>
    public static long Params(PublishedFigure figure, CostReport report) => Params(figure.ParamsConvention, report);

    /// <summary>The parameter count of <paramref name="report"/> under <paramref name="convention"/>.</summary>
    public static long Params(ParamsConvention convention, CostReport report) => convention switch
    {
        ParamsConvention.C1 => report.Params,
        ParamsConvention.NoBatchNorm => report.ParamsNoBatchNorm,
        ParamsConvention.TfSlimV1 => TfSlimV1Params(report),
        _ => throw new ArgumentOutOfRangeException(nameof(convention), convention, null),
    };

    /// <summary>A count in millions as a source would print it: <paramref name="decimals"/> digits, rounded its way.</summary>
    public static double Rounded(long count, PublishedRounding rounding, int decimals) =>
        (double)RoundedUnits(count, rounding, decimals) / Pow10(decimals);

    /// <summary>Whether our MACs, rounded as the figure rounds, print the published value (within ±20 % of a nominal class).</summary>
    /// <exception cref="ArgumentException">The figure publishes no MACs.</exception>
    public static bool MacsReproduce(PublishedFigure figure, CostReport report) => Reproduces(
        Macs(figure, report), figure.MacsMillions ?? throw new ArgumentException($"{figure.Key} publishes no MACs", nameof(figure)),
        figure.MacsRounding, figure.MacsDecimals);

    /// <summary>Whether our params, counted and rounded as the figure does, print the published value.</summary>
    /// <exception cref="ArgumentException">The figure publishes no params.</exception>
    public static bool ParamsReproduce(PublishedFigure figure, CostReport report) => Reproduces(
        Params(figure, report), figure.ParamsMillions ?? throw new ArgumentException($"{figure.Key} publishes no params", nameof(figure)),
        figure.ParamsRounding, figure.ParamsDecimals);

    /// <remarks>
    /// Sources round inconsistently, even within one table (P-MN3 Table 3 truncates Small 1.0's 56.51 M to 56 but rounds
    /// Large 0.75's 154.56 M to 155), so a figure reproduces when our exact count, cut to the printed digits either to the
    /// nearest or by truncation, prints the published value. Errata are figures that neither way reproduces.
    /// </remarks>
    private static bool Reproduces(long count, double publishedMillions, PublishedRounding rounding, int decimals)
    {
        if (rounding == PublishedRounding.Nominal)
            return Math.Abs(count / 1e6 - publishedMillions) <= NominalTolerance * publishedMillions;
        var published = (long)Math.Round(publishedMillions * Pow10(decimals));
        return RoundedUnits(count, PublishedRounding.Nearest, decimals) == published
            || RoundedUnits(count, PublishedRounding.Truncate, decimals) == published;
    }

    /// <summary>How far a model may be from its nominal complexity class (docs/ARCH-SPEC.md §2.5 asks for "a tolerance").</summary>
    public const double NominalTolerance = 0.20;

    /// <summary>The count in units of the last printed digit (10^(6 − decimals)), rounded in integers: no float error.</summary>
    private static long RoundedUnits(long count, PublishedRounding rounding, int decimals)
    {
        if (decimals is < 0 or > 6) throw new ArgumentOutOfRangeException(nameof(decimals), decimals, "0 to 6 decimals of a million");
        var unit = Pow10(6 - decimals);
        return rounding == PublishedRounding.Truncate ? count / unit : (count + unit / 2) / unit;
    }

    private static long Pow10(int n)
    {
        long p = 1;
        for (var i = 0; i < n; i++) p *= 10;
        return p;
    }

    /// <summary>No-BN count + β, moving mean and variance per BN channel, with the classifier widened to 1001 classes.</summary>
    private static long TfSlimV1Params(CostReport report)
    {
        var classifier = report.Classifier
            ?? throw new InvalidOperationException($"graph '{report.Graph.Name}' has no classifier to count with 1001 classes");
        var bias = classifier.Node.Inputs.Count > 2 ? 1 : 0;
        var extraClasses = 1001 - classifier.Output.C;
        var batchNormChannels = report.BatchNormParams / 2;
        return report.ParamsNoBatchNorm + 3 * batchNormChannels + (long)extraClasses * (classifier.Input.C + bias);
    }

    private static bool Describes(PublishedFigure figure, ModelFamily family, ModelOptions query)
    {
        var entry = ModelZoo.Find(figure.Model);
        if (entry.Family != family) return false;
        var f = ModelZoo.Effective(family, entry.Defaults.Merge(figure.Overrides));
        var sameRounding = family == ModelFamily.MobileNetV3
            ? f.Variant == query.Variant && MobileNetV3.MobileNetV3.SameNetwork(f.Variant!.Value, f.Width!.Value, f.Rounding!.Value, query.Rounding!.Value)
            : f.Rounding == query.Rounding;
        return sameRounding && f.Width == query.Width && f.Resolution == query.Resolution && f.Groups == query.Groups
            && f.Layout == query.Layout && f.Variant == query.Variant && f.Classes == query.Classes
            && f.HeadSqueezeExcite == query.HeadSqueezeExcite && f.InputChannels == query.InputChannels && f.SmallInput == query.SmallInput;
    }

    /// <summary>A source table's conventions, shared by its rows.</summary>
    private sealed record Table(
        string Source,
        PublishedRounding MacsRounding = PublishedRounding.Nearest,
        int MacsDecimals = 0,
        bool MacsWithoutClassifier = false,
        ParamsConvention Params = ParamsConvention.C1,
        PublishedRounding ParamsRounding = PublishedRounding.Nearest,
        int ParamsDecimals = 1,
        ModelOptions? Overrides = null,
        string? Note = null)
    {
        public PublishedFigure Row(string model, double? macs, double? @params = null, double? top1 = null, ModelOptions? overrides = null) => new()
        {
            Source = Source,
            Model = model,
            Overrides = (Overrides ?? new ModelOptions()).Merge(overrides),
            MacsMillions = macs,
            MacsDecimals = MacsDecimals,
            MacsRounding = MacsRounding,
            MacsWithoutClassifier = MacsWithoutClassifier,
            ParamsMillions = @params,
            ParamsDecimals = ParamsDecimals,
            ParamsRounding = ParamsRounding,
            ParamsConvention = Params,
            Top1 = top1,
            Note = Note,
        };
    }

    private static ModelOptions Px(int resolution) => new() { Resolution = resolution };
}
