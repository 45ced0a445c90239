using System.Text.Json;
using LightNets.Tensors;
using LightNets.Tests.Imaging;
using LightNets.Tests.Onnx;
using LightNets.Tests.Training.Trainer;
using LightNets.Tests.Weights.Mapping;

namespace LightNets.Tests.Cli;

/// <summary>
/// <c>lightnets weights inspect|convert</c>, and torchvision/timm/megvii checkpoints through <c>--weights</c> (run, classify,
/// bench, evaluate) and <c>train --from</c>.
/// </summary>
public sealed class WeightsCommandTests : IDisposable
{
    private readonly ImageFiles.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Fixture(string name) => CheckpointFixtures.PathOf(CheckpointFixtures.All[name].File);

    [Fact]
    public void Inspect_lists_the_tensors_and_the_configuration_the_file_fits()
    {
        var r = CliRunner.Run("weights", "inspect", Fixture("megvii_shufflenetv2_050"));

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("megvii_shufflenetv2_050.pth.tar: PyTorch checkpoint (zip), 337 tensors (56 BatchNorm counters)", r.Stdout);
        Assert.Contains("under 'state_dict', keys without nn.DataParallel's 'module.'", r.Stdout);
        Assert.Matches(@"module\.conv_last\.0\.weight\s+│ float32 │ \[1024, 192, 1, 1\]\s+│\s+786,432", r.Stdout);
        Assert.Matches(@"shufflenetv2_050\s+│ megvii ShuffleNetV2 │ 0\.5×, megvii layout, 10 classes\s+│\s+352,032", r.Stdout);
        Assert.Contains("use: lightnets classify shufflenetv2_050 --weights megvii_shufflenetv2_050.pth.tar IMAGE", r.Stdout);
    }

