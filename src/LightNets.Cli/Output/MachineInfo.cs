using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Cli.Output;

/// <summary>What a measurement ran on: every timing LightNets prints says where and when it was taken.</summary>
internal static class MachineInfo
{
    /// <summary>e.g. "AMD EPYC 9R45 (2 cores, avx512), .NET 10.0.0, 2026-01-05 12:00 UTC".</summary>
    public static string Describe() =>
        $"{CpuModel()} ({Environment.ProcessorCount} cores, {CpuCaps.Best.Word()}), .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC";

    public static string CpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
            }
        }
        catch (IOException)
        {
            // fall through: the model name is decoration
        }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>"1 min 05 s", "42 s".</summary>
    public static string Duration(double seconds) => seconds >= 60
        ? $"{(int)(seconds / 60)} min {(int)(seconds % 60):00} s"
        : $"{seconds:0} s";
}
