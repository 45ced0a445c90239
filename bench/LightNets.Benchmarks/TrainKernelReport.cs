using System.Diagnostics;
using LightNets.Graphs;
using LightNets.Models;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Training;
using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Cpu;
using Activation = LightNets.Training.Kernels.Activation;

namespace LightNets.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/LightNets.Benchmarks -- train-kernels [--threads N] [--batch B] [--resolution R]
/// [--layers] [MODEL...]</c>: the fast training kernels on every convolution of the models the issue's speed target names
/// (batch 64, 32×32, 10 classes by default), each direction timed as the median of 7 runs after 2 warm-ups:
/// GFLOP/s = 2·MACs/time, MACs = N·OutH·OutW·Cout·(Cin/G)·KH·KW for the forward, backward-data and backward-weight alike.
/// Also the BatchNorm (training forward + backward) and ReLU6 (forward + backward) passes each convolution's output goes
/// through, and the sum of all of it per step: a bound on the images/s a training step built on these kernels can reach
/// (the engine adds the classifier, the loss, the optimizer and its own passes). A quick Stopwatch report rather than
/// BenchmarkDotNet so that a whole model's layers fit in a minute; the machine is shared, so repeat it.
/// </summary>
public static class TrainKernelReport
{
    private static readonly string[] DefaultModels = ["mobilenetv2_035", "mobilenetv2_100", "shufflenetv2_050", "mobilenetv3_small_100"];

    public static int Run(string[] args)
    {
        var threads = BenchArgs.Option(args, "--threads", 2);
        var batch = BenchArgs.Option(args, "--batch", 64);
        var resolution = BenchArgs.Option(args, "--resolution", 32);
        var layers = args.Contains("--layers");
        var models = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)).ToArray();
        if (models.Length == 0) models = DefaultModels;
        Console.WriteLine($"training kernels, batch {batch}, {resolution}×{resolution}, {threads} threads, {CpuCaps.Describe()}, {DateTime.Now:yyyy-MM-dd HH:mm}");
        using var ctx = new TrainContext(threads);
        foreach (var model in models) Report(ctx, model, batch, resolution, layers);
        return 0;
    }


    private static void Report(TrainContext ctx, string model, int batch, int resolution, bool layers)
    {
        var g = ModelZoo.Build(model, new ModelOptions { Resolution = resolution, Batch = batch, Classes = 10 });
        var totals = new Dictionary<string, (long Macs, double Fwd, double Data, double Weight)>();
        double elementwise = 0;
        Console.WriteLine();
        Console.WriteLine($"{model}: {g.Nodes.Count(n => n.Op is Conv2dOp)} convolutions");
        if (layers) Console.WriteLine($"  {"layer",-28} {"kind",-6} {"shape",-26} {"fwd GF/s",9} {"dx GF/s",9} {"dw GF/s",9}");
        foreach (var node in g.Nodes)
        {
            if (node.Op is not Conv2dOp op) continue;
            var input = g.ShapeOf(node.Inputs[0]);
            var output = g.ShapeOf(node.Outputs[0]);
            var s = ConvShape.Create(input.N, input.H, input.W, input.C, output.C, op);
            var kind = s.IsDepthwise ? "dw" : s.KH == 1 && s.KW == 1 ? s.Groups == 1 ? "1x1" : "g1x1" : "kxk";
            var macs = s.OutputLength * s.CinPerGroup * s.KH * s.KW;
            var (fwd, data, weight) = TimeConv(ctx, s);
            var t = totals.GetValueOrDefault(kind);
            totals[kind] = (t.Macs + macs, t.Fwd + fwd, t.Data + data, t.Weight + weight);
            elementwise += TimeElementwise(ctx, (int)(s.N * s.OutH * s.OutW), s.Cout);
            if (layers)
            {
                var shape = kind is "1x1" or "g1x1" ? $"{s.N * s.OutH * s.OutW}x{s.CinPerGroup}x{s.CoutPerGroup}" + (s.Groups > 1 ? $" g{s.Groups}" : "")
                    : $"{s.H}x{s.W}x{s.Cin}→{s.Cout} k{s.KH}s{s.StrideH}";
                Console.WriteLine($"  {node.Name,-28} {kind,-6} {shape,-26} {Gf(macs, fwd),9:F1} {Gf(macs, data),9:F1} {Gf(macs, weight),9:F1}");
            }
        }
        Console.WriteLine($"  {"kind",-6} {"MMACs",9} {"fwd ms",8} {"GF/s",7} {"dx ms",8} {"GF/s",7} {"dw ms",8} {"GF/s",7}");
        double step = elementwise;
        foreach (var (kind, t) in totals.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"  {kind,-6} {t.Macs / 1e6,9:F1} {t.Fwd * 1e3,8:F2} {Gf(t.Macs, t.Fwd),7:F1} {t.Data * 1e3,8:F2} {Gf(t.Macs, t.Data),7:F1} " +
                $"{t.Weight * 1e3,8:F2} {Gf(t.Macs, t.Weight),7:F1}");
            step += t.Fwd + t.Data + t.Weight;
        }
        Console.WriteLine($"  BN train fwd+bwd and ReLU6 fwd+bwd on every conv output: {elementwise * 1e3:F2} ms");
        Console.WriteLine($"  kernel time per step: {step * 1e3:F2} ms → at most {batch / step:F0} images/s");
    }

    private static double Gf(long macs, double seconds) => 2.0 * macs / seconds / 1e9;

    private static (double Fwd, double Data, double Weight) TimeConv(TrainContext ctx, in ConvShape s)
    {
        var k = CpuTrainKernels.Instance;
        var x = Random(s.InputLength, 1);
        var w = Random(s.WeightLength, 2);
        var dy = Random(s.OutputLength, 3);
        var y = new float[s.OutputLength];
        var dx = new float[s.InputLength];
        var dw = new float[s.WeightLength];
        var shape = s;
        return (Median(() => k.ConvForward(ctx, shape, x, w, default, y)),
            Median(() => k.ConvBackwardData(ctx, shape, dy, w, dx)),
            Median(() => k.ConvBackwardWeight(ctx, shape, x, dy, dw, default)));
    }

    private static double TimeElementwise(TrainContext ctx, int rows, int c)
    {
        var k = CpuTrainKernels.Instance;
        var x = Random((long)rows * c, 4);
        var dy = Random((long)rows * c, 5);
        var y = new float[x.Length];
        var dx = new float[x.Length];
        var dxNorm = new float[x.Length];
        var gamma = Random(c, 6);
        float[] mean = new float[c], inv = new float[c], rm = new float[c], rv = new float[c], dg = new float[c], db = new float[c];
        return Median(() =>
        {
            k.BatchNormTrainForward(ctx, rows, c, x, gamma, gamma, 1e-5f, 0.1f, rm, rv, mean, inv, y);
            k.ActivationForward(ctx, Activation.Relu6, y, y);
            k.ActivationBackward(ctx, Activation.Relu6, x, dy, dx);
            k.BatchNormBackward(ctx, rows, c, x, dx, gamma, mean, inv, dxNorm, dg, db);
        });
    }

    private static float[] Random(long length, int seed)
    {
        var rng = new Random(seed);
        var a = new float[length];
        for (var i = 0; i < a.Length; i++) a[i] = rng.NextSingle() - 0.5f;
        return a;
    }

    private static double Median(Action run)
    {
        run();
        run();
        var times = new double[7];
        for (var i = 0; i < times.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }
}
