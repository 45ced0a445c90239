using System.Text;
using LightNets.Graphs;

namespace LightNets.Cli.Commands;

/// <summary>
/// Where run writes each output, from its <c>--output</c> values, decided and checked before the run:
/// <list type="bullet">
/// <item><c>FILE</c>: the output of a model with one output;</item>
/// <item><c>DIR</c>: every output of a model with several, as DIR/&lt;name&gt;.npy (the directory is created if missing);</item>
/// <item><c>NAME=FILE</c> (split at the first '='), repeatable: that output to that file; beside a DIR, it takes that
/// output out of the directory.</item>
/// </list>
/// An output's name becomes a file name (<see cref="FileName"/>) that cannot leave the directory, whatever the name holds.
/// </summary>
internal static class RunOutputs
{
    /// <summary>Longest file name made from an output's name, before a "_2" and ".npy": well within the usual 255 bytes.</summary>
    private const int MaxNameLength = 200;

    /// <summary>Each output to write, by name, with the full path it goes to; an output left out is not written.</summary>
    public static IReadOnlyList<(string Name, string Path)> Resolve(IReadOnlyList<string> values, Graph graph)
    {
        var outputs = graph.Outputs.Distinct().ToArray();
        var named = new List<(string Name, string Path)>();
        var plain = new List<string>();
        foreach (var value in values)
        {
            var (name, path) = RunInputs.Split(value, "--output", "output");
            if (name is null)
            {
                plain.Add(path);
                continue;
            }
            if (!outputs.Contains(name))
                throw new CliUsageException($"--output '{name}': the model has no output '{name}'; its outputs are {ModelSource.Outputs(graph)}");
            if (named.Any(n => n.Name == name)) throw new CliUsageException($"--output '{name}' is given twice");
            named.Add((name, path));
        }
        if (plain.Count > 1)
            throw new CliUsageException(
                $"--output takes one directory (or one file, for a model with one output), and NAME=FILE for any output; got {plain.Count} paths: {string.Join(", ", plain)}");

        string? directory = null;
        if (plain.Count == 1 && outputs.Length == 1)
        {
            // The one output's file, as if named.
            if (named.Count > 0) throw new CliUsageException($"--output '{outputs[0]}' is given twice");
            named.Add((outputs[0], plain[0]));
        }
        else if (plain.Count == 1)
        {
            if (plain[0].EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                throw new CliUsageException(
                    $"--output {plain[0]}: the model has {outputs.Length} outputs, {ModelSource.Outputs(graph)}: give a directory for all of them, or NAME=FILE.npy for each");
            directory = OutputPath.Directory(plain[0], "--output");
        }

        var written = new List<(string Name, string Path)>();
        foreach (var (name, path) in named)
        {
            var full = OutputPath.File(path, "--output", FileName(name) + ".npy");
            if (written.FirstOrDefault(w => w.Path == full) is { Name: { } other })
                throw new CliUsageException($"--output: '{other}' and '{name}' would both be written to {full}");
            written.Add((name, full));
        }
        if (directory is null) return written;

        // The others into the directory; names that come out the same (also but for case) get _2, _3, ...
        var taken = new HashSet<string>(written.Select(w => w.Path), StringComparer.OrdinalIgnoreCase);
        foreach (var name in outputs.Where(o => named.All(n => n.Name != o)))
        {
            var stem = FileName(name);
            var full = Path.Combine(directory, stem + ".npy");
            for (var k = 2; !taken.Add(full); k++) full = Path.Combine(directory, $"{stem}_{k}.npy");
            written.Add((name, full));
        }
        return written;
    }

    /// <summary>
    /// An output's name as a plain file name: ASCII letters, digits, '-', '_' and '.' kept, anything else (path
    /// separators, ':', spaces, control characters, other scripts) as '_', and a leading '.' as '_', so that "..",
    /// "../x", "/etc/x" or ".hidden" can neither leave the directory nor hide in it. At most
    /// <see cref="MaxNameLength"/> characters.
    /// </summary>
    public static string FileName(string outputName)
    {
        var b = new StringBuilder(Math.Min(outputName.Length, MaxNameLength));
        foreach (var c in outputName.Take(MaxNameLength))
            b.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' || c == '.' && b.Length > 0 ? c : '_');
        return b.ToString();
    }
}
