using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Tests.Runtime.Cpu;

/// <summary>
/// Which tiers this process runs. In a normal run it only reports them; when <see cref="TierProcessTests"/> re-runs
/// this namespace in a child process with the JIT's SIMD switched down, the parent passes the tier it expects in
/// <see cref="ExpectedBestVariable"/>, and this test fails unless the child really runs at that tier.
/// </summary>
public class IsaTierTests(ITestOutputHelper output)
{
    public const string ExpectedBestVariable = "LIGHTNETS_EXPECT_BEST_ISA";

    [Fact]
    public void Best_tier_is_the_one_the_parent_process_expects()
    {
        output.WriteLine(CpuCaps.Describe());
        var expected = Environment.GetEnvironmentVariable(ExpectedBestVariable);
        if (expected is not null) Assert.Equal(expected, CpuCaps.Best.Word());
        Assert.Equal(Enum.GetValues<Isa>().Where(i => i <= CpuCaps.Best), CpuCaps.Available);
    }

    [Fact]
    public unsafe void A_tier_this_process_cannot_run_falls_back_to_the_best_it_can()
    {
        // Asking for V512 must work everywhere (it runs the best available tier), so callers can always pass it.
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
        var y = new float[x.Length];
        fixed (float* px = x)
        fixed (float* py = y)
            Elementwise.Add(px, px, py, x.Length, FusedActivation.None, Isa.V512);
        Assert.Equal(x.Select(v => 2 * v), y);
    }
}