    [Fact]
    public void Inspect_as_json_gives_each_tensor_and_each_fit()
    {
        var r = CliRunner.Run("weights", "inspect", Fixture("timm_mobilenetv3_large_025"), "--format", "json");

        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var root = json.RootElement;
        Assert.Equal("SafeTensors", root.GetProperty("format").GetString());
        var stem = root.GetProperty("tensors")[0];
        Assert.Equal("conv_stem.weight", stem.GetProperty("name").GetString());
        Assert.Equal("float16", stem.GetProperty("dtype").GetString());
        Assert.Equal([16, 3, 3, 3], stem.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(16 * 27 * 2, stem.GetProperty("bytes").GetInt64());
        var fit = Assert.Single(root.GetProperty("fits").EnumerateArray());
        Assert.Equal("mobilenetv3_large --width 0.25", fit.GetProperty("command").GetString());
        Assert.Equal("timm", fit.GetProperty("source").GetString());
        Assert.Equal(568_562, fit.GetProperty("params").GetInt64());
    }

    [Fact]
    public void Inspect_of_a_file_that_fits_nothing_says_why()
    {
        var other = Path.Combine(Path.GetDirectoryName(CheckpointFixtures.Directory)!, "weights", "tiny_net.safetensors");

        var r = CliRunner.Run("weights", "inspect", other);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("fits no zoo configuration: its names are not those of torchvision's, timm's or megvii's", r.Stdout);
    }

    [Fact]
    public void Convert_writes_an_onnx_model_that_computes_pytorchs_logits()
    {
        var name = "tv_mobilenet_v3_large_025";
        var onnx = _dir.File("model.onnx");
        var convert = CliRunner.Run("weights", "convert", Fixture(name), "-o", onnx, "--resolution", "64", "--dynamic-batch", "--check");
        Assert.True(convert.ExitCode == 0, convert.Stderr);
        Assert.Contains("read tv_mobilenet_v3_large_025.pth: torchvision MobileNetV3 checkpoint into mobilenetv3_large_025", convert.Stdout);
        Assert.Contains("(ok)", convert.Stdout);

        AssertRunMatchesPyTorch(name, onnx);
        AssertRunMatchesPyTorch(name, onnx, "--engine", "onnxruntime");
    }

    [Theory]
    [InlineData("tv_shufflenet_v2_x0_5", "shufflenet_v2_x0_5", "reference")]
    [InlineData("timm_mobilenetv1_025", "mobilenetv1", "lightnets")]
    [InlineData("megvii_shufflenetv1_g3_050", "shufflenetv1", "lightnets")]
    public void Run_with_a_checkpoint_computes_pytorchs_logits(string name, string model, string engine)
    {
        AssertRunMatchesPyTorch(name, model, "--weights", Fixture(name), "--resolution", "64", "--engine", engine);
    }

    [Fact]
    public void Classify_and_bench_take_a_checkpoint()
    {
        var image = ImagingFixtures.Get("landscape_rgb_png").Path;
        var classify = CliRunner.Run("classify", "mobilenetv2", "--weights", Fixture("timm_mobilenetv2_035"), "--resolution", "64", image, "--top", "3");
        Assert.True(classify.ExitCode == 0, classify.Stderr);
        Assert.Contains("lightnets: note: timm_mobilenetv2_035.safetensors: timm MobileNetV2 checkpoint into mobilenetv2_035", classify.Stderr);
        Assert.DoesNotContain("random weights", classify.Stderr);

        var bench = CliRunner.Run("bench", "mobilenetv3_small_035", "--weights", Fixture("tv_mobilenet_v3_small_035"), "--runs", "3", "--warmup", "1", "--threads", "1");
        Assert.True(bench.ExitCode == 0, bench.Stderr);
        Assert.Contains("(ok)", bench.Stdout);
    }

    [Fact]
    public void Other_classes_warn_that_the_classifier_is_untrained()
    {
        var r = CliRunner.Run("run", "shufflenetv2_050", "--weights", Fixture("tv_shufflenet_v2_x0_5"), "--classes", "5", "--resolution", "64",
            "-i", CheckpointFixtures.PathOf("tv_shufflenet_v2_x0_5.input.npy"));

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("lightnets: warning: the checkpoint's classifier is for 10 classes and the model has 5", r.Stderr);
    }

    [Fact]
    public void A_checkpoint_that_does_not_fit_is_one_error_line()
    {
        var r = CliRunner.Run("run", "mobilenetv2_100", "--weights", Fixture("tv_mobilenet_v2_025"), "-i", CheckpointFixtures.PathOf("tv_mobilenet_v2_025.input.npy"));

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("lightnets: error: tv_mobilenet_v2_025.pth does not fit mobilenetv2_100", r.Stderr);
        Assert.Contains("it fits mobilenetv2 --width 0.25", r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Evaluate_and_fine_tuning_take_a_checkpoint()
    {
        var data = TrainerKit.WriteIdxDirectory(_dir.File("data"), train: 64, test: 32);
        var checkpoint = Fixture("tv_mobilenet_v3_small_035");
        var evaluate = CliRunner.Run("evaluate", "mobilenetv3_small_035", "--weights", checkpoint, "--data", data, "--resolution", "64", "--format", "json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        Assert.Equal(32, JsonDocument.Parse(evaluate.Stdout).RootElement.GetProperty("images").GetInt64());

        var train = CliRunner.Run("train", "mobilenetv3_small_035", "--from", checkpoint, "--data", data, "--input-channels", "3", "--resolution", "64",
            "--epochs", "1", "--batch", "16", "--threads", "2", "--out", _dir.File("run"), "-q");
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("fine-tuning from", train.Stdout);
        Assert.Contains("torchvision MobileNetV3 checkpoint into mobilenetv3_small_035", train.Stdout);
    }

    /// <summary>`lightnets run` on the fixture's input writes PyTorch's logits (within 1e-5 of its largest).</summary>
    private void AssertRunMatchesPyTorch(string name, string model, params string[] options)
    {
        var output = _dir.File(name + ".out.npy");
        var run = CliRunner.Run(["run", model, "-i", CheckpointFixtures.PathOf(name + ".input.npy"), "-o", output, .. options]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        OnnxExportTests.AssertClose(CheckpointFixtures.Output(name), Npy.Read(output), 1e-5, $"{name}: lightnets run {model}");
    }
}
