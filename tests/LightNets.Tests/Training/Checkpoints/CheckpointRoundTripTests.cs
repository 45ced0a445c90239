using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using LightNets.Tensors;
using LightNets.Training;
using LightNets.Training.Checkpoints;
using LightNets.Training.Optim;

namespace LightNets.Tests.Training.Checkpoints;

/// <summary>Save, load, restore: everything comes back bit for bit, and a resumed run continues exactly as an uninterrupted one.</summary>
public sealed class CheckpointRoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lightnets-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Optimizers => new() { "sgd", "sgd-nesterov", "rmsprop-centered-momentum", "rmsprop-tf-centered-wd", "adamw" };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void A_resumed_run_ends_bit_identical_to_an_uninterrupted_one(string optimizer)
    {
        var uninterrupted = new Run(1, optimizer);
        uninterrupted.Train(12);

        var first = new Run(1, optimizer);
        first.Train(5);
        var path = Path.Combine(_dir, "last.safetensors");
        CheckpointFile.Save(path, first.State());
        first.Train(3);   // the work after the checkpoint is lost with the process

        var resumed = new Run(2, optimizer);   // another start: everything must come from the file
        resumed.Restored(CheckpointFile.Load(path));
        Assert.Equal(5, resumed.Step);
        resumed.Train(7);

        var (a, ca) = uninterrupted.Snapshot();
        var (b, cb) = resumed.Snapshot();
        Assert.Equal(ca, cb);
        Assert.True(a.AsSpan().SequenceEqual(b), "a resumed run differs from the uninterrupted one");
    }

    [Fact]
    public void Every_value_and_every_bit_comes_back()
    {
        var run = new Run(3, "adamw");
        run.Train(9);
        // Values a float can hold that arithmetic would not reproduce: −0, subnormals, ±∞, NaN payloads.
        float[] special = [-0f, float.Epsilon, -float.Epsilon, float.PositiveInfinity, float.NegativeInfinity,
            BitConverter.Int32BitsToSingle(0x7FC0_1234), BitConverter.Int32BitsToSingle(unchecked((int)0xFF80_0001)), float.MaxValue];
        special.CopyTo(run.Parameters[0].Value, 0);
        var state = run.State();
        var path = Path.Combine(_dir, "nested", "dir", "ckpt.safetensors");
        CheckpointFile.Save(path, state);
        var loaded = CheckpointFile.Load(path);

        Assert.Equal(9, loaded.Step);
        Assert.Equal(2, loaded.Epoch);
        Assert.Equal(state.Progress, loaded.Progress);
        Assert.Equal(state.ModelJson, loaded.ModelJson);
        Assert.Equal(state.OptionsJson, loaded.OptionsJson);
        Assert.Equal(state.MetricsJson, loaded.MetricsJson);
        Assert.Equal(2, JsonNode.Parse(loaded.MetricsJson)!.AsArray().Count);
        Assert.Equal("adamw", loaded.OptimizerKind);
        Assert.Equal(9, loaded.EmaUpdates);
        Assert.Equal(run.Parameters.Select(p => p.Name).Order(StringComparer.Ordinal), loaded.Parameters.Keys.Order(StringComparer.Ordinal));
        foreach (var p in run.Parameters)
        {
            Assert.Equal(p.Shape.ToArray(), loaded.Parameters[p.Name].Shape);
            Assert.Equal(Bits(p.Value), Bits(loaded.Parameters[p.Name].Values));
        }

        var fresh = new Run(4, "adamw");
        fresh.Restored(loaded);
        var (a, ca) = run.Snapshot();
        var (b, cb) = fresh.Snapshot();
        Assert.Equal(ca, cb);
        Assert.Equal(Bits(a), Bits(b));
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    [Fact]
    public void The_file_is_plain_safetensors_that_other_tools_read()
    {
        var run = new Run(5);
        run.Train(2);
        var path = Path.Combine(_dir, "c.safetensors");
        CheckpointFile.Save(path, run.State());
        var bytes = File.ReadAllBytes(path);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + headerLength) % 8);   // data 8-byte aligned, as the reference writer pads it
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var metadata = header.RootElement.GetProperty("__metadata__");
        Assert.Equal("lightnets.checkpoint", metadata.GetProperty("format").GetString());
        Assert.All(metadata.EnumerateObject(), m => Assert.Equal(JsonValueKind.String, m.Value.ValueKind));
        // Each tensor: F32, its shape, its bytes at data_offsets, little-endian.
        var stem = header.RootElement.GetProperty("param/stem.weight");
        Assert.Equal("F32", stem.GetProperty("dtype").GetString());
        Assert.Equal([8, 3, 3, 3], stem.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var begin = stem.GetProperty("data_offsets")[0].GetInt64();
        var first = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(8 + headerLength + begin)));
        Assert.Equal(run.Parameters[0].Value[0], first);
        Assert.True(header.RootElement.TryGetProperty("optim/momentum_buffer/onnx::Gemm_17", out _));
        Assert.True(header.RootElement.TryGetProperty("ema/stem.bn.running_var", out _));
        Assert.True(header.RootElement.TryGetProperty("buffer/stem.bn.running_mean", out _));
    }

    [Fact]
    public void A_model_only_state_restores_into_a_model_without_optimizer_or_ema()
    {
        var run = new Run(6);
        run.Train(3);
        var path = Path.Combine(_dir, "model.safetensors");
        CheckpointFile.Save(path, new TrainingState { Parameters = run.Parameters, Buffers = run.Buffers });
        var loaded = CheckpointFile.Load(path);
        Assert.Null(loaded.OptimizerKind);
        Assert.Null(loaded.EmaUpdates);
        Assert.Empty(loaded.Progress);
        Assert.Equal("[]", loaded.MetricsJson);
        Assert.Equal("{}", loaded.ModelJson);
        var fresh = new Run(7);
        loaded.Restore(fresh.Parameters, fresh.Buffers);
        Assert.Equal(run.Parameters[4].Value, fresh.Parameters[4].Value);
        Assert.Equal(run.Buffers[1].Value, fresh.Buffers[1].Value);
        // A run that needs optimizer state cannot resume from it.
        var e = Assert.Throws<CheckpointMismatchException>(() => loaded.Restore(fresh.Parameters, fresh.Buffers, fresh.Optimizer));
        Assert.Contains("no optimizer state", e.Message);
        e = Assert.Throws<CheckpointMismatchException>(() => loaded.Restore(fresh.Parameters, fresh.Buffers, ema: fresh.Ema));
        Assert.Contains("no weight EMA", e.Message);
    }

    [Fact]
    public void A_checkpoint_of_another_model_or_optimizer_restores_nothing_and_says_what_differs()
    {
        var run = new Run(8, "sgd-nesterov");
        run.Train(2);
        var path = Path.Combine(_dir, "m.safetensors");
        CheckpointFile.Save(path, run.State());
        var loaded = CheckpointFile.Load(path);

        var other = new Run(9, "sgd-nesterov", scale: 2);   // same names, wider layers
        var before = other.Snapshot();
        var e = Assert.Throws<CheckpointMismatchException>(() => other.Restored(loaded));
        Assert.Contains("parameter 'stem.weight' is [8×3×3×3] in it but [16×3×3×3] here", e.Message);
        Assert.Contains("nothing was restored", e.Message);
        Assert.Equal(before.Floats, other.Snapshot().Floats);
        Assert.Equal(before.Counts, other.Snapshot().Counts);

        var adam = new Run(10, "adamw");
        e = Assert.Throws<CheckpointMismatchException>(() => adam.Restored(loaded));
        Assert.Contains("holds sgd optimizer state, but this run uses adamw", e.Message);

        var plain = new Run(11, "sgd");   // no momentum buffers
        e = Assert.Throws<CheckpointMismatchException>(() => plain.Restored(loaded));
        Assert.Contains("momentum_buffer of 'stem.weight', which is not here", e.Message);

        var renamed = new Parameter("head.weight", new Shape(10, 8), ParameterKind.LinearWeight, new float[80]);
        var parameters = run.Parameters.Take(4).Append(renamed).Append(run.Parameters[5]).ToArray();
        e = Assert.Throws<CheckpointMismatchException>(() => loaded.Restore(parameters, run.Buffers));
        Assert.Contains("it has no parameter 'head.weight'", e.Message);
        Assert.Contains("it has parameter 'onnx::Gemm_17', which is not here", e.Message);
        e = Assert.Throws<CheckpointMismatchException>(() => loaded.Restore(run.Parameters, []));
        Assert.Contains("buffer 'stem.bn.running_mean', which is not here", e.Message);
    }

    [Fact]
    public void Bad_states_are_refused_before_anything_is_written()
    {
        var run = new Run(12);
        var path = Path.Combine(_dir, "x.safetensors");
        foreach (var (bad, problem) in new[]
                 {
                     (new TrainingState { Parameters = run.Parameters, MetricsJson = "[{\"loss\":NaN}]" }, "MetricsJson is not valid JSON"),
                     (new TrainingState { Parameters = run.Parameters, MetricsJson = "[{\"loss\":1e999}]" }, "MetricsJson holds the number 1e999, which is not finite"),
                     (new TrainingState { Parameters = run.Parameters, ModelJson = "[1]" }, "ModelJson is JSON array, not an object"),
                     (new TrainingState { Parameters = run.Parameters, OptionsJson = "{\"a\":1,\"a\":2}" }, "OptionsJson is not valid JSON"),
                     (new TrainingState { Parameters = run.Parameters, OptionsJson = "{\"a\":\"\\ud800\"}" }, "OptionsJson is not valid JSON"),
                     (new TrainingState { Parameters = run.Parameters, ModelJson = "{} x" }, "ModelJson is not valid JSON"),
                 })
            Assert.Contains(problem, Assert.Throws<ArgumentException>(() => CheckpointFile.Save(path, bad)).Message);
        var twice = new TrainingState { Parameters = [run.Parameters[0], run.Parameters[0]] };
        Assert.Contains("'param/stem.weight'", Assert.Throws<ArgumentException>(() => CheckpointFile.Save(path, twice)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CheckpointFile.Save(path, new TrainingState { Parameters = [], Step = -1 }));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(_dir));

        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Save(_dir, new TrainingState { Parameters = run.Parameters }));
        Assert.Contains("is a directory", e.Message);
        File.WriteAllText(Path.Combine(_dir, "file"), "x");
        e = Assert.Throws<CheckpointException>(() => CheckpointFile.Save(Path.Combine(_dir, "file", "c.safetensors"), new TrainingState { Parameters = run.Parameters }));
        Assert.Contains("could not save the checkpoint", e.Message);
    }
}
