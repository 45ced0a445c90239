using System.Text.RegularExpressions;

namespace LightNets.Tests.Docs;

/// <summary>
/// What the README promises about itself: its C# is the code of samples/ (which CI builds and runs), its commands write
/// nothing into the repository, and every file it or the code cites is in the repository.
/// </summary>
public sealed partial class ReadmeTests
{
    private static readonly string Root = FindRoot();
    private static readonly string Readme = Read(Path.Combine(Root, "README.md"));

    [Fact]
    public void EveryCSharpBlockIsCodeFromTheSamples()
    {
        var samples = SourceFiles("samples").Select(Read).ToList();
        var blocks = Markdown.CodeBlocks(Readme).Where(b => b.Language is "csharp" or "cs" or "c#").ToList();
        Assert.NotEmpty(blocks);
        foreach (var block in blocks)
            Assert.True(samples.Any(s => s.Contains(block.Text, StringComparison.Ordinal)),
                $"README.md line {block.Line}: this C# block is not in samples/ (copy it from a sample file, or change both):\n{block.Text}");
    }

    [Fact]
    public void EverySampleIsShownWholeInTheReadme()
    {
        var blocks = Markdown.CodeBlocks(Readme).Select(b => b.Text).ToHashSet(StringComparer.Ordinal);
        var samples = SourceFiles("samples").Where(f => Path.GetFileName(f) != "Program.cs").ToList();
        Assert.NotEmpty(samples);
        foreach (var file in samples)
            Assert.True(blocks.Contains(Read(file)), $"{Path.GetRelativePath(Root, file)} is not shown whole in a ```csharp block of README.md");
    }

    [Fact]
    public void CommandsWriteOnlyUnderTmp()
    {
        var bad = Markdown.Commands(Markdown.CodeBlocks(Readme))
            .SelectMany(c => Markdown.WrittenPaths(c).Where(p => !WritesOutsideRepository(p)).Select(p => $"{p}  ←  {c}"))
            .ToList();
        Assert.True(bad.Count == 0, "README commands that write into the working directory (write under /tmp instead):\n" + string.Join('\n', bad));
    }

    [Theory]
    [InlineData("export mobilenet_v3_small -o v3s.onnx", "v3s.onnx")]
    [InlineData("dotnet run -c Release --project ../../../src/LightNets.Cli -- run m.onnx --input x.npy --output y.npy", "y.npy")]
    [InlineData("dotnet src/LightNets.Cli/bin/Release/net10.0/linux-x64/LightNets.Cli.dll compare --rounds 11 --out docs/compare", "docs/compare")]
    [InlineData("dotnet run -c Release --project src/LightNets.Cli -- compare", "./compare-out (the default of `compare` without --out)")]
    [InlineData("lightnets guidelines --quick > report.md", "report.md")]
    [InlineData("lightnets guidelines --quick --out=here", "here")]
    public void TheCommandCheckSeesWhatACommandWrites(string command, string written)
    {
        Assert.Contains(written, Markdown.WrittenPaths(command));
        Assert.False(WritesOutsideRepository(written));
    }

    [Fact]
    public void CitedSpecificationsAreShippedInDocs()
    {
        var texts = SourceFiles("src").Concat(SourceFiles("tests")).Concat(SourceFiles("samples")).Select(f => (Path.GetRelativePath(Root, f), Read(f)))
            .Append(("README.md", Readme));
        var missing = new List<string>();
        foreach (var (file, text) in texts)
            foreach (Match m in SpecCitation().Matches(text))
                if (!File.Exists(Path.Combine(Root, "docs", m.Groups["name"].Value + ".md")))
                    missing.Add($"{file}: cites {m.Value}, but docs/{m.Groups["name"].Value}.md does not exist");
        Assert.True(missing.Count == 0, string.Join('\n', missing.Distinct()));
    }

    [Fact]
    public void RelativeLinksInTheReadmeExist()
    {
        var missing = MarkdownLink().Matches(Readme).Select(m => m.Groups["path"].Value)
            .Where(p => !p.Contains("://", StringComparison.Ordinal) && !p.StartsWith('#'))
            .Where(p => !Path.Exists(Path.Combine(Root, p.Split('#')[0])))
            .ToList();
        Assert.True(missing.Count == 0, "README.md links to files that do not exist: " + string.Join(", ", missing));
    }

    private static bool WritesOutsideRepository(string path) => path.StartsWith("/tmp/", StringComparison.Ordinal) || path == "/dev/null";

    /// <summary>The repository's .cs and .md files under <paramref name="folder"/>, without build output.</summary>
    private static IEnumerable<string> SourceFiles(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Root, folder), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".md", StringComparison.Ordinal))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(d => d is "bin" or "obj"))
            .Order(StringComparer.Ordinal);

    private static string Read(string path) => File.ReadAllText(path).ReplaceLineEndings("\n");

    internal static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LightNets.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException($"LightNets.slnx not found above {AppContext.BaseDirectory}");
    }

    /// <summary>A specification named by file (GUIDELINES-SPEC.md, PUBLISHED.md) or by its short form (ARCH-SPEC §6.1).</summary>
    [GeneratedRegex(@"\b(?<name>[A-Z]+-SPEC|PUBLISHED)(\.md\b|(?=\s*§)|(?='s))")]
    private static partial Regex SpecCitation();

    [GeneratedRegex(@"\]\((?<path>[^)\s]+)\)")]
    private static partial Regex MarkdownLink();
}
