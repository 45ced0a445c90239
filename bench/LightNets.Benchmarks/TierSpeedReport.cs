using LightNets.Graphs;
using LightNets.Models;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;

namespace LightNets.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/LightNets.Benchmarks -- tier-speed [--threads N] [--rounds R] [--runs K]
/// [MODEL...]</c>: each zoo model compiled for every SIMD tier this process has (v512, v256, v128, scalar) and timed in
/// the same process, interleaved (see <see cref="Interleaved"/>); the medians and each tier's time against the next
/// wider one. The scalar tier, ~100× slower, runs K/20 times a round. Issue 14's targets are read from it: v128 within
/// 2.2× of v256 on MobileNetV2 (half the width), and at least 3× faster than scalar.
/// </summary>
public static class TierSpeedReport
{
    private static readonly string[] DefaultModels = ["mobilenetv2_100", "shufflenetv2_100", "mobilenetv3_large_100", "mobilenetv1_100"];

    public static int Run(string[] args)
    {
        var threads = BenchArgs.Option(args, "--threads", 1);
        var rounds = BenchArgs.Option(args, "--rounds", 10);
        var runs = BenchArgs.Option(args, "--runs", 20);
        var models = BenchArgs.Models(args, "--threads", "--rounds", "--runs");
        if (models.Length == 0) models = DefaultModels;
        var tiers = CpuCaps.Available.Reverse().ToArray();
        Console.WriteLine($"SIMD tiers against each other, batch 1, {threads} thread(s), {rounds} rounds interleaved; {CpuCaps.Describe()}, {DateTime.Now:yyyy-MM-dd HH:mm}");
        foreach (var name in models)
        {
            var graph = ModelZoo.Build(name, new ModelOptions { Init = new WeightInit(Seed: 1, RandomizeStatistics: true) });
            var shape = graph.Inputs[0].Shape;
            var sessions = tiers.Select(t => new InferenceSession(graph, new SessionOptions { Threads = threads, Isa = t })).ToArray();
            try
            {
                var x = new Rng(7).NormalTensor(1, shape[1], shape[2], shape[3]).Data;
                var counts = tiers.Select(t => t == Isa.Scalar ? Math.Max(1, runs / 20) : runs).ToArray();
                var medians = Interleaved.Medians(sessions, x, counts, rounds);
                var line = string.Join("  ", tiers.Select((t, i) => $"{t.Word()} {medians[i]:F3} ms" +
                    (i == 0 ? "" : $" ({medians[i] / medians[i - 1]:F2}× {tiers[i - 1].Word()})")));
                Console.WriteLine($"{name,-24} {line}");
            }
            finally
            {
                foreach (var s in sessions) s.Dispose();
            }
        }
        return 0;
    }
}
