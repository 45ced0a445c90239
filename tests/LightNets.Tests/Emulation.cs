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
