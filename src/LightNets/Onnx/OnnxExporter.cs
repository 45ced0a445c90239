using Google.Protobuf;
using LightNets.Graphs;
using LightNets.Graphs.Passes;
using Onnx;

namespace LightNets.Onnx;

/// <summary>How <see cref="OnnxExporter"/> writes a graph.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>ONNX opset of the default domain, 11 to 17.</summary>
    public int Opset { get; init; } = 13;

    /// <summary>Fold BatchNorm into the convolutions before writing (fewer nodes; what torch.onnx does).</summary>
    public bool FoldBatchNorm { get; init; }

    /// <summary>Write the batch dimension of the input and output as the symbol "batch" instead of its value.</summary>
    public bool DynamicBatch { get; init; }

    public const int MinOpset = 11;
    public const int MaxOpset = 17;
}

/// <summary>
/// Writes a graph as a standard ONNX model that ONNX Runtime and other tools run: standard ops only (channel shuffle as
/// Reshape→Transpose→Reshape, channel split as Split, channel slice as Slice, h-swish as HardSwish at opset ≥ 14
/// and x·HardSigmoid(x) below), weights as initializers, Dropout omitted. Quantized graphs are written in ONNX
/// Runtime's QDQ layout: FakeQuantize as QuantizeLinear + DequantizeLinear, quantized weights as int8 initializers and
/// their biases as int32 ones, each behind a DequantizeLinear (per-axis quantization needs opset 13).
/// </summary>
public static class OnnxExporter
{
    public static void Save(Graph graph, string path, OnnxExportOptions? options = null) =>
        File.WriteAllBytes(path, Export(graph, options).ToByteArray());

    public static ModelProto Export(Graph graph, OnnxExportOptions? options = null)
    {
        options ??= new OnnxExportOptions();
        if (options.Opset is < OnnxExportOptions.MinOpset or > OnnxExportOptions.MaxOpset)
            throw new ArgumentOutOfRangeException(nameof(options), $"opset must be {OnnxExportOptions.MinOpset} to {OnnxExportOptions.MaxOpset}, got {options.Opset}");
        if (options.FoldBatchNorm) graph = FoldBatchNorm.Apply(graph);

        var writer = new OnnxGraphWriter(graph, options);
        var proto = writer.Write();
        var model = new ModelProto
        {
            IrVersion = IrVersionFor(options.Opset),
            ProducerName = "LightNets",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "0",
            Graph = proto,
            DocString = $"{graph.Name}, exported by LightNets",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        foreach (var (key, value) in graph.Metadata)
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    /// <summary>The IR version that introduced each opset (the onnx "versioning" table), so older runtimes accept the file.</summary>
    private static long IrVersionFor(int opset) => opset switch
    {
        11 => 6,
        <= 14 => 7,
        _ => 8,
    };
}
