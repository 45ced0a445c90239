using LightNets.IO;

namespace LightNets.Training.Data;

/// <summary>
/// The walk over an image folder: the class folders, then each class's image files at any depth, both in ordinal name
/// order so that labels and item numbers do not depend on the file system's listing order. Links are followed (as
/// torchvision does) but a link back to a folder already on the walk is not, so a link loop ends; the depth is bounded
/// as well. What is passed over is recorded: <see cref="Ignored"/> (not images) and <see cref="Skipped"/> (could not be
/// used); with <see cref="ImageFolderOptions.Strict"/> the latter is an error instead.
/// </summary>
internal sealed class ImageFolderScan(ImageFolderOptions options)
{
    private readonly List<SkippedEntry> _ignored = [], _skipped = [];

    public IReadOnlyList<SkippedEntry> Ignored => _ignored;

    public IReadOnlyList<SkippedEntry> Skipped => _skipped;

    /// <summary>The sub-folders of <paramref name="root"/> that are classes, sorted; hidden ones and files are ignored.</summary>
    public List<DirectoryInfo> ClassFolders(DirectoryInfo root)
    {
        var classes = new List<DirectoryInfo>();
        foreach (var entry in List(root) ?? throw new DatasetException($"{root.FullName}: the folder cannot be listed (permission denied?)"))
        {
            if (entry.Name.StartsWith('.')) _ignored.Add(new(entry.FullName, "hidden"));
            else if (entry is DirectoryInfo folder) { if (Target(folder) is not null) classes.Add(folder); }
            else if (Usable((FileInfo)entry)) _ignored.Add(new(entry.FullName, "not in a class folder"));
        }
        return classes;
    }

    /// <summary>The image files under a class folder, at any depth, in sorted order.</summary>
    public List<string> Images(DirectoryInfo classFolder)
    {
        var files = new List<string>();
        var walked = new HashSet<string>(StringComparer.Ordinal) { Target(classFolder)! };
        Walk(classFolder, 0, walked, files);
        return files;
    }

    private void Walk(DirectoryInfo folder, int depth, HashSet<string> walked, List<string> files)
    {
        var entries = List(folder);
        if (entries is null)
        {
            Skip(folder.FullName, "the folder cannot be listed (permission denied?)");
            return;
        }
        foreach (var entry in entries)
        {
            if (entry.Name.StartsWith('.'))
            {
                _ignored.Add(new(entry.FullName, "hidden"));
                continue;
            }
            if (entry is DirectoryInfo sub)
            {
                var target = Target(sub);
                if (target is null) continue;
                if (!walked.Add(target))
                    _skipped.Add(new(sub.FullName, "a link to a folder already walked (a loop): not followed"));
                else if (depth >= options.MaxDepth)
                    Skip(sub.FullName, $"deeper than {options.MaxDepth} folders below the class folder");
                else
                    Walk(sub, depth + 1, walked, files);
                continue;
            }
            var file = (FileInfo)entry;
            if (!Usable(file)) continue;
            if (!options.Extensions.Any(e => file.Name.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                _ignored.Add(new(file.FullName, "not an image file name"));
            else if (UserFiles.SizeOfTarget(file.FullName) == 0)
                Skip(file.FullName, "empty, or not a regular file (a pipe or a device)"); // a pipe would block the decoder
            else
                files.Add(file.FullName);
        }
    }

    /// <summary>
    /// False, having skipped it, for a link that leads nowhere or loops: it may have been an image or a folder, so it is
    /// reported whatever its name (a link to a folder is listed as a folder, so what is left here is a file or a broken link).
    /// </summary>
    private bool Usable(FileInfo file)
    {
        if (file.LinkTarget is null) return true;
        try
        {
            if (file.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true }) return true;
            Skip(file.FullName, "a broken link");
        }
        catch (IOException)
        {
            Skip(file.FullName, "a link that loops");
        }
        return false;
    }

    /// <summary>The real folder a folder entry leads to (its link's final target, or itself), or null for a broken link.</summary>
    private string? Target(DirectoryInfo folder)
    {
        if (folder.LinkTarget is null) return Path.TrimEndingDirectorySeparator(folder.FullName);
        try
        {
            if (folder.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true } target) return Path.TrimEndingDirectorySeparator(target.FullName);
            Skip(folder.FullName, "a broken link");
        }
        catch (IOException)
        {
            Skip(folder.FullName, "a link that loops");
        }
        return null;
    }

    /// <summary>The entries of a folder sorted by ordinal name, or null when it cannot be listed.</summary>
    private static List<FileSystemInfo>? List(DirectoryInfo folder)
    {
        try
        {
            var entries = folder.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false }).ToList();
            entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            return entries;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return null;
        }
    }

    private void Skip(string path, string reason)
    {
        if (options.Strict)
            throw new DatasetException($"{path}: {reason}; fix or remove it, or read without strict to skip what cannot be used");
        _skipped.Add(new(path, reason));
    }
}
