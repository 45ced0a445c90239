using System.Text.Json;

namespace LightNets.Tests.Cli;

public class ModelsAndInfoCommandTests
{
    [Fact]
    public void Models_json_lists_every_configuration_with_exact_counts()
    {
        var r = CliRunner.Run("models", "--format", "json");
        Assert.Equal(0, r.ExitCode);
        var rows = JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray().ToArray();
        Assert.Equal(LightNets.Models.ModelZoo.Configurations.Count, rows.Length);
        var v2 = rows.Single(e => e.GetProperty("model").GetString() == "mobilenetv2_100");
        Assert.Equal(3_504_872, v2.GetProperty("params").GetInt64());
        Assert.Equal(300_774_272, v2.GetProperty("macs").GetInt64());
        Assert.Equal(16_916_072, v2.GetProperty("mac").GetInt64());
        var v1At160 = rows.Single(e => e.GetProperty("model").GetString() == "mobilenetv1_100" && e.GetProperty("resolution").GetInt32() == 160);
        Assert.Equal(290_675_200, v1At160.GetProperty("macs").GetInt64());
    }

    [Theory]
    [InlineData("table")]
    [InlineData("csv")]
    [InlineData("markdown")]
    public void Models_other_formats_contain_the_rows(string format)
    {
        var r = CliRunner.Run("models", "--format", format);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("shufflenetv1_g8_050", r.Stdout);
        Assert.Contains(format == "csv" ? "2278604" : "2,278,604", r.Stdout);
    }

    [Fact]
    public void Info_json_has_the_documented_fields()
    {
        var r = CliRunner.Run("info", "shufflenet_v2_x1_0", "--format", "json");
        Assert.Equal(0, r.ExitCode);
        var o = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("shufflenetv2_100", o.GetProperty("model").GetString());
        Assert.Equal(224, o.GetProperty("resolution").GetInt32());
        Assert.Equal(2_278_604, o.GetProperty("params").GetInt64());
        Assert.Equal(2_262_424, o.GetProperty("params_no_bn").GetInt64());
        Assert.Equal(2_270_514, o.GetProperty("params_folded").GetInt64());
        Assert.Equal(144_907_992, o.GetProperty("macs").GetInt64());
        Assert.Equal(143_883_992, o.GetProperty("macs_without_classifier").GetInt64());
        Assert.Equal(6_250_088, o.GetProperty("mac").GetInt64());
        var layers = o.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(144_907_992, layers.Sum(l => l.GetProperty("macs").GetInt64()));
        Assert.Equal(1.0, layers.Sum(l => l.GetProperty("share").GetDouble()), 9);
    }

    [Fact]
    public void Info_applies_the_knobs()
    {
        var r = CliRunner.Run("info", "mobilenetv3_large_100", "--width", "0.75", "--rounding", "torchvision", "--format", "json");
        Assert.Equal(0, r.ExitCode);
        var o = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(3_377_576, o.GetProperty("params").GetInt64());
        Assert.Equal(140_033_816, o.GetProperty("macs").GetInt64());

        var v1 = JsonDocument.Parse(CliRunner.Run("info", "mobilenetv1_100", "--resolution", "128", "--format", "json").Stdout).RootElement;
        Assert.Equal(186_400_768, v1.GetProperty("macs").GetInt64());

        var sn1 = JsonDocument.Parse(CliRunner.Run("info", "shufflenetv1_g3_100", "--groups", "8", "--scale", "2", "--layout", "megvii", "--format", "json").Stdout).RootElement;
        Assert.Equal(6_521_232, sn1.GetProperty("params").GetInt64());
        Assert.Equal(521_942_016, sn1.GetProperty("macs").GetInt64());

        var sn2 = JsonDocument.Parse(CliRunner.Run("info", "shufflenetv2_200", "--layout", "paper", "--format", "json").Stdout).RootElement;
        Assert.Equal(590_783_000, sn2.GetProperty("macs").GetInt64());

        var k = JsonDocument.Parse(CliRunner.Run("info", "mobilenetv2_100", "--classes", "10", "--format", "json").Stdout).RootElement;
        Assert.Equal(3_504_872 - 1_281_000 + 12_810, k.GetProperty("params").GetInt64());
    }

    [Theory]
    [InlineData("layer", "features.1.dw")]
    [InlineData("block", "features.17")]
    [InlineData("node", "features.1.dw.bn")]
    public void Info_views(string by, string expected)
    {
        var r = CliRunner.Run("info", "mobilenet_v2", "--by", by);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(expected, r.Stdout);
        Assert.Contains("300,774,272", r.Stdout);
    }

    [Theory]
    [InlineData(new[] { "info", "mobilenetv2_10" }, "unknown model 'mobilenetv2_10'; nearest valid names: mobilenetv2_100")]
    [InlineData(new[] { "info", "mobilenetv2_100", "--width", "0" }, "width multiplier α must be > 0")]
    [InlineData(new[] { "info", "mobilenetv2_100", "--width", "-0.5" }, "width multiplier α must be > 0")]
    [InlineData(new[] { "info", "mobilenetv2_100", "--resolution", "16" }, "resolution must be between 32 and 4096")]
    [InlineData(new[] { "info", "mobilenetv2_100", "--resolution", "abc" }, "--resolution needs a whole number, got 'abc'")]
    [InlineData(new[] { "info", "shufflenetv1_g3_100", "--groups", "5" }, "defined for g = 1, 2, 3, 4 or 8")]
    [InlineData(new[] { "info", "mobilenetv2_100", "--groups", "3" }, "--groups does not apply to MobileNetV2")]
    [InlineData(new[] { "info", "shufflenetv2_100", "--scale", "0.75" }, "defined for 0.5×, 1×, 1.5× and 2× only")]
    [InlineData(new[] { "info", "mobilenetv2_100", "--width", "1", "--scale", "1" }, "give only one")]
    [InlineData(new[] { "info", "mobilenetv2_100", "--bogus" }, "Unrecognized command or argument '--bogus'")]
    [InlineData(new[] { "info", "mobilenetv2_100", "--format", "yaml" }, "yaml")]
    [InlineData(new[] { "info", "shufflenetv1_g3_100", "--layout", "torchvision" }, "ShuffleNetV1 has no torchvision layout")]
    [InlineData(new[] { "info", "mobilenetv2_100", "--classes", "0" }, "number of classes must be at least 1")]
    public void Bad_input_is_one_line_on_stderr_and_a_nonzero_exit(string[] args, string message)
    {
        var r = CliRunner.Run(args);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.StartsWith("lightnets: error: ", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Help_shows_the_counting_conventions()
    {
        var r = CliRunner.Run("info", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Counting conventions", r.Stdout);
        Assert.Contains("--resolution", r.Stdout);
    }
}
