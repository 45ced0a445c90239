using System.Reflection;
using System.Text;
using LightNets.IO;

namespace LightNets.Imaging;

/// <summary>
/// Class names, one per output of a classifier, in output order. <see cref="ImageNet"/> holds the 1000 ImageNet-1k
/// names that torchvision's pretrained weights use (shipped in the assembly, from Data/imagenet_classes.txt);
/// <see cref="Load"/> reads a custom model's names from a text file with one name per line.
/// </summary>
public sealed class Labels
{
    /// <summary>
    /// The most names a labels file may hold: 65,536, three times the classes of ImageNet-21k (about 21,800), the
    /// largest label list of a common classifier.
    /// </summary>
    public const int MaxClasses = 65_536;

    /// <summary>The room given to each name when bounding a file's size (the longest ImageNet-1k name has 30 bytes).</summary>
    public const int MaxLabelBytes = 128;

    /// <summary>
    /// The largest labels file read: <see cref="MaxClasses"/> × <see cref="MaxLabelBytes"/> = 8 MiB. A larger file is
    /// refused before it is read.
    /// </summary>
    public const long MaxFileBytes = (long)MaxClasses * MaxLabelBytes;

    private static readonly Lazy<Labels> LazyImageNet = new(LoadImageNet);
    private readonly string[] _names;

    /// <param name="names">One name per class; none empty.</param>
    public Labels(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        _names = names.ToArray();
        if (_names.Length == 0) throw new ArgumentException("a label list needs at least one name", nameof(names));
        for (var i = 0; i < _names.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(_names[i]))
                throw new ArgumentException($"label {i} is empty", nameof(names));
        }
    }

    /// <summary>The 1000 ImageNet-1k class names (index 0 "tench", 1 "goldfish", …).</summary>
    public static Labels ImageNet => LazyImageNet.Value;

    /// <summary>Number of classes.</summary>
    public int Count => _names.Length;

    /// <summary>The name of class <paramref name="index"/>.</summary>
    public string this[int index] => _names[index];

    /// <summary>All names in class order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>
    /// Reads one name per line (UTF-8, or the encoding its byte-order mark names; surrounding spaces trimmed; a
    /// trailing empty line ignored). A link is followed. Only a regular file of at most <see cref="MaxFileBytes"/> is
    /// read: pipes and devices (which report a size of 0, as an empty file does) and larger files are refused unread.
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="LabelsFormatException">A directory, a pipe or device, empty, too large, more than
    /// <see cref="MaxClasses"/> names, or an empty line among the names.</exception>
    public static Labels Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) throw new LabelsFormatException($"{path}: a directory, not a labels file");
        if (!File.Exists(path)) throw new FileNotFoundException($"no such labels file: {path}", path);
        CheckSize(UserFiles.SizeOfTarget(path), path);

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        // Checked again on the file actually opened, and the read never goes past that size.
        var bytes = new byte[CheckSize(stream.Length, path)];
        var read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        using var reader = new StreamReader(new MemoryStream(bytes, 0, read), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Parse(reader.ReadToEnd(), path);
    }

    private static long CheckSize(long size, string path) => size switch
    {
        0 => throw new LabelsFormatException(
            $"{path}: the file is empty or not a regular file (a pipe or a device); expected one class name per line"),
        > MaxFileBytes => throw new LabelsFormatException(
            $"{path}: {size:N0} bytes is more than a label list needs (limit {MaxFileBytes:N0} bytes: {MaxClasses:N0} classes × {MaxLabelBytes} bytes)"),
        _ => size,
    };

    /// <summary>Parses one name per line; <paramref name="source"/> names the text in error messages.</summary>
    public static Labels Parse(string text, string source = "labels")
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count == 0) throw new LabelsFormatException($"{source}: no labels (expected one class name per line)");
        if (lines.Count > MaxClasses)
            throw new LabelsFormatException($"{source}: {lines.Count:N0} labels, more than the {MaxClasses:N0} a labels file may hold");
        var blank = lines.FindIndex(l => l.Length == 0);
        if (blank >= 0) throw new LabelsFormatException($"{source}: line {blank + 1} is empty (expected one class name per line)");
        return new Labels(lines);
    }

    private static Labels LoadImageNet()
    {
        const string resource = "LightNets.Imaging.Data.imagenet_classes.txt";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"resource {resource} is missing from {typeof(Labels).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var labels = Parse(reader.ReadToEnd(), "imagenet_classes.txt");
        if (labels.Count != 1000) throw new InvalidOperationException($"imagenet_classes.txt holds {labels.Count} names, not 1000");
        return labels;
    }
}

/// <summary>A labels file that cannot be used.</summary>
public sealed class LabelsFormatException(string message) : LightNetsException(message);
