using System.Reflection;
using LightNets.Cli;

namespace LightNets.Tests.Cli;

public class RootCommandTests
{
    [Fact]
    public void Version_prints_the_informational_version_and_exits_zero()
    {
        var r = CliRunner.Run("--version");
        Assert.Equal(0, r.ExitCode);
        var expected = typeof(LightNetsCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal($"lightnets {expected}\n", r.Stdout.ReplaceLineEndings("\n"));
        Assert.Matches(@"^lightnets \d+\.\d+\.\d+", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void No_command_prints_the_usage_on_stderr_and_exits_2()
    {
        var r = CliRunner.Run();
        Assert.Equal(LightNetsCli.ExitUsage, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.StartsWith("lightnets: a command is required.", r.Stderr);
        Assert.Contains("Usage:", r.Stderr);
        foreach (var command in new[] { "models", "info", "export", "run", "bench", "classify", "guidelines", "compare" })
            Assert.Contains($"  {command}", r.Stderr);
    }

    [Fact]
    public void Help_lists_the_values_of_each_choice_option_and_its_default()
    {
        var r = CliRunner.Run("info", "--help");
        Assert.Contains("--rounding <paper|timm|torchvision>", r.Stdout);
        Assert.Contains("--layout <paper|torchvision|megvii>", r.Stdout);
        Assert.Contains("--format <table|csv|json|markdown>", r.Stdout);
        Assert.Contains("Output format. Default: table.", r.Stdout);
        var bad = CliRunner.Run("info", "mobilenetv3_large_100", "--rounding", "tf");
        Assert.Equal(LightNetsCli.ExitUsage, bad.ExitCode);
        Assert.StartsWith("lightnets: error: --rounding takes paper, timm or torchvision, not 'tf'", bad.Stderr);
    }
}
