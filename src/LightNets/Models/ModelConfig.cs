using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Models;

/// <summary>Settings every family shares: input resolution, number of classes, batch, weights, BatchNorm ε.</summary>
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

    public const int MinResolution = 32;
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
        // Every family down-samples by 32; below that the last stages would see nothing but padding (Keras has the same floor).
        if (Resolution < MinResolution || Resolution > MaxResolution)
            throw new ModelConfigurationException(
                $"resolution must be between {MinResolution} and {MaxResolution} pixels (the networks down-sample by 32), got {Resolution}");
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
            b.Output(layers(b, b.Input("input", Shape.Nchw(Batch, 3, Resolution, Resolution))));
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
