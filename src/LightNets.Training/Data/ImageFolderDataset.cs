using LightNets.Imaging;
using LightNets.IO;

namespace LightNets.Training.Data;

/// <summary>
/// Images in one sub-folder per class, as torchvision's <c>ImageFolder</c> reads them: the class folders sorted by name
/// (ordinal) give the labels 0, 1, …; each class folder's images are found at any depth, in sorted order; each image is
/// decoded (with LightNets.Imaging, upright, RGB) only when the loader reads it. Files that are not images are ignored
/// and listed (<see cref="Ignored"/>); images and folders that cannot be used (broken links, links that loop, folders
/// that cannot be listed, and with <see cref="ImageFolderOptions.VerifyImages"/> files that do not decode) are skipped
/// and listed (<see cref="Skipped"/>), or are an error when reading is strict. A class folder left without images is
/// always an error: its label would silently never be learned.
/// </summary>
public sealed class ImageFolderDataset : IImageDataset
{
    private readonly string[] _paths;
    private readonly int[] _labels;
    private readonly string[] _classNames;
    private readonly ImageDecoder _decoder;

    private ImageFolderDataset(string root, string[] classNames, string[] paths, int[] labels, ImageDecoder decoder,
        IReadOnlyList<SkippedEntry> ignored, IReadOnlyList<SkippedEntry> skipped)
    {
        Root = root;
        _classNames = classNames;
        _paths = paths;
        _labels = labels;
        _decoder = decoder;
        Ignored = ignored;
        Skipped = skipped;
    }

    /// <summary>The folder holding the class folders.</summary>
    public string Root { get; }

    /// <summary>Entries that are not images and were passed over: other file types, hidden entries, files outside class folders.</summary>
    public IReadOnlyList<SkippedEntry> Ignored { get; }

    /// <summary>
    /// Images and folders that could not be used, with the reason. When reading is strict these are errors instead, except
    /// links that loop back to a folder already walked: not following them loses nothing.
    /// </summary>
    public IReadOnlyList<SkippedEntry> Skipped { get; }

    /// <summary>The image files, in item order.</summary>
    public IReadOnlyList<string> Files => _paths;

    public int Count => _paths.Length;

    public IReadOnlyList<string> ClassNames => _classNames;

    public int Channels => 3;

    public ImageShape? ItemShape => null;

    public int Label(int index) => _labels[index];

    public string Describe(int index) => _paths[index];

    public bool TryRead(int index, ImageItem item, out string? error)
    {
        ArgumentNullException.ThrowIfNull(item);
        var image = Decode(_paths[index], out error);
        if (image is null) return false;
        item.SetDecoded(image);
        return true;
    }

    private DecodedImage? Decode(string path, out string? error)
    {
        try
        {
            // A file swapped for a pipe since the scan would block the decoder's open: refuse it unopened.
            if (UserFiles.SizeOfTarget(path) == 0)
            {
                error = File.Exists(path) ? "empty, or not a regular file (a pipe or a device)" : "the file is gone";
                return null;
            }
            error = null;
            return _decoder.Decode(path);
        }
        catch (ImageDecodeException e) { error = e.Reason; }
        catch (FileNotFoundException) { error = "the file is gone"; }
        catch (UnauthorizedAccessException) { error = "permission denied"; }
        catch (IOException e) { error = $"cannot be read: {e.Message}"; }
        return null;
    }

    /// <summary>Reads the class folders under <paramref name="root"/>.</summary>
    /// <exception cref="DatasetException">No such folder, no class folders, a class without images, or (when strict)
    /// an image or folder that cannot be used.</exception>
    public static ImageFolderDataset Load(string root, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        options.Validate();
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (!Directory.Exists(root))
            throw new DatasetException(File.Exists(root) ? $"{root} is a file, not a folder of class folders" : $"no such folder: {root}");
        var scan = new ImageFolderScan(options);
        var classes = scan.ClassFolders(new DirectoryInfo(root));
        if (classes.Count == 0)
            throw new DatasetException($"{root} holds no class folders: put each class's images in a sub-folder named after the class");
        if (classes.Count > Labels.MaxClasses)
            throw new DatasetException($"{root} holds {classes.Count:N0} class folders, more than the {Labels.MaxClasses:N0} a data set may have");

        var paths = new List<string>();
        var labels = new List<int>();
        for (var label = 0; label < classes.Count; label++)
        {
            foreach (var file in scan.Images(classes[label]))
            {
                paths.Add(file);
                labels.Add(label);
            }
        }
        var decoder = new ImageDecoder(options.MaxPixels);
        var dataset = new ImageFolderDataset(Path.GetFullPath(root), [.. classes.Select(c => c.Name)], [.. paths], [.. labels], decoder, scan.Ignored, scan.Skipped);
        if (options.VerifyImages) dataset = dataset.Verified(options);
        dataset.CheckEveryClassHasImages(classes, options);
        return dataset;
    }

    /// <summary>This data set without the images that do not decode (listed in <see cref="Skipped"/>), or an error when strict.</summary>
    private ImageFolderDataset Verified(ImageFolderOptions options)
    {
        var errors = new string?[Count];
        Parallel.For(0, Count, new ParallelOptions { MaxDegreeOfParallelism = options.VerifyThreads }, i =>
        {
            using var image = Decode(_paths[i], out errors[i]);
        });
        var bad = Enumerable.Range(0, Count).Where(i => errors[i] is not null).ToList();
        if (bad.Count == 0) return this;
        if (options.Strict)
            throw new DatasetException($"{_paths[bad[0]]}: {errors[bad[0]]}{(bad.Count > 1 ? $" (and {bad.Count - 1:N0} more unreadable images)" : "")}; fix or remove it, or read without strict to skip unreadable images");
        var keep = Enumerable.Range(0, Count).Where(i => errors[i] is null).ToArray();
        var skipped = Skipped.Concat(bad.Select(i => new SkippedEntry(_paths[i], errors[i]!))).ToList();
        return new ImageFolderDataset(Root, _classNames, [.. keep.Select(i => _paths[i])], [.. keep.Select(i => _labels[i])], _decoder, Ignored, skipped);
    }

    private void CheckEveryClassHasImages(IReadOnlyList<DirectoryInfo> classes, ImageFolderOptions options)
    {
        var counts = new int[classes.Count];
        foreach (var label in _labels) counts[label]++;
        var empty = Enumerable.Range(0, classes.Count).Where(c => counts[c] == 0).Select(c => classes[c].Name).ToList();
        if (empty.Count == 0) return;
        var names = string.Join(", ", empty.Take(10).Select(n => $"'{n}'")) + (empty.Count > 10 ? $" and {empty.Count - 10:N0} more" : "");
        throw new DatasetException(
            $"{Root}: class folder{(empty.Count == 1 ? "" : "s")} {names} hold{(empty.Count == 1 ? "s" : "")} no usable images ({string.Join(", ", options.Extensions)}): add images or remove the folder{(empty.Count == 1 ? "" : "s")}");
    }
}
