using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu;

/// <summary>
/// The instruction-set tiers LightNets' kernels are written for, lowest first. Each optimized kernel has a
/// <see cref="V512"/> path (AVX-512F), a <see cref="V256"/> path (AVX2 + FMA), a <see cref="V128"/> path (any 128-bit
/// SIMD: ARM64 NEON/AdvSimd, x86 SSE, WebAssembly SIMD) and a <see cref="Scalar"/> path, chosen at run time; tests
/// force the lower tiers directly, and run whole processes with DOTNET_EnableAVX512=0 / DOTNET_EnableAVX2=0 /
/// DOTNET_EnableHWIntrinsic=0.
/// </summary>
public enum Isa
{
    Scalar,
    V128,
    V256,
    V512,
}

public static class CpuCaps
{
    /// <summary>
    /// The best tier this process may use (the JIT honours DOTNET_EnableAVX512 / DOTNET_EnableAVX2 /
    /// DOTNET_EnableHWIntrinsic). The 256- and 512-bit tiers exist only on x86 and need FMA; the 128-bit tier is written
    /// with the portable <see cref="Vector128"/> API alone, so it serves every processor .NET accelerates 128-bit
    /// vectors on (on ARM64 it is the best tier).
    /// </summary>
    public static Isa Best { get; } =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Fma.IsSupported ? Isa.V512
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? Isa.V256
        : Vector128.IsHardwareAccelerated ? Isa.V128
        : Isa.Scalar;

    public static bool Supports(Isa isa) => isa <= Best;

    /// <summary>Every tier this process can run, lowest first (for tests).</summary>
    public static IEnumerable<Isa> Available => Enum.GetValues<Isa>().Where(Supports);

    /// <summary>The ISA word of kernel ids: "scalar", "v128", "v256", "v512".</summary>
    public static string Word(this Isa isa) => isa.ToString().ToLowerInvariant();

    /// <summary>The processor's instruction set behind the 128-bit tier, for logs: "AdvSimd", "SSE4.1", "SSE2", "WASM" or "none".</summary>
    public static string Vector128Isa =>
        AdvSimd.Arm64.IsSupported ? "AdvSimd"
        : Sse41.IsSupported ? "SSE4.1"
        : Sse2.IsSupported ? "SSE2"
        : Vector128.IsHardwareAccelerated ? "portable"
        : "none";

    /// <summary>One line for logs and benchmark headers.</summary>
    public static string Describe() =>
        $"best={Best.Word()} ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}; Vector512 {Vector512.IsHardwareAccelerated}, " +
        $"Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated} [{Vector128Isa}], " +
        $"AVX-512F {Avx512F.IsSupported}, AVX2 {Avx2.IsSupported}, FMA {Fma.IsSupported})";
}

/// <summary>
/// Software prefetch, where the processor and .NET offer one: a hint to pull a cache line towards L2 ahead of its use
/// (the GEMM fetches the next layer's packed weights while it computes). .NET exposes prefetch only on x86; elsewhere
/// it is a no-op and the hardware prefetchers do the work.
/// </summary>
internal static unsafe class Prefetch
{
    public static bool IsSupported => Sse.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ToL2(void* p)
    {
        if (Sse.IsSupported) Sse.Prefetch2(p);
    }
}
