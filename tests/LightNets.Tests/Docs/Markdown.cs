using System.Text.RegularExpressions;

namespace LightNets.Tests.Docs;

/// <summary>The few pieces of Markdown and shell syntax the documentation tests read: fenced blocks and command lines.</summary>
internal static partial class Markdown
{
    public sealed record CodeBlock(string Language, string Text, int Line);

    /// <summary>Fenced blocks (```lang ... ```), with their language word ("" when none) and first line number.</summary>
    public static IReadOnlyList<CodeBlock> CodeBlocks(string markdown)
    {
        var blocks = new List<CodeBlock>();
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal)) continue;
            var language = lines[i][3..].Trim();
            var start = i + 1;
            var end = start;
            while (end < lines.Length && !lines[end].StartsWith("```", StringComparison.Ordinal)) end++;
            blocks.Add(new CodeBlock(language, string.Join('\n', lines[start..end]) + "\n", start + 1));
            i = end;
        }
        return blocks;
    }

    /// <summary>
    /// The shell commands a reader is told to type: every line of a bash/sh block, and the "$ " lines of a text/console
    /// block (the rest of those is output). Comments are cut off.
    /// </summary>
    public static IEnumerable<string> Commands(IEnumerable<CodeBlock> blocks)
    {
        foreach (var block in blocks)
        {
            var shell = block.Language is "bash" or "sh" or "shell";
            if (!shell && block.Language is not ("text" or "console" or "")) continue;
            foreach (var raw in block.Text.Split('\n'))
            {
                var line = raw.Trim();
                if (shell ? line.Length == 0 || line.StartsWith('#') : !line.StartsWith("$ ", StringComparison.Ordinal)) continue;
                if (line.StartsWith("$ ", StringComparison.Ordinal)) line = line[2..];
                var comment = line.IndexOf(" #", StringComparison.Ordinal);
                yield return (comment < 0 ? line : line[..comment]).Trim();
            }
        }
    }

    /// <summary>
    /// Where a command writes files: the values of -o/--out/--output/--artifacts and of &gt; redirections, and, for
    /// <c>lightnets compare</c>, <c>guidelines</c> and <c>advise</c> without --out, the default directory they write into.
    /// </summary>
    public static IEnumerable<string> WrittenPaths(string command)
    {
        var tokens = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var hasOut = false;
        for (var i = 0; i < tokens.Length; i++)
        {
            var t = tokens[i];
            if (OutputOption().Match(t) is { Success: true } m)
            {
                hasOut |= m.Groups["name"].Value == "--out";
                var value = m.Groups["value"].Success ? m.Groups["value"].Value : i + 1 < tokens.Length ? tokens[++i] : "";
                yield return value;
            }
            else if (t.StartsWith('>'))
            {
                var value = t.TrimStart('>');
                yield return value.Length > 0 ? value : i + 1 < tokens.Length ? tokens[++i] : "";
            }
        }
        var sub = LightnetsSubcommand(tokens);
        if (!hasOut && sub is "compare" or "guidelines" or "advise") yield return $"./{sub}-out (the default of `{sub}` without --out)";
    }

    /// <summary>The word after the lightnets command (installed tool, dotnet run ... --, or the built dll), if any.</summary>
    private static string? LightnetsSubcommand(string[] tokens)
    {
        for (var i = 0; i + 1 < tokens.Length; i++)
        {
            var t = tokens[i];
            if (t == "lightnets" || t.EndsWith("LightNets.Cli.dll", StringComparison.Ordinal)
                || (t == "--" && tokens.Take(i).Any(x => x.EndsWith("src/LightNets.Cli", StringComparison.Ordinal))))
                return tokens[i + 1];
        }
        return null;
    }

    [GeneratedRegex(@"^(?<name>-o|--out|--output|--artifacts)(=(?<value>.+))?$")]
    private static partial Regex OutputOption();
}
