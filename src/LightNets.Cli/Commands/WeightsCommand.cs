using System.CommandLine;
using Google.Protobuf;
using LightNets.Cli.Output;
using LightNets.Cost;
using LightNets.Models;
using LightNets.Onnx;
using LightNets.Weights;
using LightNets.Weights.Mapping;

namespace LightNets.Cli.Commands;

/// <summary>
/// <c>lightnets weights inspect FILE</c> and <c>lightnets weights convert FILE -o model.onnx</c>: torchvision, timm and
/// megvii checkpoints (.pth, .pth.tar, .safetensors) without Python.
/// </summary>
internal static class WeightsCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr) => new("weights",
        "Pretrained checkpoints without Python: list a .pth/.safetensors file's tensors and the zoo models it fits, or convert it to ONNX. " +
        "classify, run, bench, evaluate (--weights) and train (--from) read the same files.")
    {
        Inspect(stdout),
        Convert(stdout, stderr),
    };

    private static Argument<FileInfo> FileArgument() => new("FILE")
    {
        Description = "A PyTorch checkpoint (torch.save's zip or legacy format: .pth, .pth.tar, .pt) or a safetensors file, of torchvision, timm or megvii.",
    };

    private static Command Inspect(TextWriter stdout)
    {
        var file = FileArgument();
        var format = FormatOption.Create(OutputFormat.Table, OutputFormat.Json, OutputFormat.Csv, OutputFormat.Markdown);
        var command = new Command("inspect",
            "List the file's tensors (name, dtype, shape, bytes) and the zoo configurations it fits: source (torchvision, timm, megvii), family, " +
            "width, classes, parameters, and the MODEL to give with --weights.")
        {
            file, format,
        };
        command.SetAction(p =>
        {
            var dict = WeightFiles.Read(Existing(p.GetValue(file)!).FullName);
            var tensors = CheckpointTensors.From(dict);
            WeightsReport.Write(stdout, format.Get(p), dict, tensors, WeightsReport.Fits(tensors));
            return 0;
        });
        return command;
    }

    private static Command Convert(TextWriter stdout, TextWriter stderr)
    {
        var file = FileArgument();
        var model = new Option<string?>("--model", "-m")
        {
            Description = "The zoo model (mobilenetv3_large_100, shufflenet_v2_x1_0, ...) or family (mobilenetv2, mobilenetv3_small, ...; the width is the file's). " +
                          "Default: the one configuration the file fits.",
        };
        var output = new Option<string>("--output", "-o") { Description = "The .onnx file to write (its directory must exist; checked first).", Required = true };
        var width = CliOptions.Number<double>("--width", "Width multiplier α (scale of a ShuffleNet), when MODEL is a family and the file's should not be inferred.");
        var resolution = CliOptions.Number<int>("--resolution",
            $"Square input size of the exported model, {ModelConfig.MinResolution}–{ModelConfig.MaxResolution} (default 224).", ModelConfig.MinResolution, ModelConfig.MaxResolution);
        var classes = CliOptions.Number<int>("--classes",
            $"Classes of the exported model, 1–{ModelConfig.MaxClasses:N0} (default: the file's; another count leaves the classifier untrained).", 1, ModelConfig.MaxClasses);
        var opset = CliOptions.Number<int>("--opset", $"ONNX opset, {OnnxExportOptions.MinOpset}–{OnnxExportOptions.MaxOpset} (default 13).",
            OnnxExportOptions.MinOpset, OnnxExportOptions.MaxOpset);
        var dynamic = new Option<bool>("--dynamic-batch") { Description = "Make the batch dimension symbolic (\"batch\")." };
        var fold = new Option<bool>("--fold-bn") { Description = "Fold BatchNorm into the convolutions (as torch.onnx does)." };
        var check = new Option<bool>("--check") { Description = "Run the written file in ONNX Runtime on a random input and compare with LightNets' reference interpreter." };
        var command = new Command("convert",
            "Write an ONNX model with the checkpoint's weights: the zoo graph of the model it fits, its tensors checked by name and shape, " +
            "exported with LightNets' ONNX exporter (standard ops; ONNX Runtime and `lightnets classify model.onnx` run it).")
        {
            file, model, output, width, resolution, classes, opset, dynamic, fold, check,
        };
        command.SetAction(p =>
        {
            var path = OutputPath.File(p.GetValue(output)!, "--output", "model.onnx");
            var source = Existing(p.GetValue(file)!);
            var tensors = CheckpointTensors.From(WeightFiles.Read(source.FullName));
            var options = new ModelOptions { Width = p.GetValue(width), Resolution = p.GetValue(resolution), Classes = p.GetValue(classes) };
            var load = CheckpointLoader.Load(tensors, p.GetValue(model) ?? OnlyFit(tensors), options);
            if (load.Warning is { } warning) stderr.WriteLine($"lightnets: warning: {warning}");

            var export = new OnnxExportOptions { Opset = p.GetValue(opset) ?? 13, DynamicBatch = p.GetValue(dynamic), FoldBatchNorm = p.GetValue(fold) };
            var bytes = OnnxExporter.Export(load.Graph, export).ToByteArray();
            File.WriteAllBytes(path, bytes);
            var cost = CostReport.Analyze(load.Graph);
            var input = load.Graph.Input.Shape;
            stdout.WriteLine($"read {source.Name}: {load.Summary}");
            stdout.WriteLine($"wrote {path}: {load.Graph.Name}, opset {export.Opset}, input {(export.DynamicBatch ? "batch" : input.N.ToString())}×{string.Join("×", input.Skip(1))}, " +
                             $"{Fmt.Int(export.FoldBatchNorm ? cost.ParamsFolded : cost.Params)} params (BN {(export.FoldBatchNorm ? "folded" : "kept")}), {bytes.Length / 1e6:0.0} MB");
            if (p.GetValue(check)) ExportCommand.Check(stdout, load.Graph, bytes);
            return 0;
        });
        return command;
    }

    /// <summary>The MODEL of the one configuration the file fits; an error when it fits none or several.</summary>
    private static string OnlyFit(CheckpointTensors file)
    {
        var fits = CheckpointFits.Find(file);
        return fits.Count switch
        {
            1 => fits[0].Model,
            0 => throw new WeightMappingException($"{file.SourceName} fits no zoo configuration: {CheckpointFits.WhyNone(file)}"),
            _ => throw new CliUsageException($"{file.SourceName} fits {fits.Count} configurations ({string.Join(", ", fits.Select(CheckpointLoader.Command))}): give --model"),
        };
    }

    private static FileInfo Existing(FileInfo file) =>
        file.Exists ? file : throw new FileNotFoundException($"no such weights file: {file.FullName}");
}
