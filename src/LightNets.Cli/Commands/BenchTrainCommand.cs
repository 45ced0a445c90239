using System.CommandLine;
using System.Diagnostics;
using LightNets.Cli.Engines;
using LightNets.Cli.Output;
using LightNets.Cost;
using LightNets.Models;
using LightNets.Tensors;
using LightNets.Training.Engine;
using LightNets.Training.Kernels.Cpu;
using LightNets.Training.Optim;

namespace LightNets.Cli.Commands;

/// <summary>The engine bench-train compares with.</summary>
public enum TrainCompareWith
{
    None,
    PyTorch,
}

/// <summary>
/// <c>lightnets bench-train MODEL</c>: training throughput (forward, loss, backward, SGD update) in images per second,
/// medians over interleaved rounds, optionally beside Debian's PyTorch on torchvision's definition of the same model.
/// </summary>
internal static class BenchTrainCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new ModelSelection(weights: false, batch: false, classesDefault: "default 10");
        var batch = CliOptions.Batch("Images per training step", "default 64");
        var threads = CliOptions.Threads("every core");
        var warmup = CliOptions.Warmup("Unmeasured steps first, per engine", "default 20: .NET optimises a method only after it has run a while, and a step runs most of its methods once");
        var steps = CliOptions.Runs("Measured steps per engine", "default 20, in --rounds interleaved rounds");
        var rounds = CliOptions.Rounds("Interleaved rounds", "default 4");
        var compare = new ChoiceOption<TrainCompareWith>("--compare",
            "pytorch: also train torchvision's definition of the model in Debian's PyTorch (/usr/bin/python3 with python3-torch; NCHW and channels_last), " +
            "same batch, input and threads, interleaved, and print the ratio.", TrainCompareWith.None);
        var format = FormatOption.Create(OutputFormat.Table, OutputFormat.Json, OutputFormat.Markdown);
        var command = new ModelCommand("bench-train",
            "Measure training speed: images per second of full training steps (forward in training mode, softmax cross-entropy, backward, SGD with momentum) " +
            "on random data, medians of the steps. Defaults: 32×32 input and 10 classes (the speed targets' setting), batch 64.", model)
        {
            batch, threads, warmup, steps, rounds, compare, format,
        };
        command.SetAction(p =>
        {
            var name = p.GetValue(model.Model)!;
            if (ModelSource.IsOnnxFile(name)) throw new CliUsageException("bench-train measures a zoo model; give its name and knobs");
            var b = p.GetValue(batch) ?? 64;
            var t = p.GetValue(threads) ?? Environment.ProcessorCount;
            var w = p.GetValue(warmup) ?? 20;
            var n = p.GetValue(steps) ?? 20;
            var r = Math.Min(p.GetValue(rounds) ?? 4, n);
            var knobs = model.Options(p);
            knobs = knobs with { Resolution = knobs.Resolution ?? 32, Classes = knobs.Classes ?? 10, Batch = b };
            var entry = ModelZoo.Find(name);
            var effective = ModelZoo.Effective(entry.Family, entry.Defaults.Merge(knobs));
            var graph = ModelZoo.Build(name, knobs);
            var input = graph.Input.Shape;
            PyTorchTrainer? torch = null;
            if (compare.Get(p) == TrainCompareWith.PyTorch)
            {
                var (arch, width) = PyTorchTrainer.Torchvision(entry.Family, effective);
                torch = PyTorchTrainer.Start(arch, width, effective.Classes!.Value, b, input.H, t, w);
                stderr.WriteLine($"PyTorch {torch.Version} ({PyTorchTrainer.Python}) ready: torchvision's {arch} at width {width}");
            }
            using (torch)
            {
                var result = Measure(graph, b, t, w, n, r, torch, stderr);
                Write(stdout, format.Get(p), name, graph.Name, input, t, result, torch);
            }
            return 0;
        });
        return command;
    }

    /// <summary>Per-step seconds of each engine, and LightNets' bytes allocated per step once warm.</summary>
    internal sealed record TrainBenchResult(double[] LightNets, double[]? TorchNchw, double[]? TorchChannelsLast, double AllocatedPerStep, long Params, long Macs);

    private static TrainBenchResult Measure(Graphs.Graph graph, int batch, int threads, int warmup, int steps, int rounds, PyTorchTrainer? torch, TextWriter stderr)
    {
        using var session = new TrainingSession(graph, new TrainingSessionOptions { Threads = threads, Kernels = CpuTrainKernels.Instance });
        var optimizer = new Sgd(session.Parameters, momentum: 0.9);
        var x = new Rng(1).NormalTensor(graph.Input.Shape.ToArray()).Data;
        var labels = Enumerable.Range(0, batch).Select(i => i % session.Classes).ToArray();
        void Step()
        {
            session.Step(x, labels);
            optimizer.Step(0.01);
        }
        for (var i = 0; i < warmup; i++) Step();
        var ours = new List<double>(steps);
        var nchw = torch is null ? null : new List<double>();
        var channelsLast = torch is null ? null : new List<double>();
        long allocated = 0;
        var progress = new ProgressReporter(stderr);
        progress.Run("measuring", rounds, tick =>
        {
            for (var round = 0; round < rounds; round++)
            {
                var count = steps / rounds + (round < steps % rounds ? 1 : 0);
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < count; i++)
                {
                    // A timestamp, not a Stopwatch object: the allocation count below is the step's alone.
                    var start = Stopwatch.GetTimestamp();
                    Step();
                    ours.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                }
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                if (torch is not null)
                {
                    channelsLast!.AddRange(torch.Time(channelsLast: true, count));
                    nchw!.AddRange(torch.Time(channelsLast: false, count));
                }
                tick($"round {round + 1}: LightNets {batch / Median(ours):N0} images/s" +
                     (torch is null ? "" : $", PyTorch channels_last {batch / Median(channelsLast!):N0}, NCHW {batch / Median(nchw!):N0}"));
            }
        });
        var cost = CostReport.Analyze(graph);
        return new TrainBenchResult([.. ours], nchw?.ToArray(), channelsLast?.ToArray(), (double)allocated / steps, cost.Params, cost.Macs / batch);
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static void Write(TextWriter stdout, OutputFormat format, string name, string graphName, Shape input, int threads, TrainBenchResult r, PyTorchTrainer? torch)
    {
        var batch = input.N;
        var ours = batch / Median(r.LightNets);
        if (format == OutputFormat.Json)
        {
            Json.Write(stdout, json =>
            {
                json.WriteStartObject();
                json.WriteString("model", graphName);
                json.Shape("input", input);
                json.WriteNumber("threads", threads);
                json.WriteNumber("params", r.Params);
                json.WriteNumber("macs_per_image", r.Macs);
                json.WriteNumber("steps", r.LightNets.Length);
                json.WriteNumber("lightnets_images_per_second", ours);
                json.WriteNumber("lightnets_median_ms", Median(r.LightNets) * 1000);
                json.WriteNumber("allocated_bytes_per_step", r.AllocatedPerStep);
                if (torch is not null)
                {
                    json.WriteString("torch_version", torch.Version);
                    json.WriteNumber("torch_params", torch.Parameters);
                    json.WriteNumber("pytorch_channels_last_images_per_second", batch / Median(r.TorchChannelsLast!));
                    json.WriteNumber("pytorch_nchw_images_per_second", batch / Median(r.TorchNchw!));
                    json.WriteNumber("ratio_vs_channels_last", ours / (batch / Median(r.TorchChannelsLast!)));
                    json.WriteNumber("ratio_vs_nchw", ours / (batch / Median(r.TorchNchw!)));
                }
                json.WriteEndObject();
            });
            return;
        }
        var table = new TextTable($"bench-train {name} ({graphName}): batch {batch}, {input.C}×{input.H}×{input.W}, {threads} thread{(threads == 1 ? "" : "s")}, " +
                                  $"{Fmt.Int(r.Params)} params, {Fmt.Millions(r.Macs)} MACs/image; median of {r.LightNets.Length} steps",
            [new Column("engine"), new Column("ms/step", true), new Column("images/s", true), new Column("LightNets ×", true)]);
        table.Add("LightNets", Fmt.Num(Median(r.LightNets) * 1000, "0.0"), Fmt.Num(ours, "N0"), "1.00");
        if (torch is not null)
        {
            foreach (var (label, times) in new[] { ("PyTorch channels_last", r.TorchChannelsLast!), ("PyTorch NCHW", r.TorchNchw!) })
                table.Add($"{label} (torch {torch.Version})", Fmt.Num(Median(times) * 1000, "0.0"), Fmt.Num(batch / Median(times), "N0"),
                    Fmt.Num(ours / (batch / Median(times)), "0.00"));
        }
        table.Write(stdout, format);
        stdout.WriteLine($"LightNets allocated {r.AllocatedPerStep:N0} bytes per step once warm (this thread)");
        if (torch is not null)
        {
            stdout.WriteLine($"ratio: LightNets is {ours / (batch / Median(r.TorchChannelsLast!)):0.00}× PyTorch channels_last and {ours / (batch / Median(r.TorchNchw!)):0.00}× PyTorch NCHW" +
                             (torch.Parameters != r.Params ? $" (torchvision's model: {Fmt.Int(torch.Parameters)} params)" : ""));
        }
    }
}
