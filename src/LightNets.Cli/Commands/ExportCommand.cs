using System.CommandLine;
using Google.Protobuf;
using LightNets.Cli.Engines;
using LightNets.Cli.Output;
using LightNets.Cost;
using LightNets.Graphs;
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
        var output = new Option<string>("--output", "-o") { Description = "The .onnx file to write (its directory must exist; checked first).", Required = true };
        var opset = CliOptions.Number<int>("--opset", $"ONNX opset, {OnnxExportOptions.MinOpset}–{OnnxExportOptions.MaxOpset} (default 13).",
            OnnxExportOptions.MinOpset, OnnxExportOptions.MaxOpset);
        var dynamic = new Option<bool>("--dynamic-batch") { Description = "Make the batch dimension symbolic (\"batch\")." };
        var fold = new Option<bool>("--fold-bn") { Description = "Fold BatchNorm into the convolutions (as torch.onnx does)." };
        var check = new Option<bool>("--check")
        {
            Description = "Run the written file in ONNX Runtime on a random input and compare with LightNets' reference interpreter.",
        };
        var command = new ModelCommand("export",
            "Export a zoo model to ONNX (standard ops only; ONNX Runtime runs it). Weights are random from --seed until trained ones are loaded.", model)
        {
            output, opset, dynamic, fold, check,
        };
        command.SetAction(p =>
        {
            var o = p.GetValue(opset) ?? 13;
            var path = OutputPath.File(p.GetValue(output)!, "--output", "model.onnx");
            var graph = model.Build(p);
            var options = new OnnxExportOptions { Opset = o, DynamicBatch = p.GetValue(dynamic), FoldBatchNorm = p.GetValue(fold) };
            var bytes = OnnxExporter.Export(graph, options).ToByteArray();
            File.WriteAllBytes(path, bytes);
            var cost = CostReport.Analyze(graph);
            stdout.WriteLine($"wrote {path}: {graph.Name}, opset {o}, input {(options.DynamicBatch ? "batch" : graph.Input.Shape.N.ToString())}×{string.Join("×", graph.Input.Shape.Skip(1))}, " +
                             $"{Fmt.Int(options.FoldBatchNorm ? cost.ParamsFolded : cost.Params)} params (BN {(options.FoldBatchNorm ? "folded" : "kept")}), {bytes.Length / 1e6:0.0} MB");
            if (p.GetValue(check)) Check(stdout, graph, bytes);
            return 0;
        });
        return command;
    }

    /// <summary>--check: the written ONNX model in ONNX Runtime against the reference interpreter on a random input; a mismatch is an error.</summary>
    internal static void Check(TextWriter stdout, Graph graph, byte[] onnx)
    {
        var x = new Rng(1).NormalTensor(graph.Input.Shape.ToArray());
        var reference = ReferenceInterpreter.Run(graph, x);
        using var ort = new OnnxRuntimeEngine(onnx);
        var actual = ort.Run(x);
        var result = OutputCheck.Compare(reference.Data, actual.Data);
        stdout.WriteLine($"check: ONNX Runtime vs reference interpreter, max |diff| / max |ref| = {result.RelativeToMax:0.0e+0} ({(result.Ok ? "ok" : "MISMATCH")})");
        OutputCheck.Require(result, flat => OutputCheck.Index(reference.Shape, flat), "ONNX Runtime running the exported file", "the reference interpreter", graph.Name);
    }
}
