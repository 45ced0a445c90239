namespace LightNets.Training.Data;

/// <summary>
/// A labelled image data set: items 0 … <see cref="Count"/> − 1, each an 8-bit image with a class label. In-memory sets
/// (IDX, CIFAR-10) hold every item at one size; an image folder decodes each item from its file when it is read, at the
/// file's own size. Every member is thread-safe: the loader reads items from several worker threads at once.
/// </summary>
public interface IImageDataset
{
    /// <summary>The number of items.</summary>
    int Count { get; }

    /// <summary>The class names in label order: labels run from 0 to <c>ClassNames.Count</c> − 1.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Channels of every item: 1 (grayscale) or 3 (RGB).</summary>
    int Channels { get; }

    /// <summary>The size every item has (Height and Width), or null when items differ in size (an image folder).</summary>
    ImageShape? ItemShape { get; }

    /// <summary>The label of item <paramref name="index"/>, known without reading the image.</summary>
    int Label(int index);

    /// <summary>A name for item <paramref name="index"/> in messages: its file, or the data set's file and the item's number.</summary>
    string Describe(int index);

    /// <summary>
    /// Reads item <paramref name="index"/> into <paramref name="item"/> (whose buffers are reused). False, with the reason
    /// in <paramref name="error"/>, when the item cannot be read (a damaged or vanished image file); in-memory sets always
    /// succeed.
    /// </summary>
    bool TryRead(int index, ImageItem item, out string? error);
}

/// <summary>The shape of one image: channels, height and width (CHW). Height and width 0 mean "any size".</summary>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Values in one image: Channels × Height × Width.</summary>
    public int Length => Channels * Height * Width;

    /// <summary>Whether the height and width are known (not "any size").</summary>
    public bool IsFixed => Height > 0 && Width > 0;

    public override string ToString() => IsFixed ? $"{Channels}×{Height}×{Width}" : $"{Channels}×any size";
}
