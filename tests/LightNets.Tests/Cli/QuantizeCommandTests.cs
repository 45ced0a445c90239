using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Tests.Training.Data;
using LightNets.Tests.Training.Trainer;
using LightNets.Training.Data;

namespace LightNets.Tests.Cli;

/// <summary><c>lightnets quantize</c>: a QDQ file LightNets reads back as int8 layers, the report, and its refusals.</summary>
public sealed class QuantizeCommandTests : IDisposable
{
    private readonly string _root = TrainerKit.TempDirectory("quantize-cli");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Dir(string name) => Path.Combine(_root, name);

    [Fact]
    public void Quantizes_a_zoo_model_to_qdq_onnx_and_reports_each_layer()
    {
        var data = TrainerKit.WriteIdxDirectory(Dir("data"), train: 40, test: 24);
        var output = Path.Combine(_root, "m.int8.onnx");
        var r = CliRunner.Run("quantize", "mobilenetv2_035", "--resolution", "64", "--calibration", data, "--images", "32", "--method", "percentile",
            "-o", output, "--report", "--report-images", "16", "--threads", "2", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var graph = OnnxImporter.Load(output);
        Assert.Contains(graph.Nodes, n => n.Op is FakeQuantizeOp);
        Assert.All(graph.Nodes.Where(n => n.Op is Conv2dOp), n => Assert.NotNull(((Conv2dOp)n.Op).WeightQuant));
        using var json = System.Text.Json.JsonDocument.Parse(r.Stdout[r.Stdout.IndexOf('{')..]);
        Assert.Equal(16, json.RootElement.GetProperty("images").GetInt32());
        Assert.True(json.RootElement.GetProperty("layers").GetArrayLength() > 10);
        Assert.InRange(json.RootElement.GetProperty("top1_agreement").GetDouble(), 0, 1);

        // The file runs as int8 in LightNets' bench and classify paths (the plan says so per step).
        var bench = CliRunner.Run("bench", output, "--runs", "3", "--warmup", "1", "--threads", "1", "--profile");
        Assert.True(bench.ExitCode == 0, bench.Stderr);
        Assert.Contains("int8 conv 1×1", bench.Stdout);
        Assert.Contains("int8 dwconv", bench.Stdout);
    }

    /// <summary>
    /// The shipped Fashion-MNIST model quantized on 64 real images: `evaluate --compare onnxruntime` scores the int8
    /// file in both engines, which must give the same class on at least 99 % of the images (ONNX Runtime fuses the QDQ
    /// pairs into its own integer kernels, so this compares two int8 implementations), with int8 top-1 near float32's.
    /// </summary>
    [FashionMnistFact]
    public void A_quantized_trained_model_gives_the_same_classes_in_onnx_runtime()
    {
        var model = Path.Combine(Docs.ReadmeTests.FindRoot(), "models", "fashion-mnist", "model.onnx");
        var output = Path.Combine(_root, "fm.int8.onnx");
        var q = CliRunner.Run("quantize", model, "--calibration", FashionMnist.DefaultDirectory, "--images", "64", "-o", output, "--threads", "2");
        Assert.True(q.ExitCode == 0, q.Stderr);
        var scores = new Dictionary<string, System.Text.Json.Nodes.JsonNode>();
        foreach (var file in new[] { model, output })
        {
            var r = CliRunner.Run("evaluate", file, "--data", FashionMnist.DefaultDirectory, "--limit", "1000", "--threads", "2", "--format", "json",
                "--compare", "onnxruntime");
            Assert.True(r.ExitCode == 0, r.Stderr);
            scores[file] = System.Text.Json.Nodes.JsonNode.Parse(r.Stdout)!;
        }
        var int8 = scores[output]["onnxruntime"]!;
        Assert.True(int8["sameTop1Share"]!.GetValue<double>() >= 0.99, $"ONNX Runtime agrees with LightNets on {int8["sameTop1"]} of 1000 images");
        Assert.True(scores[model]["onnxruntime"]!["sameTop1Share"]!.GetValue<double>() >= 0.999, "the float model's classes differ between the engines");
        Assert.InRange(scores[output]["top1"]!.GetValue<double>(), scores[model]["top1"]!.GetValue<double>() - 0.01, 1);
    }

    [Fact]
    public void Refuses_a_quantized_model_and_missing_data()
    {
        var data = TrainerKit.WriteIdxDirectory(Dir("data"), train: 8, test: 8);
        var first = Path.Combine(_root, "q.onnx");
        Assert.Equal(0, CliRunner.Run("quantize", "mobilenetv2_035", "--resolution", "32", "--calibration", data, "--images", "4", "-o", first).ExitCode);
        var again = CliRunner.Run("quantize", first, "--calibration", data, "-o", Path.Combine(_root, "q2.onnx"));
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("already quantized", again.Stderr);
        var missing = CliRunner.Run("quantize", "mobilenetv2_035", "--calibration", Dir("nowhere"), "-o", Path.Combine(_root, "q3.onnx"));
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("no such data directory", missing.Stderr);
    }
}
