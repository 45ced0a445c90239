namespace LightNets.Training.Data;

/// <summary>How the in-memory data sets (IDX, CIFAR-10) are read.</summary>
public sealed record DatasetReadOptions
{
    /// <summary>The default <see cref="MaxBytes"/>: 1 GiB, twenty times Fashion-MNIST's training set, six times CIFAR-10's.</summary>
    public const long DefaultMaxBytes = 1L << 30;

    /// <summary>
    /// The most bytes one data set file may hold once decompressed (IDX images, one CIFAR-10 batch) and the most pixel
    /// bytes a whole data set may hold in memory. Sizes declared by a file are checked against it before anything is
    /// allocated; compressed data is inflated no further than it.
    /// </summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>
    /// Class names in label order, replacing the data set's own (IDX: Fashion-MNIST's names when its label files are
    /// recognised, else "0" … "9"; CIFAR-10: batches.meta.txt beside the batches, else its published names). Labels must
    /// be below their count.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    internal void Validate()
    {
        if (MaxBytes < 1 || MaxBytes > Array.MaxLength)
            throw new DatasetException($"MaxBytes must be 1 to {Array.MaxLength:N0} (one array), got {MaxBytes:N0}");
        if (ClassNames is null) return;
        if (ClassNames.Count == 0) throw new DatasetException("the class name list is empty: give one name per class");
        for (var i = 0; i < ClassNames.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(ClassNames[i])) throw new DatasetException($"class name {i} is empty: give one name per class");
        }
    }
}
