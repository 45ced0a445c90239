using LightNets.Imaging;

namespace LightNets.Training.Data;

/// <summary>
/// CIFAR-10 in its binary format: batches of 3,073-byte records, each a label byte then a 32×32 image as its R, G and B
/// planes (data_batch_1.bin … data_batch_5.bin for training, test_batch.bin for testing; batches.meta.txt names the
/// classes). Each batch may be gzip-compressed. Held in memory as read; items are 3 × 32 × 32.
/// </summary>
public sealed class Cifar10Dataset : IImageDataset
{
    public const int Side = 32;
    public const int ImageBytes = 3 * Side * Side;
    public const int RecordBytes = 1 + ImageBytes;

    /// <summary>The published class names in label order (batches.meta.txt).</summary>
    public static IReadOnlyList<string> PublishedClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    private readonly byte[][] _batches;
    private readonly int[] _firstItem;
    private readonly string[] _paths;
    private readonly byte[] _labels;
    private readonly string[] _classNames;

    private Cifar10Dataset(string[] paths, byte[][] batches, byte[] labels, string[] classNames)
    {
        _paths = paths;
        _batches = batches;
        _labels = labels;
        _classNames = classNames;
        _firstItem = new int[batches.Length + 1];
        for (var b = 0; b < batches.Length; b++) _firstItem[b + 1] = _firstItem[b] + batches[b].Length / RecordBytes;
    }

    /// <summary>The batch files, in the order their items are numbered.</summary>
    public IReadOnlyList<string> Files => _paths;

    public int Count => _labels.Length;

    public IReadOnlyList<string> ClassNames => _classNames;

    public int Channels => 3;

    public ImageShape? ItemShape => new ImageShape(3, Side, Side);

    public int Label(int index) => _labels[index];

    public string Describe(int index)
    {
        var (batch, record) = Locate(index);
        return $"{_paths[batch]} record {record}";
    }

    public bool TryRead(int index, ImageItem item, out string? error)
    {
        ArgumentNullException.ThrowIfNull(item);
        var (batch, record) = Locate(index);
        _batches[batch].AsSpan(record * RecordBytes + 1, ImageBytes).CopyTo(item.Allocate(3, Side, Side));
        error = null;
        return true;
    }

    private (int Batch, int Record) Locate(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var batch = 0;
        while (index >= _firstItem[batch + 1]) batch++;
        return (batch, index - _firstItem[batch]);
    }

    /// <summary>
    /// The training set (data_batch_1.bin … data_batch_5.bin, 50,000 images) or the test set (test_batch.bin, 10,000)
    /// from <paramref name="directory"/> or its cifar-10-batches-bin sub-folder (where the archive unpacks), each file
    /// plain or with .gz. Class names come from batches.meta.txt when it is there.
    /// </summary>
    public static Cifar10Dataset LoadDirectory(string directory, bool train, DatasetReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DatasetException(File.Exists(directory) ? $"{directory} is a file, not a directory of CIFAR-10 batches" : $"no such directory: {directory}");
        var nested = Path.Combine(directory, "cifar-10-batches-bin");
        if (Find(directory, "test_batch.bin") is null && Find(directory, "data_batch_1.bin") is null && Directory.Exists(nested)) directory = nested;
        string[] names = train ? ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"] : ["test_batch.bin"];
        var paths = names.Select(n => Find(directory, n)).ToArray();
        var missing = names.Where((_, i) => paths[i] is null).ToArray();
        if (missing.Length > 0)
            throw new DatasetException($"{directory} lacks {string.Join(", ", missing)} (or .gz): give the folder of CIFAR-10's binary version (cifar-10-batches-bin)");
        return Load(paths!, options);
    }

    private static string? Find(string directory, string name)
    {
        var path = Path.Combine(directory, name);
        return File.Exists(path) ? path : File.Exists(path + ".gz") ? path + ".gz" : null;
    }

    /// <summary>
    /// Reads the given batch files in order. Class names: <see cref="DatasetReadOptions.ClassNames"/>, else
    /// batches.meta.txt beside the first file (exactly 10 names), else <see cref="PublishedClassNames"/>.
    /// </summary>
    /// <exception cref="DatasetException">A file is missing, unreadable or malformed (not a whole number of records,
    /// empty, over the size limit, a label not below the number of classes).</exception>
    public static Cifar10Dataset Load(IReadOnlyList<string> batchFiles, DatasetReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(batchFiles);
        options ??= new DatasetReadOptions();
        options.Validate();
        if (batchFiles.Count == 0) throw new DatasetException("no CIFAR-10 batch files given");
        var classNames = options.ClassNames?.ToArray() ?? MetaNames(batchFiles[0]) ?? [.. PublishedClassNames];

        var batches = new byte[batchFiles.Count][];
        long total = 0;
        for (var b = 0; b < batches.Length; b++)
        {
            using var file = DataFile.Open(batchFiles[b], "a CIFAR-10 binary batch");
            var bytes = file.ReadToEnd(options.MaxBytes - total, "the data set");
            if (bytes.Length == 0) throw new DatasetFormatException(file.Path, "the batch holds no records");
            if (bytes.Length % RecordBytes != 0)
                throw new DatasetFormatException(file.Path,
                    $"{bytes.Length:N0} bytes is not a whole number of {RecordBytes:N0}-byte records (a label byte and 32×32×3 pixels): the file is truncated or not a CIFAR-10 binary batch (CIFAR-100's records have two label bytes)");
            total += bytes.Length;
            if (total / RecordBytes > Array.MaxLength) throw new DatasetException("the batches hold more images than one data set may");
            batches[b] = bytes;
        }

        var labels = new byte[total / RecordBytes];
        var at = 0;
        for (var b = 0; b < batches.Length; b++)
        {
            var records = batches[b].Length / RecordBytes;
            for (var r = 0; r < records; r++) labels[at + r] = batches[b][r * RecordBytes];
            IdxDataset.CheckLabels(labels.AsSpan(at, records), classNames.Length, batchFiles[b]);
            at += records;
        }
        return new Cifar10Dataset([.. batchFiles], batches, labels, classNames);
    }

    /// <summary>The names in batches.meta.txt beside <paramref name="batchFile"/>, or null when there is none.</summary>
    private static string[]? MetaNames(string batchFile)
    {
        var meta = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(batchFile)) ?? ".", "batches.meta.txt");
        if (!File.Exists(meta)) return null;
        var names = Labels.Load(meta).Names;
        if (names.Count != 10)
            throw new DatasetFormatException(meta, $"it names {names.Count} classes, CIFAR-10 has 10; fix the file or give the class names explicitly");
        return [.. names];
    }
}
