using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu;

/// <summary>
/// The instruction-set tiers LightNets' kernels are written for. Each optimized kernel has a <see cref="V512"/> path
/// (AVX-512F), a <see cref="V256"/> path (AVX2 + FMA) and a <see cref="Scalar"/> path, chosen at run time; tests force
/// the lower tiers directly, and run whole processes with DOTNET_EnableAVX512=0 / DOTNET_EnableHWIntrinsic=0.
/// </summary>
public enum Isa
{
    Scalar,
    V256,
    V512,
}

public static class CpuCaps
{
    /// <summary>The best tier this process may use (the JIT honours DOTNET_EnableAVX512 / DOTNET_EnableHWIntrinsic).</summary>
    public static Isa Best { get; } =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Fma.IsSupported ? Isa.V512
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? Isa.V256
        : Isa.Scalar;

    public static bool Supports(Isa isa) => isa <= Best;

    /// <summary>Every tier this process can run, lowest first (for tests).</summary>
    public static IEnumerable<Isa> Available => Enum.GetValues<Isa>().Where(Supports);

    /// <summary>The ISA word of kernel ids: "scalar", "v256", "v512".</summary>
    public static string Word(this Isa isa) => isa.ToString().ToLowerInvariant();

    /// <summary>One line for logs and benchmark headers.</summary>
    public static string Describe() =>
        $"best={Best.Word()} (Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, " +
        $"AVX-512F {Avx512F.IsSupported}, AVX2 {Avx2.IsSupported}, FMA {Fma.IsSupported})";
}
