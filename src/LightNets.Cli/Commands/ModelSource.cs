using Google.Protobuf;
using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Tensors;

namespace LightNets.Cli.Commands;

/// <summary>MODEL|FILE.onnx: a zoo name with knobs, or an ONNX file (whose knobs are fixed).</summary>
internal static class ModelSource
{
    public static bool IsOnnxFile(string model) =>
        model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || File.Exists(model);

    /// <summary>
    /// Loads the graph for <paramref name="batch"/> images: a zoo model is built for it, every input of an ONNX file
    /// takes it as its first dimension. Null: a zoo model's one image, an ONNX file's own batch (1 where symbolic).
    /// </summary>
    public static Graph Load(ModelSelection selection, System.CommandLine.ParseResult p, int? batch = 1)
    {
        var model = p.GetValue(selection.Model)!;
        if (!IsOnnxFile(model))
            return selection.Build(p).WithBatch(batch ?? 1);
        if (!File.Exists(model))
            throw new FileNotFoundException($"no such ONNX file: {model}");
        var knobs = selection.Options(p);
        if (knobs != new Models.ModelOptions() && knobs with { Batch = null } != new Models.ModelOptions())
            throw new CliUsageException("model options (--width, --resolution, ...) apply to zoo models, not to an ONNX file");
        // The importer gives every input the batch asked for (re-inferring the graph when the file fixes another one).
        return OnnxImporter.Load(model, new OnnxImportOptions { Batch = batch });
    }

    /// <summary>
    /// What ONNX Runtime runs for <paramref name="graph"/>: the user's file when the first dimension of each of its
    /// inputs is symbolic or the graph's, else LightNets' export of the same graph (BN folded, as ONNX Runtime would
    /// fold it), which has the graph's own shapes.
    /// </summary>
    public static byte[] OnnxRuntimeModel(string name, Graph graph)
    {
        if (IsOnnxFile(name))
        {
            var bytes = File.ReadAllBytes(name);
            var declared = global::Onnx.ModelProto.Parser.ParseFrom(bytes).Graph.Input.ToDictionary(i => i.Name, i => i.Type?.TensorType?.Shape?.Dim);
            if (graph.Inputs.All(i => declared.GetValueOrDefault(i.Name) is { Count: > 0 } dims && (dims[0].DimParam.Length > 0 || dims[0].DimValue == i.Shape[0])))
                return bytes;
        }
        return OnnxExporter.Export(graph, new OnnxExportOptions { Opset = 13, FoldBatchNorm = true }).ToByteArray();
    }

    /// <summary>"'x' 1×4×6×6, 'z' 1×4×6×6": values with their shapes, for messages.</summary>
    public static string List(IEnumerable<(string Name, Shape Shape)> values) =>
        string.Join(", ", values.Select(v => $"'{v.Name}' {Output.Fmt.Shape(v.Shape)}"));

    public static string Inputs(Graph graph) => List(graph.Inputs.Select(i => (i.Name, i.Shape)));

    /// <summary>The graph's outputs, each name once (a value listed twice is one output to a user).</summary>
    public static string Outputs(Graph graph) => List(graph.Outputs.Distinct().Select(o => (o, graph.ShapeOf(o))));
}
