namespace LightNets.Training.Data.Transforms;

/// <summary>
/// One step of an <see cref="ImagePipeline"/>: torchvision's transform of the same name, on float images in planar CHW
/// order (the pipeline starts from the item's 8-bit pixels divided by 255, as <c>ToTensor</c> does). A transform holds
/// only its settings and is immutable: one instance serves every loader worker. Random transforms draw from the item's
/// own random stream, so what they do depends only on (seed, epoch, item).
/// </summary>
public abstract class ImageTransform
{
    // The set of transforms is closed: each one's Apply is part of the loader's contract (no allocation, determinism).
    private protected ImageTransform()
    {
    }

    /// <summary>
    /// The shape this step gives an image of shape <paramref name="input"/> (whose height and width are 0 when they
    /// vary from item to item).
    /// </summary>
    /// <exception cref="DatasetException">The step cannot take such an image (a channel count it cannot use, a crop
    /// larger than the padded image).</exception>
    public abstract ImageShape OutputShape(ImageShape input);

    /// <summary>Whether <see cref="Apply"/> may write its output over its input (source and target the same image).</summary>
    internal virtual bool InPlace => false;

    /// <summary>Transforms <paramref name="source"/> into <paramref name="target"/> (sized here), drawing from <paramref name="random"/>.</summary>
    internal abstract void Apply(FloatImage source, FloatImage target, ref DataRandom random, TransformScratch scratch);

    private protected static int Positive(int value, string name) =>
        value >= 1 && value <= MaxSide ? value : throw new DatasetException($"{name} must be 1 to {MaxSide:N0} pixels, got {value}");

    /// <summary>The largest image side a transform makes: torchvision's and the classifier's limit.</summary>
    public const int MaxSide = 16384;
}

/// <summary>A float image, planar CHW, in a buffer that grows only when a larger image comes (one per worker and role).</summary>
internal sealed class FloatImage
{
    public float[] Data = [];
    public int Channels, Height, Width;

    public ImageShape Shape => new(Channels, Height, Width);

    public int Length => Channels * Height * Width;

    public Span<float> Pixels => Data.AsSpan(0, Length);

    public Span<float> Plane(int c) => Data.AsSpan(c * Height * Width, Height * Width);

    public void Reset(int channels, int height, int width)
    {
        var length = checked(channels * height * width);
        if (Data.Length < length) Data = new float[length];
        (Channels, Height, Width) = (channels, height, width);
    }
}

/// <summary>Buffers a worker's transforms share: resampling weights and intermediate images, reused from item to item.</summary>
internal sealed class TransformScratch
{
    public readonly Resampler.Axis Rows = new(), Columns = new();
    public readonly FloatImage Between = new(), Extra = new();
}
