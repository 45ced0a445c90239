namespace LightNets.Onnx;

/// <summary>
/// Finds and reads the file that holds an external tensor. A model file is untrusted, so its "location" may name
/// only a regular file whose real path lies inside the model's real directory.
/// <para>
/// The location is resolved here one component at a time, as the kernel resolves a path, following every symbolic
/// link on the way (directories as well as the file, chains, relative and absolute targets), and the walk is
/// refused as soon as it leaves the model's directory: a lexical check of the location, or a check of the final
/// file alone, misses <c>d → /etc</c> with location <c>d/passwd</c>. Nothing outside the directory is even
/// looked at, except the real directory's own ancestors, which a <c>..</c> or an absolute link target may pass
/// through on its way back in. Links that stay inside are followed: a model directory that links a shared copy
/// of its weights from a subdirectory is still readable, and nothing outside is reachable through them.
/// </para>
/// <para>
/// A file is opened only after it is known to be a non-empty file that is not a directory. .NET has no call that
/// tells a regular file from a pipe or a device without opening it, but on Linux every pipe, socket and device
/// reports a size of 0, so refusing empty files means a FIFO is never opened (opening one blocks) and /dev/zero is
/// never read. The size that bounds the read is taken again from the opened handle, and the read fills a buffer of
/// exactly the tensor's size: a file that changes size while being read cannot make it read more.
/// </para>
/// </summary>
internal sealed class ExternalDataFile
{
    /// <summary>Symbolic links followed in one path before giving up, as Linux's own limit (ELOOP).</summary>
    private const int MaxLinks = 40;

    private static readonly char[] Separators = [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar];

    /// <summary>The model's directory, as a real path.</summary>
    private readonly string _root;

    private ExternalDataFile(string root) => _root = root;

    /// <summary>
    /// The reader for the model directory <paramref name="baseDirectory"/>, resolved to its real path (every link in
    /// it followed), or null with <paramref name="problem"/> saying what is wrong with the directory.
    /// </summary>
    public static ExternalDataFile? InDirectory(string baseDirectory, out string? problem)
    {
        var full = Path.GetFullPath(baseDirectory);
        var fsRoot = Path.GetPathRoot(full)!;
        var walk = new Walk(fsRoot, null);
        problem = walk.Follow(full[fsRoot.Length..]);
        if (problem is null && !Directory.Exists(walk.Current)) problem = "is not a directory";
        return problem is null ? new ExternalDataFile(walk.Current) : null;
    }

    /// <summary>
    /// Reads <paramref name="count"/> bytes at <paramref name="offset"/> of the file at <paramref name="location"/>.
    /// <paramref name="fail"/> makes the exception for a problem, given as what follows the tensor's name in a
    /// sentence ("refers to external file 'w.bin', which does not exist in ...").
    /// </summary>
    public byte[] Read(string location, long offset, long count, Func<string, Exception> fail)
    {
        var refers = $"refers to external file '{location}', which";
        if (Path.EndsInDirectorySeparator(location))
            throw fail($"{refers} ends in a directory separator; external data must name a file");
        var walk = new Walk(_root, _root);
        if (walk.Follow(location) is { } problem) throw fail($"{refers} {problem}");
        var path = walk.Current;
        if (Directory.Exists(path)) throw fail($"{refers} is a directory, not a file");
        if (new FileInfo(path).Length == 0)
            throw fail($"{refers} is empty or not a regular file (a pipe, socket or device); external data must be a regular file holding the tensor's bytes");

        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var length = RandomAccess.GetLength(handle);
        if (offset > length || count > length - offset)
            throw fail($"needs bytes [{offset}, {offset + count}) of '{location}', past the end of that {length}-byte file");
        var buffer = new byte[count];
        for (var done = 0; done < buffer.Length;)
        {
            var read = RandomAccess.Read(handle, buffer.AsSpan(done), offset + done);
            if (read == 0) throw fail($"{refers} ended early (it changed while being read)");
            done += read;
        }
        return buffer;
    }

