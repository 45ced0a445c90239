namespace LightNets.Cli.Commands;

/// <summary>
/// The image files a classify command line names: a file as given (tried whatever its name), a directory's files with an
/// image extension in name order, and with <c>recursive</c> its subdirectories' too, depth first in name order.
/// Symbolic links to directories are not followed, so a link loop cannot make the walk endless; what a directory holds
/// that is not classified is counted and named, so nothing is left out silently.
/// </summary>
internal static class ImageSearch
{
    /// <summary>Extensions taken from a directory (files named on the command line are tried whatever their name).</summary>
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"];

    /// <summary>Names listed per kind of skipped entry; the rest are counted.</summary>
    private const int NamesShown = 5;

    /// <summary>Files to classify, arguments that give none (a path and why), and one line per directory saying what it skipped.</summary>
    public sealed record Found(List<string> Files, List<(string Path, string Error)> Errors, List<string> Skipped);

    public static Found Expand(IReadOnlyList<string> args, bool recursive)
    {
        var found = new Found([], [], []);
        foreach (var arg in args)
        {
            if (!Directory.Exists(arg))
            {
                found.Files.Add(arg);
                continue;
            }
            var skipped = new Skipped();
            var before = found.Files.Count;
            try
            {
                Walk(new DirectoryInfo(arg), arg, recursive, found.Files, skipped);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                found.Errors.Add((arg, $"cannot list this directory: {OutputPath.Reason(e)}"));
                continue;
            }
            if (skipped.Describe(recursive) is { } line) found.Skipped.Add($"{arg}: {line}");
            if (found.Files.Count == before)
                found.Errors.Add((arg, $"no {string.Join(", ", Extensions)} files in this directory{(recursive ? " or its subdirectories" : "")}"));
        }
        return found;
    }

    private static void Walk(DirectoryInfo directory, string shown, bool recursive, List<string> files, Skipped skipped)
    {
        var entries = directory.EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToArray();
        foreach (var f in entries.OfType<FileInfo>())
        {
            if (Extensions.Contains(f.Extension, StringComparer.OrdinalIgnoreCase)) files.Add(Path.Combine(shown, f.Name));
            else skipped.Other.Add(Path.Combine(shown, f.Name));
        }
        foreach (var d in entries.OfType<DirectoryInfo>())
        {
            var path = Path.Combine(shown, d.Name);
            if (!recursive) skipped.Directories.Add(path);
            else if (d.LinkTarget is not null) skipped.Links.Add(path);
            else Walk(d, path, recursive, files, skipped);
        }
    }

    /// <summary>What one directory argument's walk passed over.</summary>
    private sealed class Skipped
    {
        public List<string> Other { get; } = [];
        public List<string> Directories { get; } = [];
        public List<string> Links { get; } = [];

        public string? Describe(bool recursive)
        {
            var parts = new List<string>();
            if (Other.Count > 0) parts.Add($"{Count(Other.Count, "file")} without an image extension ({Names(Other)})");
            if (Directories.Count > 0) parts.Add($"{Count(Directories.Count, "subdirectory", "subdirectories")} ({Names(Directories)}; --recursive classifies their images too)");
            if (Links.Count > 0) parts.Add($"{Count(Links.Count, "symbolic link")} to a directory, not followed ({Names(Links)})");
            return parts.Count == 0 ? null : "skipped " + Words.And(parts);
        }

        private static string Count(int n, string one, string? many = null) => $"{n} {(n == 1 ? one : many ?? one + "s")}";

        private static string Names(List<string> paths) =>
            string.Join(", ", paths.Take(NamesShown)) + (paths.Count > NamesShown ? $", … ({paths.Count - NamesShown} more)" : "");
    }
}
