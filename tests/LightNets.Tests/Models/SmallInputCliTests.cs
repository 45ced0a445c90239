using System.Text.Json;
using LightNets.Tests.Cli;

namespace LightNets.Tests.Models;

/// <summary>The small-input variant and the 1-channel input through the command line: info's layer table, its JSON, models, errors.</summary>
public class SmallInputCliTests
{
    [Fact]
    public void Info_prints_the_layer_table_of_the_fashion_mnist_shufflenet()
    {
        var r = CliRunner.Run("info", "shufflenetv2_050", "--small-input", "--input-channels", "1", "--classes", "10", "--resolution", "32");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
        var lines = r.Stdout.Split('\n');
        // The header names the variant; the stem takes 1 channel at stride 1 and the first unit reads the full 32×32 map.
        Assert.Contains(lines, l => l.Contains("shufflenetv2_050") && l.Contains("small-input conv1 at stride 1 and no max-pool"));
        Assert.Contains(lines, l => l.Contains("stem.conv1") && l.Contains("conv 3×3 1→24") && l.Contains("1×1×32×32") && l.Contains("1×24×32×32"));
        Assert.DoesNotContain(lines, l => l.Contains("maxpool"));
        Assert.Contains(lines, l => l.Contains("stage2.0.branch1.dw") && l.Contains("1×24×32×32") && l.Contains("1×24×16×16"));
        Assert.Contains(lines, l => l.Contains("conv5") && l.Contains("1×1024×4×4"));
        Assert.Contains(lines, l => l.Contains("params ") && l.Contains("351,610"));
        Assert.Contains(lines, l => l.Contains("MACs ") && l.Contains("10,459,648"));
        // No ImageNet figure is offered for a network no paper published.
        Assert.DoesNotContain(lines, l => l.Contains("Published"));
    }

    [Fact]
    public void Info_json_records_the_variant_and_the_input()
    {
        var r = CliRunner.Run("info", "mobilenetv2_035", "--small-input", "--input-channels", "1", "--classes", "10", "--resolution", "28", "--format", "json");
        Assert.Equal(0, r.ExitCode);
        var o = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("stem and features.2 at stride 1 (down-samples 8×)", o.GetProperty("small_input").GetString());
        Assert.Equal([1, 1, 28, 28], o.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(408_650, o.GetProperty("params").GetInt64());
        Assert.Equal(12_841_824, o.GetProperty("macs").GetInt64());
        Assert.False(JsonDocument.Parse(CliRunner.Run("info", "mobilenetv2_035", "--format", "json").Stdout).RootElement.TryGetProperty("small_input", out _));
    }

    [Fact]
    public void Models_lists_the_small_input_candidates()
    {
        var r = CliRunner.Run("models", "--format", "json");
        Assert.Equal(0, r.ExitCode);
        var rows = JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray()
            .Where(e => e.GetProperty("configuration").GetString()!.Contains("small input")).ToArray();
        Assert.Equal(LightNets.Models.ModelZoo.SmallInputCandidates.Order(), rows.Select(e => e.GetProperty("model").GetString()!).Order());
        var shuffle = rows.Single(e => e.GetProperty("model").GetString() == "shufflenetv2_050");
        Assert.Equal("32px, small input, 1 channel, 10 classes", shuffle.GetProperty("configuration").GetString()!.Split(", ", 2)[1]);
        Assert.Equal(351_610, shuffle.GetProperty("params").GetInt64());
    }

    [Theory]
    [InlineData(new[] { "info", "mobilenetv2_035", "--resolution", "28" }, "down-samples by 32; for smaller images use its small-input variant, --small-input")]
    [InlineData(new[] { "info", "shufflenetv2_050", "--small-input", "--resolution", "7" }, "between 8 and 4096")]
    [InlineData(new[] { "info", "shufflenetv2_050", "--input-channels", "2" }, "1 (grayscale) or 3 (RGB) channels, got 2")]
    [InlineData(new[] { "export", "mobilenetv1_050", "--input-channels", "0", "-o", "/tmp/never.onnx" }, "1 (grayscale) or 3 (RGB) channels, got 0")]
    [InlineData(new[] { "info", "shufflenetv2_050", "--input-channels", "one" }, "--input-channels needs a whole number")]
    public void Bad_values_are_errors_that_say_what_to_do(string[] args, string message)
    {
        var r = CliRunner.Run(args);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Equal("", r.Stdout);
        // One error line (a parse error adds where to find help).
        var line = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0];
        Assert.StartsWith("lightnets: error: ", line);
        Assert.DoesNotContain("lightnets: error: ", r.Stderr[line.Length..]);
        Assert.Contains(message, line);
    }
}
