namespace LightNets.Tests;

/// <summary>
/// Whether this test process runs under an emulator: tests/LightNets.Portable.Tests/qemu-arm64.sh sets
/// <see cref="Variable"/> when it runs the linux-arm64 build under user-mode QEMU, where everything is 10–25× slower.
/// There the zoo runs at a smaller resolution, and the few full-size-model tests skip themselves, saying why; what is
/// checked (correctness against the reference) is the same, only the sizes are smaller.
/// </summary>
internal static class Emulation
{
    public const string Variable = "LIGHTNETS_TESTS_EMULATED";

    public static bool Active { get; } = Environment.GetEnvironmentVariable(Variable) == "1";

    public static string SkipReason => $"a full-size model: minutes under emulation ({Variable}=1); runs natively";
}

/// <summary>A fact on a full-size model: skipped under emulation (<see cref="Emulation"/>).</summary>
public sealed class FullSizeFactAttribute : FactAttribute
{
    public FullSizeFactAttribute()
    {
        if (Emulation.Active) Skip = Emulation.SkipReason;
    }
}

/// <summary>A theory on full-size models: skipped under emulation (<see cref="Emulation"/>).</summary>
public sealed class FullSizeTheoryAttribute : TheoryAttribute
{
    public FullSizeTheoryAttribute()
    {
        if (Emulation.Active) Skip = Emulation.SkipReason;
    }
}
