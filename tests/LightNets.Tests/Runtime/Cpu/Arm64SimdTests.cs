using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Tests.Runtime.Cpu;

/// <summary>A fact that runs only in an ARM64 process, and reports itself skipped elsewhere.</summary>
public sealed class Arm64FactAttribute : FactAttribute
{
    public Arm64FactAttribute()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.Arm64)
            Skip = $"an ARM64 process only (this one is {RuntimeInformation.ProcessArchitecture}); CI runs it under QEMU";
    }
}

/// <summary>
/// On ARM64 (every ARMv8-A core has Advanced SIMD), the 128-bit vectors must be there for the kernels to use: if the
/// runtime reported no AdvSimd, or did not accelerate Vector128, the kernels would quietly run the scalar tier; and the
/// best tier must be V128, the one written for it.
/// </summary>
public class Arm64SimdTests(ITestOutputHelper output)
{
    [Arm64Fact]
    public void The_process_has_advanced_simd_and_accelerated_128_bit_vectors()
    {
        output.WriteLine(CpuCaps.Describe());
        Assert.True(AdvSimd.IsSupported, "AdvSimd.IsSupported is false on an ARM64 process");
        Assert.True(Vector128.IsHardwareAccelerated, "Vector128.IsHardwareAccelerated is false on an ARM64 process");
        // And the kernels take their 128-bit paths, not the scalar ones.
        Assert.Equal(Isa.V128, CpuCaps.Best);
        Assert.Equal("AdvSimd", CpuCaps.Vector128Isa);
    }
}
