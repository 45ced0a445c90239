using System.Text.Json;

namespace LightNets.Tests.Cli;

/// <summary><c>lightnets info</c> on graphs with several inputs and outputs: any graph that imports is costed.</summary>
public sealed class MultiIoInfoTests : IDisposable
{
    private readonly MultiIoModels _models = new();

    public void Dispose() => _models.Dispose();

    [Theory]
    [MemberData(nameof(MultiIoModels.OddNames), MemberType = typeof(MultiIoModels))]
    public void Info_costs_every_odd_graph_in_every_format(string name)
    {
        var file = _models.Odd(name);
        foreach (var format in new[] { "table", "csv", "json", "markdown" })
        {
            var r = CliRunner.Run(format == "csv" ? ["info", file, "--format", format, "--table", "layers"] : ["info", file, "--format", format]);
            Assert.True(r.ExitCode == 0, $"{name} --format {format}: {r.Stderr}");
            Assert.Equal("", r.Stderr);
        }
    }

    [Fact]
    public void The_header_lists_every_input_and_output_with_its_shape()
    {
        var r = CliRunner.Run("info", _models.Odd("two_inputs_two_outputs"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var header = Header(r.Stdout);
        Assert.Contains("inputs 'x' 1×4×6×6, 'z' 1×4×6×6", header);
        Assert.Contains("outputs 'y' 1×8×6×6, 'gated' 1×4×6×6", header);

        // One input and one output: the header is as it always was.
        var single = CliRunner.Run("info", "mobilenetv2_050", "--resolution", "96");
        Assert.EndsWith(", input 1×3×96×96", Header(single.Stdout));
    }

    /// <summary>The title above the first table, on one line (a long one wraps at the table's width).</summary>
    private static string Header(string stdout) =>
        string.Join(" ", stdout[..stdout.IndexOf('╭')].Split([' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void Json_names_every_input_and_output()
    {
        var r = CliRunner.Run("info", _models.Odd("two_inputs_two_outputs"), "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var inputs = doc.RootElement.GetProperty("inputs").EnumerateArray().ToArray();
        Assert.Equal(["x", "z"], inputs.Select(i => i.GetProperty("name").GetString()));
        Assert.Equal([1, 4, 6, 6], inputs[1].GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        var outputs = doc.RootElement.GetProperty("outputs").EnumerateArray().ToArray();
        Assert.Equal(["y", "gated"], outputs.Select(o => o.GetProperty("name").GetString()));
        Assert.Equal([1, 8, 6, 6], outputs[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
    }

    /// <summary>The classifier is found from the class scores, wherever they are among the outputs.</summary>
    [Theory]
    [InlineData("logits", "features")]
    [InlineData("features", "logits")]
    public void The_classifier_is_found_whichever_output_comes_first(string first, string second)
    {
        var r = CliRunner.Run("info", _models.Write("m", MultiIoModels.Classifier(false, first, second)), "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var macs = doc.RootElement.GetProperty("macs").GetInt64();
        // The FC layer: 16 features × 5 classes.
        Assert.Equal(macs - 16 * 5, doc.RootElement.GetProperty("macs_without_classifier").GetInt64());
    }
}
