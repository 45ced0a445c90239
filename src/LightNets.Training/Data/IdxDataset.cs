namespace LightNets.Training.Data;

/// <summary>
/// An image data set in the IDX format of MNIST and Fashion-MNIST: an images file (magic 0x00000803: count × rows ×
/// columns unsigned bytes, grayscale) and a labels file (0x00000801: one byte per image), each plain or gzip-compressed.
/// Read whole into memory, after every declared size has been checked against the limits and the file. Items are
/// 1 × rows × columns.
/// </summary>
public sealed class IdxDataset : IImageDataset
{
    /// <summary>The largest image side accepted (rows, columns): larger is taken for a damaged header.</summary>
    public const int MaxSide = 16384;

    private readonly byte[] _pixels;
    private readonly byte[] _labels;
    private readonly string[] _classNames;

    private IdxDataset(string imagesPath, string labelsPath, int height, int width, byte[] pixels, byte[] labels, string[] classNames, bool fashionMnist)
    {
        ImagesPath = imagesPath;
        LabelsPath = labelsPath;
        ItemHeight = height;
        ItemWidth = width;
        _pixels = pixels;
        _labels = labels;
        _classNames = classNames;
        IsFashionMnist = fashionMnist;
    }

    public string ImagesPath { get; }

    public string LabelsPath { get; }

    public int ItemHeight { get; }

    public int ItemWidth { get; }

    /// <summary>Whether the labels are Fashion-MNIST's published training or test labels (recognised by their MD5).</summary>
    public bool IsFashionMnist { get; }

    public int Count => _labels.Length;

    public IReadOnlyList<string> ClassNames => _classNames;

    public int Channels => 1;

    public ImageShape? ItemShape => new ImageShape(1, ItemHeight, ItemWidth);

    public int Label(int index) => _labels[index];

    public string Describe(int index) => $"{ImagesPath} image {index}";

    /// <summary>The pixels of item <paramref name="index"/>, row by row.</summary>
    public ReadOnlySpan<byte> Pixels(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var size = ItemHeight * ItemWidth;
        return _pixels.AsSpan(index * size, size);
    }

    public bool TryRead(int index, ImageItem item, out string? error)
    {
        ArgumentNullException.ThrowIfNull(item);
        Pixels(index).CopyTo(item.Allocate(1, ItemHeight, ItemWidth));
        error = null;
        return true;
    }

    /// <summary>
    /// The pair of files named <paramref name="prefix"/>-images-idx3-ubyte and <paramref name="prefix"/>-labels-idx1-ubyte
    /// in <paramref name="directory"/>, each plain or with .gz (MNIST's and Fashion-MNIST's names: prefix "train" or
    /// "t10k").
    /// </summary>
    public static IdxDataset LoadDirectory(string directory, string prefix, DatasetReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (!Directory.Exists(directory))
            throw new DatasetException(File.Exists(directory) ? $"{directory} is a file, not a directory of IDX files" : $"no such directory: {directory}");
        return Load(Find(directory, $"{prefix}-images-idx3-ubyte"), Find(directory, $"{prefix}-labels-idx1-ubyte"), options);
    }

    private static string Find(string directory, string name)
    {
        foreach (var candidate in (ReadOnlySpan<string>)[name, name + ".gz"])
        {
            var path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        throw new DatasetException($"{directory} holds no {name} or {name}.gz: give the directory of an IDX data set (MNIST, Fashion-MNIST)");
    }

    /// <summary>Reads an IDX images file and its labels file (each plain or gzip-compressed).</summary>
    /// <exception cref="DatasetException">A file is missing, unreadable or malformed (wrong magic, truncated, over-long,
    /// absurd sizes, counts that differ, a label not below the number of classes).</exception>
    public static IdxDataset Load(string imagesPath, string labelsPath, DatasetReadOptions? options = null)
    {
        options ??= new DatasetReadOptions();
        options.Validate();
        using var labelsFile = DataFile.Open(labelsPath, "an IDX labels file (magic 0x00000801)");
        using var imagesFile = DataFile.Open(imagesPath, "an IDX images file (magic 0x00000803)");
        var labelCount = IdxFormat.ReadHeader(labelsFile, 1)[0];
        var dims = IdxFormat.ReadHeader(imagesFile, 3);
        var (count, rows, cols) = (dims[0], dims[1], dims[2]);

        if (count == 0) throw new DatasetFormatException(imagesPath, "the IDX header declares 0 images");
        if (rows is < 1 or > MaxSide || cols is < 1 or > MaxSide)
            throw new DatasetFormatException(imagesPath, $"the IDX header declares images of {rows:N0}×{cols:N0} pixels; each side must be 1 to {MaxSide:N0}");
        var bytes = (long)count * rows * cols;
        var declared = $"{count:N0} images of {rows}×{cols}";
        if (bytes > options.MaxBytes)
            throw new DatasetFormatException(imagesPath,
                $"the IDX header declares {declared}, {bytes:N0} bytes, more than the limit of {options.MaxBytes:N0} (raise DatasetReadOptions.MaxBytes if the data set really is this large)");
        if (labelCount != count)
            throw new DatasetFormatException(labelsPath, $"{labelCount:N0} labels for {count:N0} images in {imagesPath}: the two files do not belong together");

        var labels = labelsFile.ReadBlock(count, $"{count:N0} labels");
        labelsFile.ExpectEnd($"{count:N0} labels");
        var fashionMnist = FashionMnist.IsLabelsFile(labels, count);
        var classNames = options.ClassNames?.ToArray() ?? (fashionMnist ? [.. FashionMnist.ClassNames] : Digits);
        CheckLabels(labels, classNames.Length, labelsPath);

        var pixels = imagesFile.ReadBlock(bytes, declared);
        imagesFile.ExpectEnd(declared);
        return new IdxDataset(imagesPath, labelsPath, rows, cols, pixels, labels, classNames, fashionMnist);
    }

    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    internal static void CheckLabels(ReadOnlySpan<byte> labels, int classes, string path)
    {
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classes)
                throw new DatasetFormatException(path,
                    $"the label of item {i:N0} is {labels[i]}, out of range for {classes} classes (0–{classes - 1}); give the class names (one per class) if the data set has more");
        }
    }
}
