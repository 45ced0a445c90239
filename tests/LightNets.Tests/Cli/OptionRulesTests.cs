using LightNets.Cli;
using LightNets.Cli.Commands;

namespace LightNets.Tests.Cli;

/// <summary>
/// The same option follows the same rule in every command: each bad value is refused by every command that offers the
/// option, with one line naming the option, and before any work (these command lines would otherwise build models,
/// measure for minutes or write files).
/// </summary>
public class OptionRulesTests
{
    /// <summary>Shared options and values each must refuse, with the words of the refusal.</summary>
    public static readonly (string Option, string Value, string Message)[] BadValues =
    [
        ("--threads", "0", "--threads must be 1 to 1024, got 0"),
        ("--threads", "-1", "--threads must be 1 to 1024, got -1"),
        ("--threads", "1025", "--threads must be 1 to 1024, got 1025"),
        ("--threads", "two", "--threads needs a whole number, got 'two'"),
        ("--top", "0", "--top must be at least 1, got 0"),
        ("--top", "-3", "--top must be at least 1, got -3"),
        ("--batch", "0", "--batch must be 1 to 4096, got 0"),
        ("--batch", "4097", "--batch must be 1 to 4096, got 4097"),
        ("--batch", "200000", "--batch must be 1 to 4096, got 200000"),
        ("--batch", "99999999999", "--batch needs a whole number, got '99999999999'"),
        ("--runs", "0", "--runs must be 1 to 1000000, got 0"),
        ("--runs", "2000000000", "--runs must be 1 to 1000000, got 2000000000"),
        ("--warmup", "-1", "--warmup must be 0 to 1000000, got -1"),
        ("--rounds", "0", "--rounds must be 1 to 1000, got 0"),
        ("--rounds", "100000", "--rounds must be 1 to 1000, got 100000"),
    ];

    /// <summary>The smallest valid command line of each command, so that only the bad value is wrong.</summary>
    private static readonly Dictionary<string, string[]> Minimal = new()
    {
        ["models"] = [],
        ["info"] = ["mobilenetv2_050"],
        ["export"] = ["mobilenetv2_050", "-o", "never-written.onnx"],
        ["run"] = ["mobilenetv2_050", "--input", "never-read.npy"],
        ["bench"] = ["mobilenetv2_050"],
        ["classify"] = ["mobilenetv2_050", "never-read.png"],
        ["guidelines"] = ["--out", "never-written"],
        ["compare"] = ["--out", "never-written"],
        ["train"] = ["mobilenetv1_025", "--data", "never-read", "--out", "never-written"],
        ["evaluate"] = ["never-read.onnx", "--data", "never-read"],
        ["quantize"] = ["never-read.onnx", "--calibration", "never-read", "-o", "never-written.onnx"],
        ["bench-train"] = ["mobilenetv2_050"],
        ["advise"] = ["mobilenetv2_050", "--out", "never-written"],
    };

    /// <summary>Which commands offer which shared option, read from the command tree (a new command is covered by itself).</summary>
    public static TheoryData<string, string, string, string> CommandsAndBadValues()
    {
        var root = LightNetsCli.CreateRoot(TextWriter.Null, TextWriter.Null);
        var data = new TheoryData<string, string, string, string>();
        foreach (var command in root.Subcommands)
            foreach (var (option, value, message) in BadValues)
                if (command.Options.Any(o => o.Name == option))
                    data.Add(command.Name, option, value, message);
        return data;
    }

    [Theory]
    [MemberData(nameof(CommandsAndBadValues))]
    public void A_bad_value_is_refused_by_every_command_that_takes_the_option(string command, string option, string value, string message)
    {
        var r = CliRunner.Run([command, .. Minimal[command], option, value]);
        Assert.Equal(LightNetsCli.ExitUsage, r.ExitCode);
        Assert.StartsWith($"lightnets: error: {message}", r.Stderr);
        Assert.Equal("", r.Stdout);
        Assert.False(File.Exists("never-written.onnx") || Directory.Exists("never-written"));
    }

    [Fact]
    public void The_shared_options_are_where_they_are_expected()
    {
        var root = LightNetsCli.CreateRoot(TextWriter.Null, TextWriter.Null);
        string[] With(string option) => root.Subcommands.Where(c => c.Options.Any(o => o.Name == option)).Select(c => c.Name).Order().ToArray();
        Assert.Equal(["advise", "bench", "bench-train", "classify", "compare", "evaluate", "guidelines", "quantize", "run", "train"], With("--threads"));
        Assert.Equal(["classify", "run"], With("--top"));
        Assert.Equal(["advise", "bench", "bench-train", "classify", "evaluate", "export", "info", "train"], With("--batch"));
        Assert.Equal(["bench", "bench-train"], With("--runs"));
        Assert.Equal(["bench", "bench-train"], With("--warmup"));
        Assert.Equal(["bench-train", "compare", "guidelines"], With("--rounds"));
    }

    /// <summary>The bounds themselves are accepted (the parse has no error for them).</summary>
    [Theory]
    [InlineData("bench", "--threads", "1")]
    [InlineData("bench", "--threads", "1024")]
    [InlineData("bench", "--batch", "4096")]
    [InlineData("bench", "--runs", "1")]
    [InlineData("bench", "--warmup", "0")]
    [InlineData("run", "--top", "1")]
    [InlineData("compare", "--rounds", "1000")]
    public void The_bounds_are_inside_the_range(string command, string option, string value)
    {
        var p = LightNetsCli.CreateRoot(TextWriter.Null, TextWriter.Null).Parse([command, .. Minimal[command], option, value]);
        Assert.Empty(p.Errors);
    }

    [Fact]
    public void Bench_runs_exactly_the_runs_asked_for()
    {
        Assert.Equal([1], BenchCommand.RunsPerRound(1));
        Assert.Equal([1, 1, 1], BenchCommand.RunsPerRound(3));
        Assert.Equal([2, 2, 1, 1, 1, 1, 1, 1, 1, 1], BenchCommand.RunsPerRound(12));
        Assert.Equal(Enumerable.Repeat(20, 10), BenchCommand.RunsPerRound(200));
        for (var runs = 1; runs <= 250; runs++) Assert.Equal(runs, BenchCommand.RunsPerRound(runs).Sum());

        var r = CliRunner.Run("bench", "mobilenetv3_small_050", "--resolution", "32", "--runs", "1", "--warmup", "0", "--threads", "1", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = System.Text.Json.JsonDocument.Parse(r.Stdout);
        Assert.Equal(1, json.RootElement.GetProperty("runs").GetInt32());
    }
}
