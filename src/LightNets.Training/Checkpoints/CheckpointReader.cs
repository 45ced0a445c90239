using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using LightNets.Weights.SafeTensors;

namespace LightNets.Training.Checkpoints;

/// <summary>Turns a validated safetensors header and its file into a <see cref="Checkpoint"/>, checking what LightNets itself writes.</summary>
internal static class CheckpointReader
{
    public static Checkpoint Read(string path, SafeFileHandle handle, SafeTensorsHeader header, Func<string, Exception> fail)
    {
        var meta = new CheckpointMetadata.Reader(header.Metadata, fail);
        meta.CheckFormat();
        var step = meta.WholeNumber("step");
        var epoch = meta.WholeNumber("epoch");
        if (epoch > int.MaxValue) throw fail($"its metadata \"epoch\" is {epoch}, more epochs than a run can have");
        var progress = meta.Integers(meta.Object("progress"), "its progress value");
        var model = meta.JsonText("model", mustBeObject: true);
        var options = meta.JsonText("options", mustBeObject: true);
        var metrics = meta.JsonText("metrics", mustBeObject: false);

        string? optimizerKind = null;
        var optimizerSteps = new Dictionary<string, long>(StringComparer.Ordinal);
        if (meta.Has("optimizer"))
        {
            var optimizer = meta.Object("optimizer");
            optimizerKind = optimizer["kind"] is JsonValue k && k.GetValueKind() == JsonValueKind.String ? k.GetValue<string>() : null;
            if (string.IsNullOrEmpty(optimizerKind) || optimizer["steps"] is not JsonObject steps || optimizer.Count != 2)
                throw fail("its metadata \"optimizer\" is not {\"kind\": name, \"steps\": {parameter: count}}");
            optimizerSteps = meta.Counts(steps, "its optimizer step count of");
        }
        long? emaUpdates = null;
        if (meta.Has("ema"))
        {
            var ema = meta.Object("ema");
            var counts = meta.Counts(ema, "its EMA's");
            if (ema.Count != 1 || !counts.TryGetValue("updates", out var updates)) throw fail("its metadata \"ema\" is not {\"updates\": count}");
            emaUpdates = updates;
        }

        var parameters = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        var buffers = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        var slots = new Dictionary<(string, string), CheckpointTensor>();
        var averages = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        foreach (var entry in header.Entries)
        {
            var (category, rest) = Split(entry.Name);
            switch (category)
            {
                case "param":
                    parameters[rest] = Tensor(handle, header, entry, fail);
                    break;
                case "buffer":
                    buffers[rest] = Tensor(handle, header, entry, fail);
                    break;
                case "optim" when optimizerKind is not null && Split(rest) is ({ Length: > 0 } slot, { Length: > 0 } name):
                    slots[(slot, name)] = Tensor(handle, header, entry, fail);
                    break;
                case "ema" when emaUpdates is not null:
                    averages[rest] = Tensor(handle, header, entry, fail);
                    break;
                default:
                    throw fail($"it holds a tensor '{entry.Name}' that LightNets does not write (param/, buffer/, optim/SLOT/, ema/ with their metadata)");
            }
        }

        return new Checkpoint(path)
        {
            Step = step, Epoch = (int)epoch, Progress = progress, ModelJson = model, OptionsJson = options, MetricsJson = metrics,
            Parameters = parameters, Buffers = buffers, OptimizerKind = optimizerKind, OptimizerSteps = optimizerSteps,
            OptimizerSlots = slots, EmaUpdates = emaUpdates, EmaAverages = averages,
        };
    }

    private static (string, string) Split(string name)
    {
        var slash = name.IndexOf('/');
        return slash < 0 ? (name, "") : (name[..slash], name[(slash + 1)..]);
    }

    private static CheckpointTensor Tensor(SafeFileHandle handle, SafeTensorsHeader header, SafeTensorsEntry entry, Func<string, Exception> fail)
    {
        if (entry.Dtype != "F32")
            throw fail($"tensor '{entry.Name}' is {entry.Dtype}; LightNets checkpoints hold F32 tensors only");
        var shape = new int[entry.Shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            if (entry.Shape[i] is < 1 or > int.MaxValue)
                throw fail($"tensor '{entry.Name}' has shape [{string.Join(", ", entry.Shape)}]; LightNets tensors have dimensions from 1 to {int.MaxValue}");
            shape[i] = (int)entry.Shape[i];
        }
        // The header check bounds the count by the file's size; an array also needs it below Array.MaxLength.
        var count = (entry.End - entry.Begin) / sizeof(float);
        if (count > Array.MaxLength) throw fail($"tensor '{entry.Name}' has {count} elements, more than one array can hold");
        var values = new float[count];
        CheckpointFile.ReadFloats(handle, values, header.DataStart + entry.Begin, fail);
        return new CheckpointTensor(shape, values);
    }
}