    /// <summary>
    /// A path resolution in progress: <see cref="Current"/> is a real path (no link in it). With a root, the walk
    /// may only be inside it or at one of its ancestors, from which only the root's own path leads on. Problems are
    /// phrased to follow "which" ("does not exist in ...").
    /// </summary>
    private sealed class Walk(string start, string? root)
    {
        /// <summary>Path components still to resolve, each with the link whose target it comes from (null: the path itself).</summary>
        private readonly Stack<(string Part, string? Link, string? Target)> _pending = new();
        private int _links;

        /// <summary>The link whose target last took the walk out of the root (null: the location's own ".."), for the message.</summary>
        private (string? Link, string? Target) _exit;

        public string Current { get; private set; } = start;

        /// <summary>Resolves <paramref name="path"/> from <see cref="Current"/>; null when it worked, else what went wrong.</summary>
        public string? Follow(string path)
        {
            Push(path, null, null);
            while (_pending.TryPop(out var item))
            {
                var (part, link, target) = item;
                if (part is "" or ".") continue;
                var inside = root is null || IsInside(Current);
                if (part == "..")
                {
                    Current = Path.GetDirectoryName(Current) ?? Current;
                    if (root is not null && inside && !IsInside(Current)) _exit = (link, target);
                }
                else if (!inside)
                {
                    // At an ancestor of the root: the only way on is back towards the root, along its real path,
                    // whose directories are known not to be links.
                    var next = Path.Join(Current, part);
                    if (!IsAncestorOrRoot(next)) return Outside();
                    Current = next;
                }
                else if (Step(Path.Join(Current, part)) is { } problem)
                    return problem;
            }
            return root is null || IsInside(Current) ? null : Outside();
        }

        /// <summary>Moves to <paramref name="next"/>, a child of <see cref="Current"/> that may be a link.</summary>
        private string? Step(string next)
        {
            var info = new FileInfo(next);
            string? target;
            try { target = info.LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"cannot be resolved: '{Name(next)}' cannot be read ({(e is UnauthorizedAccessException ? "permission denied" : e.Message)})";
            }
            if (target is not null)
            {
                if (++_links > MaxLinks) return $"goes through more than {MaxLinks} symbolic links (a loop?)";
                var link = Name(next);
                if (Path.IsPathRooted(target))
                {
                    Current = Path.GetPathRoot(target)!;
                    if (root is not null && !IsInside(Current)) _exit = (link, target);
                }
                Push(target, link, target);
                return null;
            }
            if (Directory.Exists(next))
            {
                Current = next;
                return null;
            }
            if (!info.Exists) return root is null ? "does not exist" : $"does not exist in '{root}'";
            // A file ends the path: anything after it (even "." or "..") needs it to be a directory.
            if (_pending.Count > 0) return $"does not exist: '{Name(next)}' is a file, not a directory";
            Current = next;
            return null;
        }

        private void Push(string path, string? link, string? target)
        {
            var parts = path.Split(Separators);
            for (var i = parts.Length - 1; i >= 0; i--) _pending.Push((parts[i], link, target));
        }

        private bool IsInside(string path) =>
            path == root || path.StartsWith(WithSeparator(root!), StringComparison.Ordinal);

        private bool IsAncestorOrRoot(string path) =>
            path == root || root!.StartsWith(WithSeparator(path), StringComparison.Ordinal);

        private static string WithSeparator(string path) =>
            Path.EndsInDirectorySeparator(path) ? path : path + Path.DirectorySeparatorChar;

        /// <summary>A path inside the root, relative to it (for messages); any other path as it is.</summary>
        private string Name(string path) =>
            root is not null && IsInside(path) ? Path.GetRelativePath(root, path) : path;

        private string Outside() =>
            $"lies outside the model's directory '{root}'"
            + (_exit.Link is { } link ? $": the link '{link}' points to '{_exit.Target}'" : "");
    }
}
