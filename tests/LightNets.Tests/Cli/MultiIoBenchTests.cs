using System.Text.Json;
using LightNets.Cli.Commands;
using LightNets.Cli.Output;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Tests.Onnx;

namespace LightNets.Tests.Cli;

/// <summary>
/// <c>lightnets bench</c> on graphs with several inputs and outputs: every input fed, every output computed and
/// checked (against the reference interpreter, or ONNX Runtime), nothing allocated per run.
/// </summary>
public sealed class MultiIoBenchTests : IDisposable
{
    private readonly MultiIoModels _models = new();

    public void Dispose() => _models.Dispose();

    public static TheoryData<string, bool> OddNamesAndOracles()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in OddGraphImportTests.Cases.Keys)
        {
            data.Add(name, false);
            data.Add(name, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(OddNamesAndOracles))]
    public void Every_odd_graph_benches_with_every_output_checked_and_nothing_allocated(string name, bool onnxRuntime)
    {
        var file = _models.Odd(name);
        var graph = OnnxImporter.Load(file);
        string[] args = ["bench", file, "--runs", "3", "--warmup", "1", "--threads", "1", "--format", "json"];
        var r = CliRunner.Run(onnxRuntime ? [.. args, "--compare", "onnxruntime"] : args);
        Assert.True(r.ExitCode == 0, $"{name}: {r.Stderr}");
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(0, doc.RootElement.GetProperty("allocated_bytes_per_run").GetDouble());
        var check = doc.RootElement.GetProperty("check");
        Assert.Equal(onnxRuntime ? "ONNX Runtime" : "reference interpreter", check.GetProperty("oracle").GetString());
        Assert.True(check.GetProperty("ok").GetBoolean());
        var outputs = check.GetProperty("outputs").EnumerateArray().ToArray();
        Assert.Equal(graph.Outputs, outputs.Select(o => o.GetProperty("name").GetString()));
        Assert.All(outputs, o => Assert.True(o.GetProperty("ok").GetBoolean()));
    }

    [Fact]
    public void The_table_prints_a_check_line_per_output()
    {
        var file = _models.Odd("two_inputs_two_outputs");
        var r = CliRunner.Run("bench", file, "--runs", "2", "--warmup", "0", "--threads", "1", "--batch", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("batch 2", r.Stdout);
        Assert.Matches(@"check: compiled runtime vs reference interpreter \(images 1 and 2 of the batch\), output 'y' 2×8×6×6: max \|diff\| .* \(ok\)", r.Stdout);
        Assert.Matches(@"check: compiled runtime vs reference interpreter \(images 1 and 2 of the batch\), output 'gated' 2×4×6×6: max \|diff\| .* \(ok\)", r.Stdout);

        var ort = CliRunner.Run("bench", file, "--runs", "2", "--warmup", "0", "--threads", "1", "--batch", "2", "--compare", "onnxruntime");
        Assert.True(ort.ExitCode == 0, ort.Stderr);
        Assert.Contains("check: compiled runtime vs ONNX Runtime, output 'y' 2×8×6×6: max |diff|", ort.Stdout);
        Assert.Contains("check: compiled runtime vs ONNX Runtime, output 'gated' 2×4×6×6: max |diff|", ort.Stdout);
    }

    /// <summary>
    /// A graph whose images are not independent (a per-image vector broadcast along the width, which NumPy aligns with
    /// the batch of another tensor): checking the first and last image alone would see a false mismatch, so a failed
    /// per-image check is settled on the whole batch.
    /// </summary>
    [Fact]
    public void A_graph_that_mixes_images_is_checked_on_the_whole_batch()
    {
        var r = CliRunner.Run("bench", _models.Odd("rank_2_value_broadcast_over_the_width"), "--batch", "3", "--runs", "1", "--warmup", "0", "--threads", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("check: compiled runtime vs reference interpreter (whole batch), output 'y'", r.Stdout);
    }

    /// <summary>The check names a wrong output by name, and the element by its place in the batch.</summary>
    [Fact]
    public void A_wrong_output_is_named()
    {
        var graph = OnnxImporter.Load(_models.Odd("two_inputs_two_outputs"), new OnnxImportOptions { Batch = 2 });
        using var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        Tensor[] inputs = [new Rng(1).NormalTensor(2, 4, 6, 6), new Rng(2).NormalTensor(2, 4, 6, 6)];
        var outputs = session.Outputs.Select(o => new float[o.Shape.ElementCount]).ToArray();
        session.Run(inputs.Select(i => (ReadOnlyMemory<float>)i.Data).ToArray(), outputs.Select(o => (Memory<float>)o).ToArray());
        Assert.True(PlanCheck.AgainstReference("m", graph, inputs, outputs).Ok);

        outputs[1][4 * 36 + 7] += 1; // second image, channel 0, row 1, column 1 of 'gated'
        var e = Assert.Throws<OutputMismatchException>(() => PlanCheck.AgainstReference("m", graph, inputs, outputs));
        Assert.Contains("output 'gated'[1, 0, 1, 1]", e.Message);
    }

    /// <summary>--profile times every step of a model with several inputs and outputs, in both engines.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Profile_times_the_steps_of_a_model_with_several_inputs_and_outputs(bool onnxRuntime)
    {
        string[] args = ["bench", _models.Odd("features_beside_logits"), "--runs", "3", "--warmup", "1", "--threads", "1", "--profile", "--format", "json"];
        var r = CliRunner.Run(onnxRuntime ? [.. args, "--compare", "onnxruntime"] : args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var steps = doc.RootElement.GetProperty("profile").EnumerateArray().ToArray();
        Assert.NotEmpty(steps);
        Assert.Contains(steps, s => s.GetProperty("nodes").EnumerateArray().Any(n => n.GetString()!.Contains("Conv", StringComparison.OrdinalIgnoreCase)));
        if (onnxRuntime)
            Assert.Contains(doc.RootElement.GetProperty("onnxruntime_profile").EnumerateArray(), o => o.GetProperty("op").GetString() == "Conv");
    }
}
