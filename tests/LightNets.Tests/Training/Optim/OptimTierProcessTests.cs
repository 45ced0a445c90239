using System.Diagnostics;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Text.RegularExpressions;
using LightNets.Tests.Runtime;

namespace LightNets.Tests.Training.Optim;

/// <summary>
/// The optimizer and EMA loops use <see cref="Vector{T}"/>, whose width the JIT picks per process (256 bits here).
/// This re-runs this namespace's tests in child processes with 128-bit vectors (<c>DOTNET_EnableAVX2=0</c>) and with no
/// hardware intrinsics at all (<c>DOTNET_EnableHWIntrinsic=0</c>: software vectors and software fused multiply-adds),
/// so the SIMD/plain equality and the bit-for-bit match with torch.optim hold at every width. A child sees
/// <see cref="ChildVariable"/> and starts no children of its own.
/// </summary>
public class OptimTierProcessTests
{
    private const string ChildVariable = "LIGHTNETS_OPTIM_TIER_CHILD";
    private const string ExpectedVectorBytes = "LIGHTNETS_OPTIM_EXPECT_VECTOR_BYTES";
    private const string Filter = "FullyQualifiedName~LightNets.Tests.Training.Optim.";

    [Fact]
    public async Task Optimizer_tests_pass_with_128_bit_vectors_and_with_all_intrinsics_disabled()
    {
        if (Environment.GetEnvironmentVariable(ChildVariable) is not null) return;
        var runs = new List<(string Variable, Task<(int Code, string Output)> Run)>();
        if (Vector<byte>.Count > 16) runs.Add(("DOTNET_EnableAVX2", RunChild("DOTNET_EnableAVX2", accelerated: true)));
        runs.Add(("DOTNET_EnableHWIntrinsic", RunChild("DOTNET_EnableHWIntrinsic", accelerated: false)));
        foreach (var (variable, run) in runs)
        {
            var (code, output) = await run;
            Assert.True(code == 0 && output.Contains("Test Run Successful.", StringComparison.Ordinal),
                $"{variable}=0: the child test run failed (exit code {code})\n{Tail(output)}");
            var total = Regex.Match(output, @"Total tests:\s*(\d+)");
            Assert.True(total.Success && int.Parse(total.Groups[1].Value) >= 50, $"{variable}=0: too few tests ran in the child\n{Tail(output)}");
            Assert.Matches($@"Passed\s+\S*{nameof(Vectors_are_as_wide_as_the_parent_process_expects)}", output);
        }
    }

    /// <summary>In a child, fails unless the JIT really gave this process the vectors the parent asked for.</summary>
    [Fact]
    public void Vectors_are_as_wide_as_the_parent_process_expects()
    {
        var expected = Environment.GetEnvironmentVariable(ExpectedVectorBytes);
        if (expected is null) return;
        var accelerated = expected.StartsWith('+');
        Assert.Equal(int.Parse(expected.TrimStart('+', '-')), Vector<byte>.Count);
        Assert.Equal(accelerated, Vector.IsHardwareAccelerated);
        Assert.Equal(accelerated, Vector128.IsHardwareAccelerated);
    }

    private static Task<(int, string)> RunChild(string variable, bool accelerated) =>
        TierProcessTests.RunTests(Filter, variable, new Dictionary<string, string> { [ChildVariable] = "1", [ExpectedVectorBytes] = (accelerated ? "+" : "-") + "16" });

    private static string Tail(string output) => output.Length <= 4000 ? output : output[^4000..];
}
