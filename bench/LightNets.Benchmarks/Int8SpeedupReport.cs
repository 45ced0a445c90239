using LightNets.Graphs;
using LightNets.Models;
using LightNets.Quantization;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;

namespace LightNets.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/LightNets.Benchmarks -- int8-speedup [--threads N] [--rounds R] [--runs K]
/// [--profile] [--separate] [--reduce-range] [MODEL...]</c>: each zoo model (random weights, BN statistics random) in float32 and quantized in this
/// process (min-max on 16 random images), both compiled by LightNets and timed in the same process, interleaved: R
/// rounds of K runs of each, alternating which goes first; the medians of all runs and their ratio. The VM's speed
/// drifts by 20 % from minute to minute, so only ratios measured this way say what int8 gains.
/// </summary>
public static class Int8SpeedupReport
{
    private static readonly string[] DefaultModels = ["mobilenetv2_100", "shufflenetv2_100", "mobilenetv3_large_100"];

    public static int Run(string[] args)
    {
        var threads = BenchArgs.Option(args, "--threads", 1);
        var rounds = BenchArgs.Option(args, "--rounds", 20);
        var runs = BenchArgs.Option(args, "--runs", 20);
        var profile = args.Contains("--profile");
        var separate = args.Contains("--separate"); // int8 layers as separate steps (no bands), to see each kernel's time
        // 7-bit weights: every 1×1 layer then passes the pair check and runs the vpmaddubsw form (see README, int8).
        var reduceRange = args.Contains("--reduce-range");
        var models = BenchArgs.Models(args, "--threads", "--rounds", "--runs");
        if (models.Length == 0) models = DefaultModels;
        Console.WriteLine($"int8{(reduceRange ? " (7-bit weights)" : "")} against float32, batch 1, {threads} thread(s), {rounds}×{runs} runs each, " +
                          $"interleaved; {CpuCaps.Describe()}, {DateTime.Now:yyyy-MM-dd HH:mm}");
        foreach (var name in models)
        {
            var graph = ModelZoo.Build(name, new ModelOptions { Init = new WeightInit(Seed: 1, RandomizeStatistics: true) });
            var shape = graph.Inputs[0].Shape;
            var quantizer = new PostTrainingQuantizer(graph, new QuantizeOptions { ReduceRange = reduceRange });
            quantizer.Calibrate([.. Enumerable.Range(0, 2).Select(b => new Rng(100 + (ulong)b).NormalTensor(8, shape[1], shape[2], shape[3]))], threads: Environment.ProcessorCount);
            var int8 = quantizer.Build();
            using var f32 = new InferenceSession(graph, new SessionOptions { Threads = threads });
            using var i8 = new InferenceSession(int8, new SessionOptions { Threads = threads, Bands = !separate });
            var x = new Rng(7).NormalTensor(1, shape[1], shape[2], shape[3]).Data;
            var yf = new float[f32.Run(new Tensor(shape, x)).Length];
            var yi = new float[yf.Length];
            var (tf, ti) = (new List<double>(), new List<double>());
            for (var w = 0; w < 20; w++) { f32.Run(x, yf); i8.Run(x, yi); }
            for (var r = 0; r < rounds; r++)
            {
                if (r % 2 == 0) { Interleaved.Time(f32, x, yf, runs, tf); Interleaved.Time(i8, x, yi, runs, ti); }
                else { Interleaved.Time(i8, x, yi, runs, ti); Interleaved.Time(f32, x, yf, runs, tf); }
            }
            var (mf, mi) = (Interleaved.Median(tf), Interleaved.Median(ti));
            Console.WriteLine($"{name,-24} float32 {mf:F3} ms  int8 {mi:F3} ms  int8 speed-up {mf / mi:F2}×");
            if (!profile) continue;
            var pf = f32.Profile(x, yf, runs: 100, warmup: 10);
            var pi = i8.Profile(x, yi, runs: 100, warmup: 10);
            foreach (var s in pi) Console.WriteLine($"  int8 {s.MedianMicroseconds,8:F1} µs  {s.Operator}");
            foreach (var s in pf) Console.WriteLine($"  f32  {s.MedianMicroseconds,8:F1} µs  {s.Operator}");
        }
        return 0;
    }
}
