using System.Text.Json;
using LightNets.Tests.Experiments.Advice;
using SkiaSharp;

namespace LightNets.Tests.Cli;

/// <summary>
/// <c>advise</c>: bad input ends as one line on stderr and a non-zero exit before anything is measured; a real run
/// on an ONNX export of a non-zoo architecture writes the JSON, the Markdown report and the chart.
/// </summary>
[Collection("Advice timing")]
public sealed class AdviseCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lightnets-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("advise mobilenetv2_100 --threads 0", 2, "--threads must be 1 to 1024, got 0")]
    [InlineData("advise mobilenetv2_100 --format csv", 2, "'csv'")]
    [InlineData("advise mobilenetv2_100 --imbalance 0.5", 2, "--imbalance must be 1 to")]
    [InlineData("advise no_such_model_100", 1, "no_such_model_100")]
    [InlineData("advise /nonexistent/model.onnx", 1, "no such ONNX file: /nonexistent/model.onnx")]
    public void Bad_arguments_are_one_line_on_stderr_and_a_non_zero_exit(string args, int code, string message)
    {
        var r = CliRunner.Run([.. args.Split(' '), "--out", _dir]);
        Assert.Equal(code, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    public void A_file_that_is_not_a_whole_onnx_model_is_refused_by_the_loader_in_one_line(string kind)
    {
        Directory.CreateDirectory(_dir);
        var bad = Path.Combine(_dir, kind + ".onnx");
        var real = File.ReadAllBytes(AdviceFixtures.ResNet);
        File.WriteAllBytes(bad, kind == "garbage" ? [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x12, 0x03, 0x61] : real[..(real.Length / 2)]);
        var r = CliRunner.Run("advise", bad, "--out", Path.Combine(_dir, "out"));
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("lightnets: error: ", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void An_out_path_that_is_a_file_is_refused_before_measuring()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "file");
        File.WriteAllText(file, "x");
        var r = CliRunner.Run("advise", AdviceFixtures.ResNet, "--out", file);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--out", r.Stderr);
        Assert.DoesNotContain("advise: measure", r.Stderr);
    }

    [Fact]
    public void ResNet_export_json_report_and_chart()
    {
        var r = CliRunner.Run("advise", AdviceFixtures.ResNet, "--quick", "--format", "json", "--out", _dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal("resnet_tiny", root.GetProperty("graph").GetString());
        Assert.True(root.GetProperty("unfused_ms").GetDouble() > 0);
        var findings = root.GetProperty("findings").EnumerateArray().ToArray();
        Assert.NotEmpty(findings);
        // Ranked by time at stake.
        var stakes = findings.Select(f => f.GetProperty("at_stake_us").GetDouble()).ToArray();
        Assert.Equal(stakes.OrderByDescending(x => x), stakes);
        // The bottlenecks' 1×1 convs (4:1 and 1:4) are G1; the residual adds and ReLUs are G4.
        Assert.Contains(findings, f => f.GetProperty("guideline").GetString() == "G1" && f.GetProperty("title").GetString()!.Contains("4:1"));
        Assert.Contains(findings, f => f.GetProperty("guideline").GetString() == "G4" && f.GetProperty("title").GetString() == "element-wise operations");
        var unattributed = root.GetProperty("unattributed").EnumerateArray().Select(u => u.GetProperty("kind").GetString()).ToArray();
        Assert.Contains("pooling", unattributed);
        Assert.Contains("fully connected", unattributed);
        var layers = root.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(root.GetProperty("per_op_total_us").GetDouble(), layers.Sum(l => l.GetProperty("time_us").GetDouble()), 3);

        using var png = SKBitmap.Decode(Path.Combine(_dir, "advice.png"));
        Assert.Equal(1100, png.Width);
        var md = File.ReadAllText(Path.Combine(_dir, "report.md"));
        Assert.Contains("## Findings, ranked by measured time at stake", md);
        Assert.Contains("![time share vs FLOPs share per layer](advice.png)", md);
        using var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "advice.json")));
        Assert.Equal(findings.Length, saved.RootElement.GetProperty("findings").GetArrayLength());
        Assert.Contains("advise: wrote", r.Stderr);
        // Redirected (here: captured), progress is plain lines on stderr, never on stdout.
        Assert.Contains("advise: measure the network (fused and unfused): 1/", r.Stderr);
        Assert.Contains("advise: time layers and their counterfactuals: 1/", r.Stderr);
    }
}
