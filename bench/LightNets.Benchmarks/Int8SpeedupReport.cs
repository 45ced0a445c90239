using LightNets.Graphs;
using LightNets.Models;
using LightNets.Quantization;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;

namespace LightNets.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/LightNets.Benchmarks -- int8-speedup [--threads N] [--rounds R] [--runs K]
/// [--profile] [--separate] [--reduce-range] [MODEL...]</c>: each zoo model (random weights, BN statistics random) in
/// float32 and quantized in this process (min-max on 16 random images; with <c>--reduce-range</c> also with 7-bit
/// weights), all compiled by LightNets and timed in the same process, interleaved: R rounds of K runs of each, each
/// round starting with the next plan; the medians of all runs and their ratios to float32. The VM's speed drifts by 20 %
/// from minute to minute, so only ratios measured this way say what int8 gains.
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
        // Also 7-bit weights, timed in the same rounds: every 1×1 layer then passes the pair check and runs the
        // vpmaddubsw form (see README, int8).
        var reduceRange = args.Contains("--reduce-range");
        var models = BenchArgs.Models(args, "--threads", "--rounds", "--runs");
        if (models.Length == 0) models = DefaultModels;
        Console.WriteLine($"int8{(reduceRange ? " (8-bit and 7-bit weights)" : "")} against float32, batch 1, {threads} thread(s), {rounds}×{runs} runs " +
                          $"each, interleaved; {CpuCaps.Describe()}, {DateTime.Now:yyyy-MM-dd HH:mm}");
        foreach (var name in models)
        {
            var graph = ModelZoo.Build(name, new ModelOptions { Init = new WeightInit(Seed: 1, RandomizeStatistics: true) });
            var shape = graph.Inputs[0].Shape;
            var f32 = new InferenceSession(graph, new SessionOptions { Threads = threads });
            // The plans timed together: float32, the 8-bit file, and with --reduce-range the 7-bit one too.
            List<(string Label, InferenceSession Session)> plans = [("float32", f32), ("int8", Int8Session(graph, false, threads, separate))];
            if (reduceRange) plans.Add(("int8 7-bit", Int8Session(graph, true, threads, separate)));
            try
            {
                var x = new Rng(7).NormalTensor(1, shape[1], shape[2], shape[3]).Data;
                var y = new float[f32.Run(new Tensor(shape, x)).Length];
                var times = plans.Select(_ => new List<double>()).ToArray();
                for (var w = 0; w < 20; w++) foreach (var (_, session) in plans) session.Run(x, y);
                // Each round starts with another plan, so none is always timed right after the same neighbour.
                for (var r = 0; r < rounds; r++)
                {
                    for (var j = 0; j < plans.Count; j++)
                    {
                        var k = (r + j) % plans.Count;
                        Interleaved.Time(plans[k].Session, x, y, runs, times[k]);
                    }
                }
                var medians = times.Select(Interleaved.Median).ToArray();
                var line = $"{name,-24} float32 {medians[0]:F3} ms";
                for (var k = 1; k < plans.Count; k++) line += $"  {plans[k].Label} {medians[k]:F3} ms ({medians[0] / medians[k]:F2}×)";
                Console.WriteLine(line);
                if (!profile) continue;
                foreach (var (label, session) in plans)
                    foreach (var step in session.Profile(x, y, runs: 100, warmup: 10))
                        Console.WriteLine($"  {label,-10} {step.MedianMicroseconds,8:F1} µs  {step.Operator}");
            }
            finally
            {
                foreach (var (_, session) in plans) session.Dispose();
            }
        }
        return 0;
    }

    /// <summary>The model quantized in this process (min-max on 16 random images), 8-bit or 7-bit weights, compiled.</summary>
    private static InferenceSession Int8Session(Graph graph, bool reduceRange, int threads, bool separate)
    {
        var shape = graph.Inputs[0].Shape;
        var quantizer = new PostTrainingQuantizer(graph, new QuantizeOptions { ReduceRange = reduceRange });
        quantizer.Calibrate([.. Enumerable.Range(0, 2).Select(b => new Rng(100 + (ulong)b).NormalTensor(8, shape[1], shape[2], shape[3]))],
            threads: Environment.ProcessorCount);
        return new InferenceSession(quantizer.Build(), new SessionOptions { Threads = threads, Bands = !separate });
    }
}
