using LightNets.Graphs;
using LightNets.Onnx;

namespace LightNets.Cli.Commands;

/// <summary>MODEL|FILE.onnx: a zoo name with knobs, or an ONNX file (whose knobs are fixed).</summary>
internal static class ModelSource
{
    public static bool IsOnnxFile(string model) =>
        model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || File.Exists(model);

    /// <summary>Loads the graph for <paramref name="batch"/> images.</summary>
    public static Graph Load(ModelSelection selection, System.CommandLine.ParseResult p, int batch = 1)
    {
        var model = p.GetValue(selection.Model)!;
        if (!IsOnnxFile(model))
            return selection.Build(p).WithBatch(batch);
        if (!File.Exists(model))
            throw new FileNotFoundException($"no such ONNX file: {model}");
        var knobs = selection.Options(p);
        if (knobs != new Models.ModelOptions() && knobs with { Batch = null } != new Models.ModelOptions())
            throw new CliUsageException("model options (--width, --resolution, ...) apply to zoo models, not to an ONNX file");
        var graph = OnnxImporter.Load(model, new OnnxImportOptions { Batch = batch });
        return graph.Input.Shape.N == batch ? graph : graph.WithBatch(batch);
    }
}
