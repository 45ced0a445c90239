using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using LightNets.Tensors;

namespace LightNets.Cli.Engines;

/// <summary>One ONNX Runtime node's median kernel time from its own profiler, with the op it ran.</summary>
public sealed record OrtNodeTime(string Node, string Op, double MedianMicroseconds);

/// <summary>
/// Runs a model in ONNX Runtime with its built-in profiler (a separate session, so the timed comparison is not
/// perturbed) and returns each node's median kernel time: the other engine's side of a per-layer comparison.
/// </summary>
public static class OnnxRuntimeProfiler
{
    public static IReadOnlyList<OrtNodeTime> Profile(byte[] model, IReadOnlyDictionary<string, Tensor> inputs, int threads, int runs)
    {
        var prefix = Path.Combine(Path.GetTempPath(), $"lightnets-ort-{Environment.ProcessId}-{Guid.NewGuid():N}");
        string file;
        using (var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            EnableProfiling = true,
            ProfileOutputPathPrefix = prefix,
        })
        using (var session = new InferenceSession(model, options))
        using (var runOptions = new RunOptions())
        {
            // Every input fed by name, every output fetched: the same work as the timed runs.
            var names = session.InputNames.ToArray();
            var values = names.Select(n => OrtValue.CreateTensorValueFromMemory(inputs[n].Data, inputs[n].Shape.Select(d => (long)d).ToArray())).ToArray();
            try
            {
                var outputs = session.OutputNames.ToArray();
                for (var i = 0; i < runs; i++)
                {
                    using var r = session.Run(runOptions, names, values, outputs);
                }
            }
            finally
            {
                foreach (var v in values) v.Dispose();
            }
            file = session.EndProfiling();
        }
        try
        {
            return Parse(File.ReadAllText(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Chrome-trace events of category "Node" named "&lt;node&gt;_kernel_time", grouped by node, medians.</summary>
    public static IReadOnlyList<OrtNodeTime> Parse(string json)
    {
        var times = new Dictionary<string, (string Op, List<double> Durations)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var e in JsonDocument.Parse(json).RootElement.EnumerateArray())
        {
            if (!e.TryGetProperty("cat", out var cat) || cat.GetString() != "Node") continue;
            var name = e.GetProperty("name").GetString() ?? "";
            if (!name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
            name = name[..^"_kernel_time".Length];
            var op = e.TryGetProperty("args", out var args) && args.TryGetProperty("op_name", out var o) ? o.GetString() ?? "" : "";
            if (!times.TryGetValue(name, out var entry))
            {
                times[name] = entry = (op, []);
                order.Add(name);
            }
            entry.Durations.Add(e.GetProperty("dur").GetDouble());
        }
        return order.Select(n =>
        {
            var d = times[n].Durations;
            d.Sort();
            return new OrtNodeTime(n, times[n].Op, d[d.Count / 2]);
        }).ToArray();
    }
}
