using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tests.Runtime.Cpu;

namespace LightNets.Tests.Runtime;

/// <summary>
/// Re-runs the CPU kernel tests and the compiled plan's NaN/±∞ tests (namespace <c>LightNets.Tests.Runtime.Cpu</c>) in
/// child processes whose JIT is told to ignore AVX-512 (<c>DOTNET_EnableAVX512=0</c>), AVX2 (<c>DOTNET_EnableAVX2=0</c>,
/// which leaves 128-bit SSE) and all hardware intrinsics (<c>DOTNET_EnableHWIntrinsic=0</c>), so
/// the V256, V128 and scalar paths are also exercised as the only paths a process has, with the dispatch decided by
/// <see cref="CpuCaps.Best"/> rather than forced by a test argument.
/// <para>
/// The child runs <c>dotnet test</c> on this very test assembly (no build), filtered to that namespace, which this
/// class is outside of; it also sets <see cref="ChildVariable"/>, on which this class does nothing, so a child can
/// never start children of its own.
/// </para>
/// </summary>
public class TierProcessTests
{
    internal const string ChildVariable = "LIGHTNETS_TIER_CHILD";
    private const string Filter = "FullyQualifiedName~LightNets.Tests.Runtime.Cpu.";

    [Fact]
    public async Task Cpu_kernel_tests_pass_with_avx512_and_with_all_intrinsics_disabled()
    {
        if (Environment.GetEnvironmentVariable(ChildVariable) is not null) return;

        // Both children at once: they are independent, and each mostly waits on its own test host.
        var runs = new List<(string Variable, Task<(int Code, string Output)> Run)>();
        if (CpuCaps.Best >= Isa.V256) runs.Add(("DOTNET_EnableAVX512", RunChild("DOTNET_EnableAVX512", Isa.V256)));
        if (CpuCaps.Best >= Isa.V128) runs.Add(("DOTNET_EnableAVX2", RunChild("DOTNET_EnableAVX2", Isa.V128)));
        runs.Add(("DOTNET_EnableHWIntrinsic", RunChild("DOTNET_EnableHWIntrinsic", Isa.Scalar)));

        foreach (var (variable, run) in runs)
        {
            var (code, output) = await run;
            // The console logger at normal verbosity lists every test and ends with "Test Run Successful." and the totals.
            Assert.True(code == 0 && output.Contains("Test Run Successful.", StringComparison.Ordinal),
                $"{variable}=0: the child test run failed (exit code {code})\n{Tail(output)}");
            var total = Regex.Match(output, @"Total tests:\s*(\d+)");
            Assert.True(total.Success && int.Parse(total.Groups[1].Value) >= 20,
                $"{variable}=0: too few tests ran in the child\n{Tail(output)}");
            // The tier check itself must have run in the child (it fails there unless CpuCaps.Best is the lower tier).
            Assert.Matches($@"Passed\s+\S*{nameof(IsaTierTests.Best_tier_is_the_one_the_parent_process_expects)}", output);
        }
    }

    /// <summary>Runs the tests that <paramref name="filter"/> selects in a child whose <paramref name="variable"/> is 0.</summary>
    internal static Task<(int, string)> RunChild(string variable, Isa expected, string filter = Filter) =>
        RunTests(filter, variable, new Dictionary<string, string> { [IsaTierTests.ExpectedBestVariable] = expected.Word() });

    /// <summary>
    /// Runs the tests that <paramref name="filter"/> selects in a child `dotnet test` of this assembly with
    /// <paramref name="variable"/>=0, the child marker and <paramref name="environment"/> set; its exit code and output.
    /// </summary>
    internal static async Task<(int, string)> RunTests(string filter, string variable, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var arg in new[] { "test", typeof(TierProcessTests).Assembly.Location, "--filter", filter,
                     "--logger", "console;verbosity=normal" })
            start.ArgumentList.Add(arg);
        start.Environment[variable] = "0";
        start.Environment[ChildVariable] = "1";
        foreach (var (name, value) in environment) start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{variable}=0: child test run did not finish in 5 minutes");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The dotnet host running this test: the one the SDK advertises, else the one beside this runtime.</summary>
    internal static string DotnetHost()
    {
        var advertised = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(advertised) && File.Exists(advertised)) return advertised;
        // The runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/; the host is <root>/dotnet.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }

    private static string Tail(string output) => output.Length <= 4000 ? output : output[^4000..];
}
