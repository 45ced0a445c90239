using System.Reflection;
using System.Text;

namespace LightNets.Imaging;

/// <summary>
/// Class names, one per output of a classifier, in output order. <see cref="ImageNet"/> holds the 1000 ImageNet-1k
/// names that torchvision's pretrained weights use (shipped in the assembly, from Data/imagenet_classes.txt);
/// <see cref="Load"/> reads a custom model's names from a text file with one name per line.
/// </summary>
public sealed class Labels
{
    /// <summary>The longest label file read (1 MiB: far more than any label list needs).</summary>
    public const long MaxFileBytes = 1 << 20;

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
    /// Reads one name per line (UTF-8; surrounding spaces trimmed; a trailing empty line ignored).
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="LabelsFormatException">Empty, too large, or with an empty line among the names.</exception>
    public static Labels Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = new FileInfo(path);
        if (!file.Exists) throw new FileNotFoundException($"no such labels file: {path}", path);
        if (file.Length > MaxFileBytes)
            throw new LabelsFormatException($"{path}: {file.Length:N0} bytes is too large for a labels file (one class name per line; limit {MaxFileBytes:N0})");
        return Parse(File.ReadAllText(path, Encoding.UTF8), path);
    }

    /// <summary>Parses one name per line; <paramref name="source"/> names the text in error messages.</summary>
    public static Labels Parse(string text, string source = "labels")
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count == 0) throw new LabelsFormatException($"{source}: no labels (expected one class name per line)");
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
