using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using LightNets.Tensors;
using LightNets.Tests.Training.Optim;
using LightNets.Training;
using LightNets.Training.Checkpoints;
using LightNets.Training.Optim;

namespace LightNets.Tests.Training.Checkpoints;

/// <summary>A small model in training (parameters, BN buffers, optimizer, EMA) and raw safetensors files for the checkpoint tests.</summary>
internal sealed class Run
{
    public Parameter[] Parameters { get; }
    public NamedBuffer[] Buffers { get; }
    public Optimizer Optimizer { get; }
    public WeightEma Ema { get; }
    public long Step { get; private set; }

    /// <summary>The same seed makes the same start; <paramref name="scale"/> multiplies every tensor's length.</summary>
    public Run(int seed, string optimizer = "sgd-nesterov", int scale = 1)
    {
        var random = new Random(seed);
        Parameters =
        [
            new("stem.weight", new Shape(8 * scale, 3, 3, 3), ParameterKind.ConvWeight, OptimizerBehaviourTests.Gaussian(random, 216 * scale, 0.3f)),
            new("stem.bn.weight", new Shape(8 * scale), ParameterKind.BatchNormScale, OptimizerBehaviourTests.Gaussian(random, 8 * scale, 1f)),
            new("stem.bn.bias", new Shape(8 * scale), ParameterKind.BatchNormShift, OptimizerBehaviourTests.Gaussian(random, 8 * scale, 1f)),
            new("dw.weight", new Shape(8 * scale, 1, 3, 3), ParameterKind.DepthwiseWeight, OptimizerBehaviourTests.Gaussian(random, 72 * scale, 0.3f)),
            new("onnx::Gemm_17", new Shape(10, 8 * scale), ParameterKind.LinearWeight, OptimizerBehaviourTests.Gaussian(random, 80 * scale, 0.2f)),
            new("fc/bias", new Shape(10), ParameterKind.Bias, OptimizerBehaviourTests.Gaussian(random, 10, 0.1f)),
        ];
        Buffers =
        [
            new("stem.bn.running_mean", new Shape(8 * scale), OptimizerBehaviourTests.Gaussian(random, 8 * scale, 1f)),
            new("stem.bn.running_var", new Shape(8 * scale), OptimizerBehaviourTests.Gaussian(random, 8 * scale, 1f).Select(MathF.Abs).ToArray()),
        ];
        Optimizer = OptimizerBehaviourTests.Make(optimizer, Parameters);
        Ema = new WeightEma(Parameters, Buffers, 0.99, warmup: true);
    }

    /// <summary>
    /// One training step's worth of change: gradients seeded by the step number alone (as a loader resumes from its
    /// saved position, whatever the start), an optimizer step, BN statistics moving, an EMA update.
    /// </summary>
    public void Train(int steps)
    {
        for (var s = 0; s < steps; s++)
        {
            var random = new Random(1000 + (int)Step);
            foreach (var p in Parameters) OptimizerBehaviourTests.Gaussian(random, p.Grad.Length, 1f).CopyTo(p.Grad, 0);
            Optimizer.Step(0.05);
            foreach (var b in Buffers)
                for (var i = 0; i < b.Value.Length; i++) b.Value[i] = 0.9f * b.Value[i] + 0.1f * (float)random.NextDouble();
            Ema.Update();
            Step++;
        }
    }

    public void Restored(Checkpoint checkpoint)
    {
        checkpoint.Restore(Parameters, Buffers, Optimizer, Ema);
        Step = checkpoint.Step;
    }

    public TrainingState State() => new()
    {
        Parameters = Parameters,
        Buffers = Buffers,
        Optimizer = Optimizer,
        Ema = Ema,
        Step = Step,
        Epoch = (int)(Step / 4),
        Progress = new Dictionary<string, long> { ["rng.s0"] = long.MinValue, ["rng.s1"] = long.MaxValue, ["loader.position"] = Step * 64, ["zero"] = 0 },
        ModelJson = new JsonObject { ["name"] = "mobilenetv2_035", ["classes"] = 10, ["small_input"] = true, ["stem"] = new JsonObject { ["stride"] = 1, ["channels"] = new JsonArray(1, 16) } }.ToJsonString(),
        // Kept verbatim: spacing, escapes and number spelling come back as written.
        OptionsJson = "{ \"lr\": 0.2e0, \"schedule\": \"one-cycle\", \"note\": \"ünïcödé \\\"quoted\\\" \\\\ / \\n \\u00e9\" }",
        MetricsJson = new JsonArray(Enumerable.Range(0, (int)(Step / 4)).Select(e => (JsonNode)new JsonObject
        {
            ["epoch"] = e + 1, ["train_loss"] = 2.3 / (e + 1), ["val_top1"] = 0.1 + e * 0.2, ["lr"] = 1e-300, ["delta"] = -0.1, ["note"] = null,
        }).ToArray()).ToJsonString(),
    };

    /// <summary>Every float this run holds (model, buffers, optimizer state, EMA), in a fixed order, with the counters.</summary>
    public (float[] Floats, long[] Counts) Snapshot()
    {
        var floats = Parameters.SelectMany(p => p.Value).Concat(Buffers.SelectMany(b => b.Value))
            .Concat(Optimizer.Slots.SelectMany(s => s.Values)).Concat(Ema.Tensors.SelectMany(t => t.Average)).ToArray();
        var counts = Enumerable.Range(0, Parameters.Length).Select(Optimizer.StepsOf).Append(Ema.Updates).Append(Step).ToArray();
        return (floats, counts);
    }
}

/// <summary>Raw safetensors bytes, written by hand, for files LightNets itself would never write.</summary>
internal static class RawSafeTensors
{
    /// <summary>A metadata object for a file LightNets would accept, as JSON text.</summary>
    public const string GoodMetadata =
        "\"__metadata__\":{\"format\":\"lightnets.checkpoint\",\"format_version\":\"1\",\"step\":\"7\",\"epoch\":\"1\"," +
        "\"progress\":\"{}\",\"model\":\"{}\",\"options\":\"{}\",\"metrics\":\"[]\"}";

    /// <summary>8-byte length (or <paramref name="declaredLength"/>), the header text, then <paramref name="data"/>.</summary>
    public static byte[] File(string header, byte[] data, ulong? declaredLength = null) =>
        LightNets.Tests.Weights.SafeTensorsBytes.File(header, data, declaredLength);

    /// <summary>A checkpoint LightNets accepts: the good metadata and one F32 parameter "p" of shape [2] (8 bytes).</summary>
    public static byte[] Valid() => File("{" + GoodMetadata + ",\"param/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]);

    /// <summary>The good metadata with one value replaced (its JSON string literal, quotes included).</summary>
    public static string Metadata(string key, string jsonString) =>
        System.Text.RegularExpressions.Regex.Replace(GoodMetadata, $"\"{key}\":\"(\\\\.|[^\"\\\\])*\"", $"\"{key}\":{jsonString}");
}
