namespace LightNets.Training.Data;

/// <summary>
/// A batch from a <see cref="DataLoader"/>: <see cref="Count"/> images as float NCHW, their labels and their item
/// numbers in the data set. The loader reuses its batches: one is valid until the next is asked for.
/// </summary>
public sealed class Batch
{
    internal Batch(int capacity, ImageShape shape)
    {
        Shape = shape;
        Images = new float[(long)capacity * shape.Length];
        Labels = new int[capacity];
        Indices = new int[capacity];
    }

    /// <summary>The shape of each image (C, H, W).</summary>
    public ImageShape Shape { get; }

    /// <summary>The epoch this batch belongs to.</summary>
    public int Epoch { get; internal set; }

    /// <summary>The batch's number within its epoch, from 0.</summary>
    public int Number { get; internal set; }

    /// <summary>Images in the batch: the batch size, or fewer in an epoch's last batch.</summary>
    public int Count { get; internal set; }

    /// <summary>The images, NCHW; the first <see cref="Count"/> × <c>Shape.Length</c> values are this batch's.</summary>
    public float[] Images { get; }

    /// <summary>The labels; the first <see cref="Count"/> are this batch's.</summary>
    public int[] Labels { get; }

    /// <summary>Each image's item number in the data set; the first <see cref="Count"/> are this batch's.</summary>
    public int[] Indices { get; }

    /// <summary>This batch's images: <see cref="Count"/> × C × H × W values.</summary>
    public ReadOnlySpan<float> ImageValues => Images.AsSpan(0, Count * Shape.Length);

    /// <summary>This batch's labels.</summary>
    public ReadOnlySpan<int> LabelValues => Labels.AsSpan(0, Count);

    /// <summary>This batch's item numbers.</summary>
    public ReadOnlySpan<int> IndexValues => Indices.AsSpan(0, Count);
}
