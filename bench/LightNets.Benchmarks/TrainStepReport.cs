using System.Diagnostics;
using System.Numerics;
using LightNets.Models;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Training;
using LightNets.Training.Engine;
using LightNets.Training.Kernels.Cpu;

namespace LightNets.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/LightNets.Benchmarks -- train-steps [--threads N] [--batch B] [--resolution R]
/// [--steps S] [MODEL...]</c>: whole training steps of zoo models on the fast kernels, timed as TRAINING-SPEC §4 times
/// PyTorch (<c>torch_train_bench.py</c>): random input and labels, 10 classes, one step = forward + softmax
/// cross-entropy + backward + an SGD update (momentum 0.9, weight decay 4e-5, as the PyTorch script), median of 5 steps
/// after 3 warm-ups. The update here is a plain vector loop over the parameters, standing in for the optimizer.
/// </summary>
public static class TrainStepReport
{
    private static readonly string[] DefaultModels = ["mobilenetv2_035", "mobilenetv2_100", "shufflenetv2_050", "mobilenetv3_small_100"];

    public static int Run(string[] args)
    {
        var threads = BenchArgs.Option(args, "--threads", 2);
        var batch = BenchArgs.Option(args, "--batch", 64);
        var resolution = BenchArgs.Option(args, "--resolution", 32);
        var steps = BenchArgs.Option(args, "--steps", 5);
        var models = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).ToArray();
        if (models.Length == 0) models = DefaultModels;
        Console.WriteLine($"training steps, batch {batch}, {resolution}×{resolution}, {threads} threads, {CpuCaps.Describe()}, {DateTime.Now:yyyy-MM-dd HH:mm}");
        foreach (var model in models)
        {
            var g = ModelZoo.Build(model, new ModelOptions { Resolution = resolution, Batch = batch, Classes = 10 });
            using var session = new TrainingSession(g, new TrainingSessionOptions { Threads = threads, Kernels = CpuTrainKernels.Instance });
            var rng = new Random(1);
            var x = new float[session.InputShape.ElementCount];
            for (var i = 0; i < x.Length; i++) x[i] = rng.NextSingle() * 2 - 1;
            var labels = Enumerable.Range(0, batch).Select(_ => rng.Next(10)).ToArray();
            var velocity = session.Parameters.Select(p => new float[p.Value.Length]).ToArray();
            var times = new double[steps];
            var updates = new double[steps];
            for (var s = -3; s < steps; s++)
            {
                var start = Stopwatch.GetTimestamp();
                session.Step(x, labels);
                var mid = Stopwatch.GetTimestamp();
                for (var p = 0; p < velocity.Length; p++) Sgd(session.Parameters[p], velocity[p]);
                var end = Stopwatch.GetTimestamp();
                if (s < 0) continue;
                times[s] = Stopwatch.GetElapsedTime(start, end).TotalSeconds;
                updates[s] = Stopwatch.GetElapsedTime(mid, end).TotalSeconds;
            }
            Array.Sort(times);
            Array.Sort(updates);
            var median = times[steps / 2];
            Console.WriteLine($"{model,-24} {batch / median,8:F1} img/s (median step {median * 1e3:F1} ms, of which update {updates[steps / 2] * 1e3:F1} ms; arena {session.ArenaBytes / 1048576.0:F0} MiB)");
        }
        return 0;
    }

    private static void Sgd(Parameter p, float[] velocity)
    {
        const float lr = 0.01f, momentum = 0.9f, decay = 4e-5f;
        var w = p.Value;
        var g = p.Grad;
        var i = 0;
        for (; i + Vector<float>.Count <= w.Length; i += Vector<float>.Count)
        {
            var wv = new Vector<float>(w, i);
            var v = new Vector<float>(velocity, i) * momentum + new Vector<float>(g, i) + wv * decay;
            v.CopyTo(velocity, i);
            (wv - v * lr).CopyTo(w, i);
        }
        for (; i < w.Length; i++)
        {
            velocity[i] = velocity[i] * momentum + g[i] + w[i] * decay;
            w[i] -= lr * velocity[i];
        }
    }
}
