using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Tests;

/// <summary>
/// Whether this test process runs under an emulator: tests/LightNets.Portable.Tests/qemu-arm64.sh sets
/// <see cref="Variable"/> when it runs the linux-arm64 build under user-mode QEMU, where everything is 10–25× slower.
/// There the zoo runs at a smaller resolution, and the few tests whose cost is minutes there and whose point is not the
/// processor skip themselves, each saying why (<see cref="NativeOnlyFactAttribute"/>).
/// </summary>
internal static class Emulation
{
    public const string Variable = "LIGHTNETS_TESTS_EMULATED";

    public static bool Active { get; } = Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>
    /// The tiers the tier sweeps run: every tier natively; under emulation only the best one, the tier written for the
    /// emulated processor (V128 on ARM64). The lower tiers are the same C# as on the host, where they are swept, and
    /// running them again at emulation speed would cost minutes of CI time.
    /// </summary>
    public static Isa[] Tiers => Active ? [CpuCaps.Best] : CpuCaps.Available.ToArray();

    public static string? SkipReason(string why) => Active ? $"not under emulation ({Variable}=1): {why}" : null;
}

/// <summary>A fact that runs natively only: under emulation it is skipped with <c>why</c> (<see cref="Emulation"/>).</summary>
public sealed class NativeOnlyFactAttribute : FactAttribute
{
    public NativeOnlyFactAttribute(string why) => Skip = Emulation.SkipReason(why);
}

/// <summary>A theory that runs natively only: under emulation it is skipped with <c>why</c> (<see cref="Emulation"/>).</summary>
public sealed class NativeOnlyTheoryAttribute : TheoryAttribute
{
    public NativeOnlyTheoryAttribute(string why) => Skip = Emulation.SkipReason(why);
}
