namespace LightNets.Cli.Commands;

/// <summary>An output file or directory that cannot be written: the message names the option, the path and why.</summary>
public sealed class OutputPathException(string message) : LightNetsException(message);

/// <summary>
/// Checks where a command will write before it does any long work (guidelines measures for minutes before writing its
/// report), by doing what the write will do: create the directory, create and delete a file in it. What fails becomes
/// one line naming the option, the path and the reason, instead of .NET's "Access to the path ... is denied" at the end.
/// </summary>
public static class OutputPath
{
    /// <summary>Kernel file systems: writing there is never an output file, and as root it could change the system.</summary>
    private static readonly string[] Forbidden = ["/proc", "/sys"];

    /// <summary>Checks that <paramref name="path"/> can be written as a file and returns its full path.</summary>
    /// <param name="path">As given on the command line.</param>
    /// <param name="option">The option that gave it, for the message.</param>
    /// <param name="example">A file name the message suggests when <paramref name="path"/> is a directory, e.g. model.onnx.</param>
    /// <exception cref="OutputPathException">It is a directory, its directory does not exist, or it cannot be written.</exception>
    public static string File(string path, string option, string example)
    {
        var full = Full(path, option);
        if (System.IO.Directory.Exists(full))
            throw new OutputPathException($"{option} {path} is a directory; give a file name in it, e.g. {Path.Combine(path, example)}");
        var directory = Path.GetDirectoryName(full) ?? full;
        if (!System.IO.Directory.Exists(directory))
            throw new OutputPathException($"{option} {path}: the directory {directory} does not exist; create it first or choose another");
        Probe(option, path, () =>
        {
            // An existing file is opened for writing without truncating it; a new one is created and removed again.
            using var _ = System.IO.File.Exists(full)
                ? new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)
                : new FileStream(full, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        });
        return full;
    }

    /// <summary>Creates <paramref name="path"/> as a directory if needed, checks that a file can be written in it, and returns its full path.</summary>
    /// <exception cref="OutputPathException">It is a file, or it cannot be created or written in.</exception>
    public static string Directory(string path, string option)
    {
        var full = Full(path, option);
        if (System.IO.File.Exists(full))
            throw new OutputPathException($"{option} {path} is a file; give a directory (it is created if missing)");
        Probe(option, path, () => System.IO.Directory.CreateDirectory(full));
        Probe(option, path, () =>
        {
            using var _ = new FileStream(Path.Combine(full, $".lightnets-write-test-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write,
                FileShare.None, 1, FileOptions.DeleteOnClose);
        });
        return full;
    }

    private static string Full(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new OutputPathException($"{option} needs a path, got '{path}'");
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OutputPathException($"{option} '{path}' is not a valid path");
        }
        foreach (var root in Forbidden)
        {
            if (full == root || full.StartsWith(root + "/", StringComparison.Ordinal))
                throw new OutputPathException($"{option} {path} is under {root}, a kernel file system, not a place for output; choose a directory of your own");
        }
        return full;
    }

    private static void Probe(string option, string path, Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputPathException($"{option} {path} cannot be written: {Reason(e)}");
        }
    }

    /// <summary>Why a write failed, in a few words (the .NET message, on one line, when the cause has no plainer name).</summary>
    internal static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        PathTooLongException => "the path is too long",
        DirectoryNotFoundException => "a directory on the way does not exist",
        IOException when e.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase) => "the file system is read-only",
        IOException when e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) => "the disk is full",
        _ => e.Message.ReplaceLineEndings(" "),
    };
}
