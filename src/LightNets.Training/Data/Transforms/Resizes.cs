namespace LightNets.Training.Data.Transforms;

/// <summary>torchvision's <c>Resize((height, width))</c>: to exactly <see cref="Height"/> × <see cref="Width"/>, antialiased bilinear.</summary>
public sealed class Resize : ImageTransform
{
    public Resize(int size) : this(size, size)
    {
    }

    public Resize(int height, int width)
    {
        Height = Positive(height, "the resize height");
        Width = Positive(width, "the resize width");
    }

    public int Height { get; }

    public int Width { get; }

    public override ImageShape OutputShape(ImageShape input) => input with { Height = Height, Width = Width };

    internal override void Apply(FloatImage source, FloatImage target, ref DataRandom random, TransformScratch scratch) =>
        Resampler.Resize(source, 0, 0, source.Width, source.Height, target, Height, Width, scratch);

    public override string ToString() => $"Resize({Height}×{Width})";
}

/// <summary>
/// torchvision's <c>Resize(size)</c> with one number: the shorter side to <see cref="Size"/>, the longer to
/// <c>int(size · long / short)</c>, keeping the aspect ratio; antialiased bilinear.
/// </summary>
public sealed class ResizeShorter : ImageTransform
{
    public ResizeShorter(int size) => Size = Positive(size, "the shorter side");

    public int Size { get; }

    public override ImageShape OutputShape(ImageShape input)
    {
        if (!input.IsFixed) return input;
        var (h, w) = Resized(input.Height, input.Width);
        return input with { Height = h, Width = w };
    }

    internal (int Height, int Width) Resized(int height, int width)
    {
        // Python's int(size * long / short): a true division, then truncation; capped like every other side.
        var longer = (int)Math.Min(MaxSide, (double)Size * Math.Max(height, width) / Math.Min(height, width));
        return height <= width ? (Size, longer) : (longer, Size);
    }

    internal override void Apply(FloatImage source, FloatImage target, ref DataRandom random, TransformScratch scratch)
    {
        var (h, w) = Resized(source.Height, source.Width);
        Resampler.Resize(source, 0, 0, source.Width, source.Height, target, h, w, scratch);
    }

    public override string ToString() => $"ResizeShorter({Size})";
}

/// <summary>
/// torchvision's <c>RandomResizedCrop</c>: a box of random area (a fraction in [<see cref="MinScale"/>,
/// <see cref="MaxScale"/>) of the image) and random aspect ratio (log-uniform in [<see cref="MinRatio"/>,
/// <see cref="MaxRatio"/>)), placed uniformly, resized to <see cref="Height"/> × <see cref="Width"/>. Ten tries to
/// fit such a box in the image; then the whole image, center-cropped to the nearest allowed ratio.
/// </summary>
public sealed class RandomResizedCrop : ImageTransform
{
    private const int Attempts = 10;

    public RandomResizedCrop(int size, double minScale = 0.08, double maxScale = 1.0, double minRatio = 3.0 / 4, double maxRatio = 4.0 / 3)
        : this(size, size, minScale, maxScale, minRatio, maxRatio)
    {
    }

    public RandomResizedCrop(int height, int width, double minScale = 0.08, double maxScale = 1.0, double minRatio = 3.0 / 4, double maxRatio = 4.0 / 3)
    {
        Height = Positive(height, "the crop height");
        Width = Positive(width, "the crop width");
        if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1))
            throw new DatasetException($"the scale range must satisfy 0 < min ≤ max ≤ 1, got ({minScale}, {maxScale})");
        if (!(minRatio > 0 && minRatio <= maxRatio && double.IsFinite(maxRatio)))
            throw new DatasetException($"the aspect ratio range must satisfy 0 < min ≤ max, got ({minRatio}, {maxRatio})");
        (MinScale, MaxScale, MinRatio, MaxRatio) = (minScale, maxScale, minRatio, maxRatio);
    }

    public int Height { get; }

    public int Width { get; }

    public double MinScale { get; }

    public double MaxScale { get; }

    public double MinRatio { get; }

    public double MaxRatio { get; }

    public override ImageShape OutputShape(ImageShape input) => input with { Height = Height, Width = Width };

    /// <summary>The box (top, left, height, width) torchvision's <c>get_params</c> picks for an image of this size.</summary>
    internal (int Top, int Left, int Height, int Width) Box(int height, int width, ref DataRandom random)
    {
        var area = (double)height * width;
        var (logMin, logMax) = (Math.Log(MinRatio), Math.Log(MaxRatio));
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var target = area * random.Uniform(MinScale, MaxScale);
            var ratio = Math.Exp(random.Uniform(logMin, logMax));
            var w = (int)Math.Round(Math.Sqrt(target * ratio), MidpointRounding.ToEven);
            var h = (int)Math.Round(Math.Sqrt(target / ratio), MidpointRounding.ToEven);
            if (w > 0 && w <= width && h > 0 && h <= height)
                return (random.NextInt(height - h + 1), random.NextInt(width - w + 1), h, w);
        }
        // Fallback: the whole image, center-cropped to the nearest allowed ratio.
        var inRatio = (double)width / height;
        var (bh, bw) = inRatio < MinRatio ? ((int)Math.Round(width / MinRatio, MidpointRounding.ToEven), width)
            : inRatio > MaxRatio ? (height, (int)Math.Round(height * MaxRatio, MidpointRounding.ToEven))
            : (height, width);
        bh = Math.Clamp(bh, 1, height);
        bw = Math.Clamp(bw, 1, width);
        return ((height - bh) / 2, (width - bw) / 2, bh, bw);
    }

    internal override void Apply(FloatImage source, FloatImage target, ref DataRandom random, TransformScratch scratch)
    {
        var (top, left, h, w) = Box(source.Height, source.Width, ref random);
        Resampler.Resize(source, left, top, w, h, target, Height, Width, scratch);
    }

    public override string ToString() => $"RandomResizedCrop({Height}×{Width}, scale {MinScale}–{MaxScale}, ratio {MinRatio:0.###}–{MaxRatio:0.###})";
}
