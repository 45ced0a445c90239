namespace LightNets.Training.Data.Transforms;

/// <summary>
/// torchvision's <c>RandomErasing(p, scale, ratio, value)</c> (Zhong et al., "Random Erasing Data Augmentation", 2017):
/// with probability <see cref="Probability"/>, a rectangle covering a random <see cref="MinArea"/>–<see cref="MaxArea"/>
/// share of the image, of aspect ratio (height / width) log-uniform in [<see cref="MinRatio"/>, <see cref="MaxRatio"/>],
/// at a random position, is set to <see cref="Value"/> in every channel. After Normalize the default 0 is the data
/// set's mean. As in torchvision, up to 10 rectangles are drawn until one fits inside the image; if none does, the
/// image is left as it is.
/// </summary>
public sealed class RandomErasing : ImageTransform
{
    private const int Attempts = 10;

    public RandomErasing(double probability = 0.5, double minArea = 0.02, double maxArea = 1.0 / 3, double minRatio = 0.3, double maxRatio = 1 / 0.3, float value = 0)
    {
        Probability = probability is >= 0 and <= 1 ? probability : throw new DatasetException($"the erasing probability must be 0 to 1, got {probability}");
        if (!(minArea > 0 && minArea <= maxArea && maxArea <= 1))
            throw new DatasetException($"the erased area must be a share 0 < min ≤ max ≤ 1 of the image, got {minArea} to {maxArea}");
        if (!(minRatio > 0 && minRatio <= maxRatio && double.IsFinite(maxRatio)))
            throw new DatasetException($"the erased aspect ratios must satisfy 0 < min ≤ max (finite), got {minRatio} to {maxRatio}");
        (MinArea, MaxArea, MinRatio, MaxRatio) = (minArea, maxArea, minRatio, maxRatio);
        Value = float.IsFinite(value) ? value : throw new DatasetException($"the erasing value must be finite, got {value}");
    }

    public double Probability { get; }

    public double MinArea { get; }

    public double MaxArea { get; }

    public double MinRatio { get; }

    public double MaxRatio { get; }

    /// <summary>What erased pixels become, in the units of the pipeline at this step (0 after Normalize: the mean).</summary>
    public float Value { get; }

    public override ImageShape OutputShape(ImageShape input) => input;

    internal override bool InPlace => true;

    internal override void Apply(FloatImage source, FloatImage target, ref DataRandom random, TransformScratch scratch)
    {
        target.Reset(source.Channels, source.Height, source.Width);
        if (!ReferenceEquals(source, target)) source.Pixels.CopyTo(target.Pixels);
        if (random.NextDouble() >= Probability) return;
        var (h, w) = (source.Height, source.Width);
        var area = (double)h * w;
        var (logMin, logMax) = (Math.Log(MinRatio), Math.Log(MaxRatio));
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var erase = area * random.Uniform(MinArea, MaxArea);
            var ratio = Math.Exp(random.Uniform(logMin, logMax));
            var eh = (int)Math.Round(Math.Sqrt(erase * ratio), MidpointRounding.ToEven);
            var ew = (int)Math.Round(Math.Sqrt(erase / ratio), MidpointRounding.ToEven);
            if (eh < 1 || ew < 1 || eh >= h || ew >= w) continue;
            var top = random.NextInt(h - eh + 1);
            var left = random.NextInt(w - ew + 1);
            for (var c = 0; c < target.Channels; c++)
            {
                var plane = target.Plane(c);
                for (var y = top; y < top + eh; y++) plane.Slice(y * w + left, ew).Fill(Value);
            }
            return;
        }
    }

    public override string ToString() => $"RandomErasing(p {Probability}, area {MinArea:G3}–{MaxArea:G3}, ratio {MinRatio:G3}–{MaxRatio:G3}, value {Value})";
}
