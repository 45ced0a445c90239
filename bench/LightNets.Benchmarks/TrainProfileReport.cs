using LightNets.Models;
using LightNets.Training.Engine;
using LightNets.Training.Kernels.Cpu;

namespace LightNets.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/LightNets.Benchmarks -- train-profile [--threads N] [--batch B]
/// [--resolution R] [--steps S] [--nodes] [--small-input] [--no-fuse] [MODEL...]</c>: where a training step's time goes on the fast kernels —
/// each kind of step (1×1 conv, depthwise conv, BN, activation, ...) forward and backward, in milliseconds per step and
/// share of the step (each part's fastest time over S steps after 2 warm-ups, from <see cref="TrainingSession.Profiling"/>:
/// the machine is shared); with --nodes, the
/// 15 slowest single nodes too; with --small-input, each family's 1-channel small-input variant (the Fashion-MNIST
/// models); with --no-fuse, BatchNorm and the activation after it as two steps (to see what fusing them saves).
/// </summary>
public static class TrainProfileReport
{
    public static int Run(string[] args)
    {
        var threads = BenchArgs.Option(args, "--threads", 2);
        var batch = BenchArgs.Option(args, "--batch", 64);
        var resolution = BenchArgs.Option(args, "--resolution", 32);
        var steps = BenchArgs.Option(args, "--steps", 5);
        var nodes = args.Contains("--nodes");
        var small = args.Contains("--small-input");
        var fuse = !args.Contains("--no-fuse");
        var models = BenchArgs.Models(args, "--threads", "--batch", "--resolution", "--steps");
        if (models.Length == 0) models = ["mobilenetv2_035", "mobilenetv2_100", "shufflenetv2_050", "mobilenetv3_small_100"];
        foreach (var model in models)
        {
            var g = ModelZoo.Build(model, new ModelOptions { Resolution = resolution, Batch = batch, Classes = 10, SmallInput = small, InputChannels = small ? 1 : 3 });
            using var session = new TrainingSession(g, new TrainingSessionOptions { Threads = threads, Kernels = CpuTrainKernels.Instance, FuseBatchNormActivation = fuse });
            var rng = new Random(1);
            var x = new float[session.InputShape.ElementCount];
            for (var i = 0; i < x.Length; i++) x[i] = rng.NextSingle() * 2 - 1;
            var labels = Enumerable.Range(0, batch).Select(_ => rng.Next(10)).ToArray();
            for (var s = 0; s < 2; s++) session.Step(x, labels);
            session.Profiling = true;
            for (var s = 0; s < steps; s++) session.Step(x, labels);
            var profile = session.Profile!;
            var times = profile.Times;
            var mean = times.Sum(t => t.Total.TotalMilliseconds) / profile.Steps;
            var total = times.Sum(t => t.Fastest.TotalMilliseconds);
            Console.WriteLine($"{model}: mean step {mean:F1} ms, sum of each part's fastest {total:F1} ms ({batch / total * 1e3:F0} img/s without the update), batch {batch}, {resolution}×{resolution}, {threads} threads{(fuse ? "" : ", BatchNorm and activation unfused")}");
            foreach (var group in times.GroupBy(t => (t.Kind, t.Backward)).OrderByDescending(k => k.Sum(t => t.Fastest.TotalMilliseconds)))
            {
                var ms = group.Sum(t => t.Fastest.TotalMilliseconds);
                Console.WriteLine($"  {group.Key.Kind,-22} {(group.Key.Backward ? "backward" : "forward"),-9} {ms,7:F2} ms {ms / total,6:P1}  ({group.Count()} nodes)");
            }
            if (!nodes) continue;
            foreach (var t in times.OrderByDescending(t => t.Fastest).Take(15))
                Console.WriteLine($"    {t.Name,-40} {t.Kind,-18} {(t.Backward ? "bwd" : "fwd")} {t.Fastest.TotalMilliseconds,7:F2} ms");
        }
        return 0;
    }
}
