using System.Text.Json;
using LightNets.Cli.Output.Charts;
using SkiaSharp;

namespace LightNets.Tests.Cli;

/// <summary>
/// <c>guidelines</c> and <c>compare</c>: argument errors, and the whole report/chart pipeline on tiny inputs (one
/// round, 4×4 maps or 32-pixel images: the real runs take minutes and are not tests).
/// </summary>
public sealed class GuidelinesAndCompareCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lightnets-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("guidelines --mode cpu", 2, "'cpu'")]
    [InlineData("guidelines --format table", 2, "'table'")]
    [InlineData("guidelines --threads 0", 2, "--threads must be 1 to 1024, got 0")]
    [InlineData("guidelines --threads two", 2, "--threads needs a whole number")]
    [InlineData("guidelines extra", 2, "extra")]
    [InlineData("compare --format csv", 2, "'csv'")]
    [InlineData("compare --threads 0", 2, "--threads must be 1 to 1024, got 0")]
    [InlineData("compare --models ,", 1, "--models needs at least one headline model")]
    [InlineData("compare --models mobilenetv2_999", 1, "not a headline model")]
    public void Bad_arguments_are_one_line_on_stderr_and_a_non_zero_exit(string args, int code, string message)
    {
        var r = CliRunner.Run(args.Split(' '));
        Assert.Equal(code, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Guidelines_writes_the_report_the_charts_and_the_verdicts()
    {
        var r = CliRunner.Run("guidelines", "--rounds", "1", "--size", "4", "--out", _dir, "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("expected duration", r.Stderr);
        Assert.Contains("guidelines: measure:", r.Stderr); // plain progress lines when redirected
        using var json = JsonDocument.Parse(r.Stdout);
        var tables = json.RootElement.GetProperty("tables");
        Assert.Equal(4, tables.GetArrayLength());
        Assert.Equal(69, tables.EnumerateArray().Sum(t => t.GetProperty("cells").GetArrayLength()));
        var g1 = tables[0];
        Assert.Equal(("G1", "arm", 1), (g1.GetProperty("table").GetString(), g1.GetProperty("mode").GetString(), g1.GetProperty("threads").GetInt32()));
        Assert.StartsWith("G1 (Table 1, ARM columns): the paper's ordering", g1.GetProperty("verdict").GetString());

        var report = File.ReadAllText(Path.Combine(_dir, "report.md"));
        Assert.Contains("## Verdicts", report);
        foreach (var g in new[] { "G1 (Table 1, ARM columns)", "G2 (Table 2, ARM columns)", "G3 (Table 3, ARM columns)", "G4 (Table 4, ARM columns)" })
            Assert.Contains(g, report);
        for (var i = 1; i <= 4; i++)
        {
            Assert.Contains($"](g{i}-arm.png)", report);
            AssertChart(Path.Combine(_dir, $"g{i}-arm.png"));
        }
        Assert.True(File.Exists(Path.Combine(_dir, "results.json")));
    }

    [Fact]
    public void Compare_measures_the_headline_models_and_charts_them()
    {
        var r = CliRunner.Run("compare", "--models", "mobilenetv3_small_075,shufflenetv2_050", "--rounds", "1", "--resolution", "32", "--out", _dir, "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var models = json.RootElement.GetProperty("models");
        Assert.Equal(2, models.GetArrayLength());
        var v3 = models[0];
        Assert.Equal("mobilenetv3_small_075", v3.GetProperty("model").GetString());
        Assert.Equal(65.4, v3.GetProperty("published_top1").GetDouble());
        Assert.Equal("P-MN3 Table 3", v3.GetProperty("published_top1_source").GetString());
        Assert.True(v3.GetProperty("latency_ms").GetDouble() > 0);
        // ONNX Runtime ran the same model in the same rounds, and the ratio is the median of per-round ratios.
        var ortRounds = v3.GetProperty("onnxruntime_round_median_ms").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var ourRounds = v3.GetProperty("round_median_ms").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Single(ortRounds);
        Assert.True(v3.GetProperty("onnxruntime_ms").GetDouble() > 0);
        // Within the JSON's rounding of sub-millisecond times to 4 decimals.
        var expected = ourRounds[0] / ortRounds[0];
        Assert.InRange(v3.GetProperty("ratio").GetDouble(), expected * 0.99, expected * 1.01);
        // ShuffleNetV2 runs in its paper's layout: the network its paper's FLOPs and top-1 describe.
        Assert.Equal("P-SN2 Table 8", models[1].GetProperty("published_top1_source").GetString());
        Assert.Equal(60.3, models[1].GetProperty("published_top1").GetDouble());
        AssertChart(Path.Combine(_dir, "latency-vs-macs.png"));
        AssertChart(Path.Combine(_dir, "top1-vs-latency.png"));
        Assert.Contains("](latency-vs-macs.png)", File.ReadAllText(Path.Combine(_dir, "compare.md")));
        // The same results as a file beside the charts.
        using var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "compare.json")));
        Assert.Equal(2, saved.RootElement.GetProperty("models").GetArrayLength());
    }

    [Fact]
    public void Compare_without_onnxruntime_has_no_ratio()
    {
        var r = CliRunner.Run("compare", "--models", "shufflenetv2_050", "--rounds", "1", "--resolution", "32", "--out", _dir, "--format", "json",
            "--compare", "none");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var model = json.RootElement.GetProperty("models")[0];
        Assert.False(model.TryGetProperty("ratio", out _));
        Assert.False(model.TryGetProperty("onnxruntime_ms", out _));
    }

    [Fact]
    public void Compare_lists_every_family_at_its_headline_configurations()
    {
        var names = LightNets.Cli.Commands.CompareCommand.Headlines.Select(h => h.Model).ToArray();
        Assert.Equal(18, names.Length);
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.All(names, n => LightNets.Models.ModelZoo.Find(n));
    }

    [Fact]
    public void Chart_text_is_drawn_with_a_real_font()
    {
        // With the fontconfig-less native Skia build, ScottPlot draws no glyphs at all and titles vanish silently.
        var plot = ChartStyle.NewPlot("TITLE TITLE TITLE", "x", "y");
        var path = ChartStyle.Save(plot, Path.Combine(_dir, "title.png"), 600, 300);
        using var bitmap = SKBitmap.Decode(path);
        var dark = 0;
        for (var y = 0; y < 40; y++)
            for (var x = 150; x < 450; x++)
                if (bitmap.GetPixel(x, y).Red < 128) dark++;
        Assert.True(dark > 300, $"only {dark} dark pixels where the title should be");
    }

    /// <summary>A PNG with content: the signature, a real size, and enough ink for text and marks.</summary>
    private static void AssertChart(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        Assert.True(bytes.Length > 20_000, $"{path}: only {bytes.Length} bytes");
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.True(bitmap.Width >= 1000 && bitmap.Height >= 500, $"{path}: {bitmap.Width}×{bitmap.Height}");
    }
}
