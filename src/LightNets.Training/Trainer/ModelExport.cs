using System.Text.Json.Nodes;
using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Tensors;

namespace LightNets.Training.Trainer;

/// <summary>
/// Turns a trained graph into the model a run exports: one that takes what <c>lightnets classify</c> and ONNX Runtime
/// users give a classifier (N×3×S×S RGB normalised with ImageNet's statistics, any batch), with the data's class names
/// in its metadata. A 1×1 "input_adapter" convolution in front maps that input to the normalisation the network was
/// trained with (grayscale networks take its luma), and where evaluation padded small images up to the resolution the
/// stem convolution pads instead, so the exported model takes the images at their own size and scores them exactly
/// as validation did. BatchNorm is kept (not folded) so that <c>--from</c> can fine-tune the file by name.
/// </summary>
public static class ModelExport
{
    public const string AdapterName = "input_adapter";

    /// <summary>The metadata key holding the class names, a JSON array in label order.</summary>
    public const string ClassNamesKey = "lightnets.class_names";

    /// <summary>The metadata key holding the --resize value that makes classify's preprocessing the run's evaluation.</summary>
    public const string ClassifyResizeKey = "lightnets.classify_resize";

    /// <summary>The export of <paramref name="trained"/> (any batch size; it is exported for one image, batch symbolic).</summary>
    public static Graph Build(Graph trained, ExportInput input, IReadOnlyList<string> classNames, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(trained);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(classNames);
        var graph = trained.WithBatch(1);
        var original = graph.Input;
        var channels = original.Shape.C;
        var nodes = new List<Node>();
        var initializers = new Dictionary<string, Tensor>(graph.Initializers, StringComparer.Ordinal);
        var feed = original.Name;
        if (input.AdapterWeight is { } weight)
        {
            var name = Unused(graph, AdapterName);
            var (w, b, output) = ($"{name}.weight", $"{name}.bias", $"{name}.output");
            initializers[w] = new Tensor(new Shape(channels, 3, 1, 1), (float[])weight.Clone());
            initializers[b] = new Tensor(new Shape(channels), (float[])input.AdapterBias!.Clone());
            nodes.Add(new Node(name, Conv2dOp.Square(1), [original.Name, w, b], [output], "input"));
            feed = output;
        }
        foreach (var node in graph.Nodes)
        {
            if (!node.Inputs.Contains(original.Name))
            {
                nodes.Add(node);
                continue;
            }
            var op = node.Op;
            if (input.StemPadding != default)
            {
                if (op is not Conv2dOp conv)
                    throw new InvalidOperationException($"the model's input goes to '{node.Name}' ({node.Kind}), not to a convolution that can take the evaluation padding");
                var (p, extra) = (conv.Padding, input.StemPadding);
                op = conv with { Padding = new Padding2d(p.Top + extra.Top, p.Left + extra.Left, p.Bottom + extra.Bottom, p.Right + extra.Right) };
            }
            nodes.Add(new Node(node.Name, op, [.. node.Inputs.Select(v => v == original.Name ? feed : v)], node.Outputs, node.Block));
        }

        var meta = new Dictionary<string, string>(graph.Metadata, StringComparer.Ordinal);
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>()) meta[key] = value;
        meta[ClassNamesKey] = new JsonArray([.. classNames.Select(n => JsonValue.Create(n))]).ToJsonString();
        meta[ClassifyResizeKey] = input.ClassifyResize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        meta["lightnets.input"] =
            $"N×3×{input.Size}×{input.Size} RGB, (x/255 − mean)/std with ImageNet's mean and std; `lightnets classify FILE --resize {input.ClassifyResize}` prepares images this way";
        var inputs = new[] { new Value(original.Name, new Shape(1, 3, input.Size, input.Size)) };
        return new Graph(graph.Name, inputs, graph.Outputs, nodes, initializers, meta);
    }

    /// <summary>Writes <paramref name="graph"/> as ONNX (opset 13, symbolic batch, BatchNorm kept) to <paramref name="path"/>, atomically.</summary>
    public static void Save(Graph graph, string path) =>
        AtomicFile.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(OnnxExporter.Export(graph, new OnnxExportOptions { Opset = 13, DynamicBatch = true })));

    /// <summary>
    /// The metadata of the ONNX file at <paramref name="path"/> (the importer does not keep it). Read it only from a file
    /// the importer has accepted: that checked its size and structure.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var stream = File.OpenRead(path);
        var model = global::Onnx.ModelProto.Parser.ParseFrom(stream);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in model.MetadataProps) metadata[entry.Key] = entry.Value;
        return metadata;
    }

    /// <summary>The class names an exported model carries, or null when it has none (not a LightNets training export).</summary>
    public static IReadOnlyList<string>? ClassNames(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(ClassNamesKey, out var text)) return null;
        try
        {
            return JsonNode.Parse(text) is JsonArray array && array.All(n => n is JsonValue v && v.TryGetValue(out string? _))
                ? [.. array.Select(n => n!.GetValue<string>())]
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Unused(Graph graph, string name)
    {
        var candidate = name;
        for (var i = 2; graph.Nodes.Any(n => n.Name == candidate) || graph.Initializers.Keys.Any(k => k.StartsWith(candidate + ".", StringComparison.Ordinal)); i++)
            candidate = $"{name}{i}";
        return candidate;
    }
}
