using System.Text.RegularExpressions;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tests.Runtime;
using LightNets.Tests.Runtime.Cpu;

namespace LightNets.Tests.Training.Kernels;

/// <summary>
/// Re-runs this namespace's training-kernel tests in child processes whose JIT ignores AVX-512
/// (<c>DOTNET_EnableAVX512=0</c>) and all hardware intrinsics (<c>DOTNET_EnableHWIntrinsic=0</c>), as
/// <see cref="TierProcessTests"/> does for the inference kernels: the V256 and scalar paths then run as the only paths
/// a process has, chosen by <see cref="CpuCaps.Best"/>. The filter leaves this class out, and a child never starts
/// children of its own.
/// </summary>
public class TrainTierProcessTests
{
    private const string Filter = "FullyQualifiedName~LightNets.Tests.Training.Kernels.&FullyQualifiedName!~TrainTierProcessTests";

    [Fact]
    public async Task Training_kernel_tests_pass_with_avx512_and_with_all_intrinsics_disabled()
    {
        if (Environment.GetEnvironmentVariable(TierProcessTests.ChildVariable) is not null) return;

        var runs = new List<(string Variable, Task<(int Code, string Output)> Run)>();
        if (CpuCaps.Best >= Isa.V256) runs.Add(("DOTNET_EnableAVX512", TierProcessTests.RunChild("DOTNET_EnableAVX512", Isa.V256, Filter)));
        if (CpuCaps.Best >= Isa.V128) runs.Add(("DOTNET_EnableAVX2", TierProcessTests.RunChild("DOTNET_EnableAVX2", Isa.V128, Filter)));
        runs.Add(("DOTNET_EnableHWIntrinsic", TierProcessTests.RunChild("DOTNET_EnableHWIntrinsic", Isa.Scalar, Filter)));

        foreach (var (variable, run) in runs)
        {
            var (code, output) = await run;
            var tail = output.Length <= 4000 ? output : output[^4000..];
            Assert.True(code == 0 && output.Contains("Test Run Successful.", StringComparison.Ordinal),
                $"{variable}=0: the child test run failed (exit code {code})\n{tail}");
            var total = Regex.Match(output, @"Total tests:\s*(\d+)");
            Assert.True(total.Success && int.Parse(total.Groups[1].Value) >= 20, $"{variable}=0: too few tests ran in the child\n{tail}");
            Assert.Matches($@"Passed\s+\S*{nameof(TrainTierTests.Best_tier_is_the_one_the_parent_process_expects)}", output);
        }
    }
}

/// <summary>In a child of <see cref="TrainTierProcessTests"/>, fails unless the process really runs at the tier the parent expects.</summary>
public class TrainTierTests
{
    [Fact]
    public void Best_tier_is_the_one_the_parent_process_expects()
    {
        var expected = Environment.GetEnvironmentVariable(IsaTierTests.ExpectedBestVariable);
        if (expected is not null) Assert.Equal(expected, CpuCaps.Best.Word());
        Assert.Equal(Enum.GetValues<Isa>().Where(i => i <= CpuCaps.Best), TrainKernelKit.Tiers);
    }
}
