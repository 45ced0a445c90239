using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Models;

/// <summary>
/// Settings every family shares: input resolution and channels, the small-input variant, number of classes, batch, weights,
/// BatchNorm ε.
/// </summary>
public abstract record ModelConfig
{
    /// <param name="batchNormEpsilon">The family's default BatchNorm ε: its reference implementation's.</param>
    protected ModelConfig(float batchNormEpsilon) => BatchNormEpsilon = batchNormEpsilon;

    /// <summary>Square input size (the resolution multiplier ρ is applied through it: 224ρ).</summary>
    public int Resolution { get; init; } = 224;

    /// <summary>Number of classes of the classifier (ImageNet: 1000).</summary>
    public int Classes { get; init; } = 1000;

    /// <summary>Batch size of the built graph's input.</summary>
    public int Batch { get; init; } = 1;

    /// <summary>Weight initialization (seeded, deterministic).</summary>
    public WeightInit Init { get; init; } = WeightInit.Default;

    /// <summary>BatchNorm ε (the family's reference value unless set).</summary>
    public float BatchNormEpsilon { get; init; }

    /// <summary>Channels of the input image, which the stem convolution takes: 3 (RGB, as in the papers) or 1 (grayscale).</summary>
    public int InputChannels { get; init; } = 3;

    /// <summary>
    /// Build the family's small-input variant (<see cref="SmallInputVariant"/>, its table's data): the same layers with the
    /// first two 2× down-samplings removed, for 28–32 px images (8× down-sampling instead of 32×).
    /// </summary>
    public bool SmallInput { get; init; }

    /// <summary>Which of the family's table rows the small-input variant changes.</summary>
    public abstract SmallInputVariant SmallInputRows { get; }

    /// <summary>How many times the network down-samples its input: the product of its table's strides (those of the
    /// small-input variant when <see cref="SmallInput"/>). The smallest resolution it accepts.</summary>
    public abstract int DownSampling { get; }

    /// <summary>The smallest resolution of every family's ImageNet layout, which down-samples by 32.</summary>
    public const int MinResolution = 32;

    /// <summary>The smallest resolution of every family's small-input variant, which down-samples by 8.</summary>
    public const int SmallInputMinResolution = 8;

    public const int MaxResolution = 4096;

    /// <summary>
    /// Most classes: more than any published label set (ImageNet-21k has 21,843), and small enough that the classifier's
    /// weight tensor (last channels × classes, up to 20,480 × 100,000) stays within what one tensor may index.
    /// </summary>
    public const int MaxClasses = 100_000;

    /// <summary>Largest batch: far beyond what a CPU run uses, and small enough that every count stays exact in 64 bits.</summary>
    public const int MaxBatch = 4096;

    /// <summary>Checks the shared settings; families add their own rules.</summary>
    public virtual void Validate()
    {
        if (InputChannels is not (1 or 3))
            throw new ModelConfigurationException($"the input must have 1 (grayscale) or 3 (RGB) channels, got {InputChannels}");
        // Below its down-sampling factor the last stages would see nothing but padding (Keras has the same floor at 32).
        var min = DownSampling;
        if (Resolution < min || Resolution > MaxResolution)
        {
            var small = SmallInput ? "" : $"; for smaller images use its small-input variant, --small-input, which down-samples by {(this with { SmallInput = true }).DownSampling}";
            throw new ModelConfigurationException(
                $"resolution must be between {min} and {MaxResolution} pixels (this network down-samples by {min}{small}), got {Resolution}");
        }
        if (Classes < 1 || Classes > MaxClasses)
            throw new ModelConfigurationException($"the number of classes must be at least 1 and at most {MaxClasses:N0}, got {Classes}");
        if (Batch < 1 || Batch > MaxBatch) throw new ModelConfigurationException($"batch must be between 1 and {MaxBatch}, got {Batch}");
    }

    protected static void RequirePositiveWidth(double width, string what = "width multiplier α")
    {
        if (!(width > 0) || double.IsInfinity(width) || width > 16)
            throw new ModelConfigurationException($"{what} must be > 0 (and at most 16), got {width}");
    }

    /// <summary>
    /// The frame of every family's builder: validates the settings, creates graph <paramref name="name"/> with
    /// <paramref name="family"/> as its first metadata, declares the input, lets <paramref name="layers"/> take it to the
    /// output, and turns a shape failure caused by a too-small resolution into a configuration error that says so.
    /// </summary>
    internal Graph Build(string family, string name, Func<GraphBuilder, Value, Value> layers)
    {
        Validate();
        try
        {
            var b = new GraphBuilder(name, Init);
            b.Meta("family", family);
            var output = layers(b, b.Input("input", Shape.Nchw(Batch, InputChannels, Resolution, Resolution)));
            if (SmallInput) b.Meta("small-input", $"{SmallInputRows.Change} (down-samples {DownSampling}×)");
            b.Output(output);
            return b.Build();
        }
        catch (GraphValidationException e) when (e.Message.Contains("smaller than its window"))
        {
            throw new ModelConfigurationException($"{family} cannot run at resolution {Resolution}: the feature map shrinks below a layer's window ({e.Message})");
        }
    }
}

/// <summary>Settings every MobileNet shares: the width multiplier α (each family's config says how it rounds).</summary>
public abstract record MobileNetConfig : ModelConfig
{
    protected MobileNetConfig(float batchNormEpsilon) : base(batchNormEpsilon)
    {
    }

    public double Width { get; init; } = 1.0;

    public override void Validate()
    {
        base.Validate();
        RequirePositiveWidth(Width);
    }
}
