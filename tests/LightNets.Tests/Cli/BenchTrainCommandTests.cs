using System.Diagnostics;
using System.Text.Json.Nodes;
using LightNets.Cli.Engines;

namespace LightNets.Tests.Cli;

/// <summary>A bench-train run that finds Debian's PyTorch with torch and torchvision; skipped, saying why, elsewhere.</summary>
public sealed class TorchFactAttribute : FactAttribute
{
    public TorchFactAttribute()
    {
        if (!File.Exists(PyTorchTrainer.DefaultPython)) Skip = $"no {PyTorchTrainer.DefaultPython}";
        else
        {
            using var probe = Process.Start(new ProcessStartInfo(PyTorchTrainer.DefaultPython, ["-c", "import torch, torchvision"])
            {
                RedirectStandardError = true, UseShellExecute = false,
            })!;
            probe.WaitForExit();
            if (probe.ExitCode != 0) Skip = "python3-torch and python3-torchvision are not installed";
        }
    }
}

/// <summary><c>lightnets bench-train</c>: measures, reports JSON, and compares with PyTorch only when it can.</summary>
public sealed class BenchTrainCommandTests
{
    [Fact]
    public void MeasuresTrainingStepsAndAllocatesNothingOnceWarm()
    {
        var r = CliRunner.Run("bench-train", "shufflenetv2_050", "--batch", "8", "--threads", "2", "--warmup", "1", "--runs", "4", "--rounds", "2", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var json = JsonNode.Parse(r.Stdout)!;
        Assert.Equal(4, json["steps"]!.GetValue<int>());
        Assert.Equal([8, 3, 32, 32], json["input"]!.AsArray().Select(v => v!.GetValue<int>()));
        Assert.True(json["lightnets_images_per_second"]!.GetValue<double>() > 0);
        // The step path allocates nothing after the first steps; the timing loop's list may grow once.
        Assert.True(json["allocated_bytes_per_step"]!.GetValue<double>() < 1024, $"{json["allocated_bytes_per_step"]} bytes per step");
        Assert.Null(json["ratio_vs_channels_last"]);
    }

    [Fact]
    public void ComparingWithoutPyTorchOrWithoutATorchvisionModelIsAnError()
    {
        var previous = Environment.GetEnvironmentVariable("LIGHTNETS_PYTHON");
        try
        {
            Environment.SetEnvironmentVariable("LIGHTNETS_PYTHON", "/nonexistent/python3");
            var missing = CliRunner.Run("bench-train", "shufflenetv2_050", "--batch", "8", "--runs", "1", "--compare", "pytorch");
            Assert.Equal(1, missing.ExitCode);
            Assert.StartsWith("lightnets: error: PyTorch is not installed", missing.Stderr);
            Assert.Contains("apt-get install -y python3-torch python3-torchvision", missing.Stderr);
        }
        finally
        {
            Environment.SetEnvironmentVariable("LIGHTNETS_PYTHON", previous);
        }
        var v1 = CliRunner.Run("bench-train", "mobilenetv1_025", "--batch", "8", "--runs", "1", "--compare", "pytorch");
        Assert.Equal(1, v1.ExitCode);
        Assert.Contains("torchvision has no MobileNetV1", v1.Stderr);
        var small = CliRunner.Run("bench-train", "mobilenetv2_035", "--small-input", "--batch", "8", "--runs", "1", "--compare", "pytorch");
        Assert.Contains("no small-input or 1-channel variants", small.Stderr);
        Assert.Equal(1, CliRunner.Run("bench-train", "/nonexistent.onnx").ExitCode);
    }

    [TorchFact]
    public void ComparesWithPyTorchInTheSameRun()
    {
        var r = CliRunner.Run("bench-train", "shufflenetv2_050", "--batch", "8", "--threads", "2", "--warmup", "1", "--runs", "2", "--rounds", "1",
            "--compare", "pytorch", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var json = JsonNode.Parse(r.Stdout)!;
        Assert.True(json["pytorch_channels_last_images_per_second"]!.GetValue<double>() > 0);
        Assert.True(json["ratio_vs_nchw"]!.GetValue<double>() > 0);
        // torchvision's ShuffleNetV2 0.5× is LightNets' default layout: the same parameter count.
        Assert.Equal(json["params"]!.GetValue<long>(), json["torch_params"]!.GetValue<long>());
    }
}
