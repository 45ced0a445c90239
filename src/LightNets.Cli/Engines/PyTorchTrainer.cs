using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using LightNets.Models;
using LightNets.Models.MobileNetV3;

namespace LightNets.Cli.Engines;

/// <summary>PyTorch cannot be run for a comparison: not installed, no torchvision definition of the model, or it failed.</summary>
public sealed class PyTorchException(string message) : LightNetsException(message);

/// <summary>
/// Debian's PyTorch training torchvision's definition of a model, in a child process (Scripts/torch_train_step.py)
/// that stays up between timing requests, so that <c>bench-train</c> can interleave its rounds with LightNets'.
/// </summary>
internal sealed class PyTorchTrainer : IDisposable
{
    /// <summary>Debian's interpreter (python3-torch installs there); LIGHTNETS_PYTHON overrides it.</summary>
    public const string DefaultPython = "/usr/bin/python3";

    private const string Install = "apt-get install -y python3-torch python3-torchvision";

    private readonly Process _process;
    private readonly string _script;

    private PyTorchTrainer(Process process, string script, long parameters, string version)
    {
        _process = process;
        _script = script;
        Parameters = parameters;
        Version = version;
    }

    /// <summary>Learnable scalars of torchvision's model (to set beside LightNets' count).</summary>
    public long Parameters { get; }

    /// <summary>torch.__version__.</summary>
    public string Version { get; }

    public static string Python => Environment.GetEnvironmentVariable("LIGHTNETS_PYTHON") is { Length: > 0 } p ? p : DefaultPython;

    /// <summary>torchvision's architecture and width for a zoo configuration.</summary>
    /// <exception cref="PyTorchException">torchvision has no such model (MobileNetV1, ShuffleNetV1, small-input, 1-channel).</exception>
    public static (string Arch, double Width) Torchvision(ModelFamily family, ModelOptions effective)
    {
        if (effective.SmallInput == true || effective.InputChannels != 3)
            throw new PyTorchException("--compare pytorch runs torchvision's definitions, which have no small-input or 1-channel variants: drop --small-input and --input-channels");
        var width = effective.Width ?? 1.0;
        return family switch
        {
            ModelFamily.MobileNetV2 => ("mobilenetv2", width),
            ModelFamily.MobileNetV3 => (effective.Variant == MobileNetV3Variant.Small ? "mobilenetv3_small" : "mobilenetv3_large", width),
            ModelFamily.ShuffleNetV2 => ("shufflenetv2", width),
            _ => throw new PyTorchException($"torchvision has no {family}: --compare pytorch takes MobileNetV2, MobileNetV3 and ShuffleNetV2 models"),
        };
    }

    /// <summary>Starts PyTorch on the model, builds both memory formats and runs <paramref name="warmup"/> steps in each.</summary>
    /// <exception cref="PyTorchException">No python3 with torch and torchvision, or the script failed.</exception>
    public static PyTorchTrainer Start(string arch, double width, int classes, int batch, int resolution, int threads, int warmup)
    {
        if (!File.Exists(Python))
            throw new PyTorchException($"PyTorch is not installed: there is no {Python} ({Install}); run without --compare pytorch");
        var script = Path.Combine(Path.GetTempPath(), $"lightnets-torch-train-{Guid.NewGuid():N}.py");
        using (var resource = typeof(PyTorchTrainer).Assembly.GetManifestResourceStream("LightNets.Cli.Scripts.torch_train_step.py")!)
        using (var file = File.Create(script))
            resource.CopyTo(file);
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { script, arch, F(width), F(classes), F(batch), F(resolution), F(threads), F(warmup) }) start.ArgumentList.Add(a);
        // One thread pool setting for every library torch may use, as the comparison's thread count.
        start.Environment["OMP_NUM_THREADS"] = F(threads);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            File.Delete(script);
            throw new PyTorchException($"cannot start {Python}: {e.Message}");
        }
        var errors = process.StandardError.ReadToEndAsync();
        var first = process.StandardOutput.ReadLine();
        if (first is null || JsonNode.Parse(first) is not JsonObject ready || ready["ready"] is null)
        {
            process.WaitForExit();
            File.Delete(script);
            var text = errors.Result;
            if (text.Contains("No module named 'torch", StringComparison.Ordinal))
                throw new PyTorchException($"PyTorch is not installed for {Python} ({Install}); run without --compare pytorch");
            throw new PyTorchException($"PyTorch failed to start: {LastLine(text)}");
        }
        return new PyTorchTrainer(process, script, ready["params"]!.GetValue<long>(), ready["torch"]!.GetValue<string>());
    }

    /// <summary>Times <paramref name="steps"/> training steps in the given memory format; the seconds of each.</summary>
    public double[] Time(bool channelsLast, int steps)
    {
        _process.StandardInput.WriteLine($"{(channelsLast ? "channels_last" : "nchw")} {steps}");
        _process.StandardInput.Flush();
        var line = _process.StandardOutput.ReadLine() ?? throw new PyTorchException("PyTorch stopped in the middle of the measurement");
        return [.. JsonNode.Parse(line)!["seconds"]!.AsArray().Select(v => v!.GetValue<double>())];
    }

    private static string F(double v) => v.ToString(CultureInfo.InvariantCulture);

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no message";

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000)) _process.Kill();
        }
        finally
        {
            _process.Dispose();
            File.Delete(_script);
        }
    }
}
