using LightNets.Graphs;
using LightNets.Models;
using LightNets.Quantization;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Tensors;

namespace LightNets.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/LightNets.Benchmarks -- int8-layers [--threads N] [--rounds R] [MODEL...]</c>:
/// where int8 gains and where it cannot. Each zoo model runs in float32 and in int8 without row bands (<c>Bands = false</c>:
/// activations, residual adds and BN still fused), so every convolution is one step in both; the steps are matched by their
/// convolution node and grouped by kind: the stem (k×k dense, im2col), 1×1 convolutions by reduction length K (the
/// int8 GEMM's advantage grows with K: its epilogue costs more per output than float's, its K loop half as much),
/// depthwise convolutions, the classifier, and everything else (pooling, channel copies, SE scaling, the input
/// quantization). Per group: the medians summed over R profiled rounds alternating the two sessions, and their ratio.
/// The last line is what the model would gain if every 1×1 convolution with K ≥ 64 ran at
/// <see cref="GemmBound"/>× float32 (the int8 GEMM's measured best against the float GEMM on this machine) and every
/// other group at its measured ratio: the ceiling of the present kernels' design.
/// </summary>
public static class Int8LayerReport
{
    /// <summary>
    /// int8 ÷ float32 GEMM rate at long K, 1 thread (bench int8-kernels, Zen 5: 196–213 against 107–115 GMAC/s): both
    /// are bound by the two multiply pipes, which take 16 float multiply-adds per FMA and 32 u8·s8 products per
    /// <c>vpmaddubsw</c>+<c>vpmaddwd</c> pair (or per 256-bit <c>vpdpbusd</c>); .NET 10 offers no 512-bit VNNI here.
    /// </summary>
    private const double GemmBound = 2.0;

    private static readonly string[] DefaultModels = ["mobilenetv2_100", "shufflenetv2_100", "mobilenetv3_large_100"];

    public static int Run(string[] args)
    {
        var threads = BenchArgs.Option(args, "--threads", 1);
        var rounds = BenchArgs.Option(args, "--rounds", 6);
        var models = BenchArgs.Models(args, "--threads", "--rounds");
        if (models.Length == 0) models = DefaultModels;
        Console.WriteLine($"int8 against float32 by layer kind, no row bands, batch 1, {threads} thread(s), {rounds} profiled rounds; " +
                          $"{CpuCaps.Describe()}; {Int8Caps.Describe()}; {DateTime.Now:yyyy-MM-dd HH:mm}");
        foreach (var name in models)
        {
            var graph = ModelZoo.Build(name, new ModelOptions { Init = new WeightInit(Seed: 1, RandomizeStatistics: true) });
            var shape = graph.Inputs[0].Shape;
            var quantizer = new PostTrainingQuantizer(graph);
            quantizer.Calibrate([.. Enumerable.Range(0, 2).Select(b => new Rng(100 + (ulong)b).NormalTensor(8, shape[1], shape[2], shape[3]))],
                threads: Environment.ProcessorCount);
            var int8 = quantizer.Build();
            using var f32 = new InferenceSession(graph, new SessionOptions { Threads = threads, Bands = false });
            using var i8 = new InferenceSession(int8, new SessionOptions { Threads = threads, Bands = false });
            var x = new Rng(7).NormalTensor(1, shape[1], shape[2], shape[3]).Data;
            var y = new float[f32.OutputShape.ElementCount];
            // Warm-up long enough for tiered compilation to replace every kernel's first code (30 calls, then a
            // background compile): profiled too early, the first rounds time tier-0 code.
            for (var w = 0; w < 3; w++)
            {
                for (var i = 0; i < 40; i++) { f32.Run(x, y); i8.Run(x, y); }
                Thread.Sleep(300);
            }
            var (sf, si) = (new Dictionary<string, double>(), new Dictionary<string, double>());
            for (var r = 0; r < rounds; r++)
            {
                if (r % 2 == 0) { Add(sf, graph, f32.Profile(x, y, runs: 30, warmup: 5)); Add(si, graph, i8.Profile(x, y, runs: 30, warmup: 5)); }
                else { Add(si, graph, i8.Profile(x, y, runs: 30, warmup: 5)); Add(sf, graph, f32.Profile(x, y, runs: 30, warmup: 5)); }
            }
            Print(name, sf, si, rounds);
        }
        return 0;
    }

    private static readonly string[] Order =
        ["stem (im2col)", "1×1, K < 32", "1×1, 32 ≤ K < 64", "1×1, K ≥ 64", "depthwise", "classifier", "other"];

    private static void Print(string model, Dictionary<string, double> f32, Dictionary<string, double> int8, int rounds)
    {
        Console.WriteLine();
        Console.WriteLine($"{model}   (µs per run, medians)");
        Console.WriteLine($"  {"layer kind",-20} {"float32",9} {"int8",9} {"f32÷int8",9} {"f32 share",10}");
        var (tf, ti) = (f32.Values.Sum() / rounds, int8.Values.Sum() / rounds);
        var ceiling = 0.0;
        foreach (var kind in Order)
        {
            var (a, b) = (f32.GetValueOrDefault(kind) / rounds, int8.GetValueOrDefault(kind) / rounds);
            if (a == 0 && b == 0) continue;
            Console.WriteLine($"  {kind,-20} {a,9:F1} {b,9:F1} {a / b,8:F2}× {a / tf,9:P0}");
            ceiling += kind == "1×1, K ≥ 64" ? a / GemmBound : b;
        }
        Console.WriteLine($"  {"whole model",-20} {tf,9:F1} {ti,9:F1} {tf / ti,8:F2}×");
        Console.WriteLine($"  ceiling with every 1×1 K ≥ 64 at {GemmBound:F1}× and the rest as measured: {tf / ceiling:F2}×");
    }

    /// <summary>Adds each step's median to its layer kind, found from the step's convolution or Gemm node.</summary>
    private static void Add(Dictionary<string, double> sums, Graph graph, IReadOnlyList<StepProfile> steps)
    {
        var nodes = graph.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        foreach (var s in steps)
        {
            var node = s.Nodes.Select(n => nodes.GetValueOrDefault(n)).FirstOrDefault(n => n?.Op is Conv2dOp or GemmOp);
            var kind = node is null ? "other" : Kind(graph, node);
            sums[kind] = sums.GetValueOrDefault(kind) + s.MedianMicroseconds;
        }
    }

    private static string Kind(Graph graph, Node node)
    {
        if (node.Op is GemmOp) return "classifier";
        var op = (Conv2dOp)node.Op;
        var w = graph.Initializers[node.Inputs[1]].Shape;
        var (cout, kPerGroup) = (w[0], w[1]);
        if (op.Groups > 1 && kPerGroup == 1 && op.Groups == cout) return "depthwise";
        if (op.KernelH != 1 || op.KernelW != 1) return "stem (im2col)";
        return kPerGroup < 32 ? "1×1, K < 32" : kPerGroup < 64 ? "1×1, 32 ≤ K < 64" : "1×1, K ≥ 64";
    }
}
