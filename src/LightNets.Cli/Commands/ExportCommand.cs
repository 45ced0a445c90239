using System.CommandLine;
using Google.Protobuf;
using LightNets.Cli.Engines;
using LightNets.Cli.Output;
using LightNets.Cost;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Cli.Commands;

/// <summary><c>lightnets export MODEL -o model.onnx</c>: a zoo configuration as a standard ONNX model.</summary>
internal static class ExportCommand
{
    public static Command Create(TextWriter stdout)
    {
        var model = new ModelSelection();
        var output = new Option<FileInfo>("--output", "-o") { Description = "The .onnx file to write.", Required = true };
        var opset = ModelSelection.Number<int>("--opset", $"ONNX opset, {OnnxExportOptions.MinOpset}–{OnnxExportOptions.MaxOpset} (default 13).");
        var dynamic = new Option<bool>("--dynamic-batch") { Description = "Make the batch dimension symbolic (\"batch\")." };
        var fold = new Option<bool>("--fold-bn") { Description = "Fold BatchNorm into the convolutions (as torch.onnx does)." };
        var check = new Option<bool>("--check")
        {
            Description = "Run the written file in ONNX Runtime on a random input and compare with LightNets' reference interpreter.",
        };
        var command = new Command("export", "Export a zoo model to ONNX (standard ops only; ONNX Runtime runs it). Weights are random from --seed until trained ones are loaded.")
        {
            output, opset, dynamic, fold, check, model.Seed,
        };
        model.AddTo(command);
        command.SetAction(p =>
        {
            var o = p.GetValue(opset) ?? 13;
            if (o is < OnnxExportOptions.MinOpset or > OnnxExportOptions.MaxOpset)
                throw new CliUsageException($"--opset must be {OnnxExportOptions.MinOpset} to {OnnxExportOptions.MaxOpset}, got {o}");
            var graph = model.Build(p);
            var options = new OnnxExportOptions { Opset = o, DynamicBatch = p.GetValue(dynamic), FoldBatchNorm = p.GetValue(fold) };
            var bytes = OnnxExporter.Export(graph, options).ToByteArray();
            var path = p.GetValue(output)!.FullName;
            File.WriteAllBytes(path, bytes);
            var cost = CostReport.Analyze(graph);
            stdout.WriteLine($"wrote {path}: {graph.Name}, opset {o}, input {(options.DynamicBatch ? "batch" : graph.Input.Shape.N.ToString())}×{string.Join("×", graph.Input.Shape.Skip(1))}, " +
                             $"{Fmt.Int(options.FoldBatchNorm ? cost.ParamsFolded : cost.Params)} params (BN {(options.FoldBatchNorm ? "folded" : "kept")}), {bytes.Length / 1e6:0.0} MB");
            if (p.GetValue(check))
            {
                var x = new Rng(1).NormalTensor(graph.Input.Shape.ToArray());
                var reference = ReferenceInterpreter.Run(graph, x);
                using var ort = new OnnxRuntimeEngine(bytes);
                var actual = ort.Run(x);
                var rel = Compare.MaxRelativeDifference(reference, actual);
                stdout.WriteLine($"check: ONNX Runtime vs reference interpreter, max |diff| / max |ref| = {rel:0.0e+0} ({(rel <= 1e-4 ? "ok" : "MISMATCH")})");
                if (rel > 1e-4) return LightNetsCli.ExitError;
            }
            return 0;
        });
        return command;
    }
}
