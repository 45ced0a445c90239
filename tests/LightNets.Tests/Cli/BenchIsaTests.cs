using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Tests.Cli;

/// <summary><c>bench --isa</c>: the tier asked for is the tier that runs (the first line names it), and one this process lacks is refused.</summary>
public sealed class BenchIsaTests
{
    [Fact]
    public void Bench_runs_the_tier_it_is_given()
    {
        foreach (var isa in CpuCaps.Available)
        {
            var name = isa.ToString().ToLowerInvariant();
            var r = CliRunner.Run("bench", "mobilenetv2_035", "--resolution", "64", "--runs", "2", "--warmup", "0", "--threads", "1", "--isa", name);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains($"1 thread(s), {name},", r.Stdout);
        }
    }

    [Fact]
    public void Bench_refuses_an_unknown_tier()
    {
        var r = CliRunner.Run("bench", "mobilenetv2_035", "--isa", "v1024");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--isa takes scalar, v128, v256 or v512, not 'v1024'", r.Stderr);
    }
}
