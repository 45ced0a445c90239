using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using LightNets.Runtime.Kernels.Cpu;

[assembly: AssemblyFixture(typeof(LightNets.Tests.PlatformBanner))]

namespace LightNets.Tests;

/// <summary>
/// Prints one line before the first test: the architecture the process really runs on and the SIMD tier the kernels
/// chose. Under QEMU this is the run's evidence that the linux-arm64 build ran, and on which tier (.ci/run shows it).
/// </summary>
public sealed class PlatformBanner
{
    public PlatformBanner() => Console.WriteLine(
        $"LightNets tests: {RuntimeInformation.ProcessArchitecture} process, {RuntimeInformation.FrameworkDescription}, " +
        $"tier {CpuCaps.Best.Word()}; AdvSimd {AdvSimd.IsSupported}, Vector128 {Vector128.IsHardwareAccelerated}; {CpuCaps.Describe()}");
}
