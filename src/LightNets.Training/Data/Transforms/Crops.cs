namespace LightNets.Training.Data.Transforms;

/// <summary>
/// torchvision's <c>CenterCrop</c>: the middle <see cref="Height"/> × <see cref="Width"/> of the image (offsets rounded
/// like Python's <c>round</c>); an image smaller than the crop is padded around with <see cref="Fill"/> first, as
/// torchvision pads it with 0 (so CenterCrop(32) turns a 28×28 image into 32×32 with 2 pixels of fill on every side).
/// </summary>
public sealed class CenterCrop : ImageTransform
{
    public CenterCrop(int size, float fill = 0) : this(size, size, fill)
    {
    }

    public CenterCrop(int height, int width, float fill = 0)
    {
        Height = Positive(height, "the crop height");
        Width = Positive(width, "the crop width");
        Fill = float.IsFinite(fill) ? fill : throw new DatasetException($"the fill value must be finite, got {fill}");
    }

    public int Height { get; }

    public int Width { get; }

    /// <summary>The value of padding pixels, in the units of the pipeline at this step (0–1 before Normalize).</summary>
    public float Fill { get; }

    public override ImageShape OutputShape(ImageShape input) => input with { Height = Height, Width = Width };

    internal override void Apply(FloatImage source, FloatImage target, ref DataRandom random, TransformScratch scratch) =>
        Window.Copy(source, Offset(source.Height, Height), Offset(source.Width, Width), target, Height, Width, Fill);

    /// <summary>Where the crop starts: the rounded middle, or minus the padding before when the crop is larger.</summary>
    internal static int Offset(int size, int crop) =>
        crop > size ? -((crop - size) / 2) : (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven);

    public override string ToString() => $"CenterCrop({Height}×{Width})";
}

/// <summary>
/// torchvision's <c>RandomCrop(size, padding)</c>: pads every side by <see cref="Padding"/> pixels of <see cref="Fill"/>,
/// then takes a <see cref="Height"/> × <see cref="Width"/> window at a uniformly random position (the CIFAR and
/// Fashion-MNIST recipe: 28×28 padded by 4 to 36×36, a random 32×32 of it). The padded image is never made: the window
/// reads the image and fills what falls outside it.
/// </summary>
public sealed class RandomCrop : ImageTransform
{
    public RandomCrop(int size, int padding = 0, float fill = 0) : this(size, size, padding, fill)
    {
    }

    public RandomCrop(int height, int width, int padding, float fill = 0)
    {
        Height = Positive(height, "the crop height");
        Width = Positive(width, "the crop width");
        Padding = padding is >= 0 and <= MaxSide ? padding : throw new DatasetException($"the padding must be 0 to {MaxSide:N0} pixels, got {padding}");
        Fill = float.IsFinite(fill) ? fill : throw new DatasetException($"the fill value must be finite, got {fill}");
    }

    public int Height { get; }

    public int Width { get; }

    public int Padding { get; }

    /// <summary>The value of padding pixels, in the units of the pipeline at this step (0–1 before Normalize).</summary>
    public float Fill { get; }

    public override ImageShape OutputShape(ImageShape input)
    {
        if (input.IsFixed) Check(input.Height, input.Width);
        return input with { Height = Height, Width = Width };
    }

    private void Check(int height, int width)
    {
        if (height + 2 * Padding < Height || width + 2 * Padding < Width)
            throw new DatasetException(
                $"RandomCrop({Height}×{Width}, padding {Padding}) needs images of at least {Height - 2 * Padding}×{Width - 2 * Padding}, got {height}×{width}: resize them first or pad more");
    }

    internal override void Apply(FloatImage source, FloatImage target, ref DataRandom random, TransformScratch scratch)
    {
        Check(source.Height, source.Width);
        var top = random.NextInt(source.Height + 2 * Padding - Height + 1) - Padding;
        var left = random.NextInt(source.Width + 2 * Padding - Width + 1) - Padding;
        Window.Copy(source, top, left, target, Height, Width, Fill);
    }

    public override string ToString() => $"RandomCrop({Height}×{Width}, padding {Padding})";
}

/// <summary>torchvision's <c>Pad(padding, fill)</c>: <see cref="Padding"/> pixels of <see cref="Fill"/> added on every side.</summary>
public sealed class Pad : ImageTransform
{
    public Pad(int padding, float fill = 0)
    {
        Padding = padding is >= 1 and <= MaxSide ? padding : throw new DatasetException($"the padding must be 1 to {MaxSide:N0} pixels, got {padding}");
        Fill = float.IsFinite(fill) ? fill : throw new DatasetException($"the fill value must be finite, got {fill}");
    }

    public int Padding { get; }

    public float Fill { get; }

    public override ImageShape OutputShape(ImageShape input) =>
        input.IsFixed ? input with { Height = input.Height + 2 * Padding, Width = input.Width + 2 * Padding } : input;

    internal override void Apply(FloatImage source, FloatImage target, ref DataRandom random, TransformScratch scratch) =>
        Window.Copy(source, -Padding, -Padding, target, source.Height + 2 * Padding, source.Width + 2 * Padding, Fill);

    public override string ToString() => $"Pad({Padding})";
}

/// <summary>The copy every crop and pad is: a window of the image whose origin may lie outside it, the outside filled.</summary>
internal static class Window
{
    /// <summary>target[c, y, x] = source[c, top + y, left + x], or <paramref name="fill"/> where that is outside the source.</summary>
    public static void Copy(FloatImage source, int top, int left, FloatImage target, int height, int width, float fill)
    {
        target.Reset(source.Channels, height, width);
        // The columns of the window that lie inside the source: [x0, x1).
        var x0 = Math.Clamp(-left, 0, width);
        var x1 = Math.Clamp(source.Width - left, x0, width);
        for (var c = 0; c < source.Channels; c++)
        {
            var src = source.Plane(c);
            var dst = target.Plane(c);
            for (var y = 0; y < height; y++)
            {
                var row = dst.Slice(y * width, width);
                var sy = top + y;
                if (sy < 0 || sy >= source.Height)
                {
                    row.Fill(fill);
                    continue;
                }
                row[..x0].Fill(fill);
                if (x1 > x0) src.Slice(sy * source.Width + left + x0, x1 - x0).CopyTo(row[x0..x1]);
                row[x1..].Fill(fill);
            }
        }
    }
}
