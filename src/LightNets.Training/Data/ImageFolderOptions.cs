using LightNets.Imaging;

namespace LightNets.Training.Data;

/// <summary>How an image folder is read.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>The file name endings taken as images (any case): the formats LightNets.Imaging decodes.</summary>
    public static IReadOnlyList<string> DefaultExtensions { get; } = [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"];

    /// <summary>The most folder levels walked below a class folder; deeper folders are skipped and reported.</summary>
    public const int DefaultMaxDepth = 32;

    /// <summary>The largest image (width × height) decoded; a larger one is unreadable.</summary>
    public long MaxPixels { get; init; } = ImageDecoder.DefaultMaxPixels;

    /// <summary>
    /// Whether an image that cannot be used is an error (a broken link, a folder that cannot be listed, a file that
    /// does not decode) instead of being skipped, counted and reported.
    /// </summary>
    public bool Strict { get; init; }

    /// <summary>
    /// Whether every image is decoded once while the folder is read, so that damaged ones are found (and skipped, or an
    /// error when <see cref="Strict"/>) before training starts instead of when the loader meets them.
    /// </summary>
    public bool VerifyImages { get; init; }

    /// <summary>Threads for <see cref="VerifyImages"/>.</summary>
    public int VerifyThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>File name endings taken as images.</summary>
    public IReadOnlyList<string> Extensions { get; init; } = DefaultExtensions;

    /// <summary>The most folder levels walked below a class folder.</summary>
    public int MaxDepth { get; init; } = DefaultMaxDepth;

    internal void Validate()
    {
        if (MaxPixels < 1 || MaxPixels > Array.MaxLength / 4)
            throw new DatasetException($"the pixel limit must be 1 to {Array.MaxLength / 4:N0}, got {MaxPixels:N0}");
        if (VerifyThreads < 1) throw new DatasetException($"VerifyThreads must be at least 1, got {VerifyThreads}");
        if (MaxDepth < 0) throw new DatasetException($"MaxDepth must be 0 or more, got {MaxDepth}");
        if (Extensions is null || Extensions.Count == 0 || Extensions.Any(e => string.IsNullOrWhiteSpace(e) || e[0] != '.'))
            throw new DatasetException("the image extensions must each start with a dot, e.g. \".jpg\"");
    }
}

/// <summary>A file or folder an image folder did not use, and why.</summary>
public readonly record struct SkippedEntry(string Path, string Reason)
{
    public override string ToString() => $"{Path}: {Reason}";
}
