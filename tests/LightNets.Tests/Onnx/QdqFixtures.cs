using Google.Protobuf;
using LightNets.Graphs;
using LightNets.Tensors;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace LightNets.Tests.Onnx;

/// <summary>
/// The committed int8 QDQ models (tests/fixtures/qdq, made by make_qdq_fixtures.py): files laid out as ONNX Runtime's
/// quantize_static writes them, and PyTorch's export of a fake-quantized model. Plus what their tests share: a batch
/// of inputs, ONNX Runtime on a whole batch, and the quantization step of a graph's output.
/// </summary>
internal static class QdqFixtures
{
    public static readonly string[] Names =
    [
        "qdq_mbv2_u8_perchannel_op13",
        "qdq_mbv2_u8_pertensor_op10",
        "qdq_mbv2_u8_reducerange_op13",
        "qdq_mbv2_s8_perchannel_op13",
        "qdq_ops_u8_op13",
        "fakequant_torch_op13",
    ];

    /// <summary>Inputs per comparison: enough output elements that "≤ 2 % a step apart" allows a few.</summary>
    public const int Batch = 24;

    public static IEnumerable<object[]> All => Names.Select(n => new object[] { n });

    public static string Directory { get; } = Find();

    public static string Model(string name) => Path.Combine(Directory, name + ".onnx");

    public static ModelProto Proto(string name) => ModelProto.Parser.ParseFrom(File.ReadAllBytes(Model(name)));

    public static Tensor Input(string name) => Npy.Read(Path.Combine(Directory, name + ".input.npy"));

    /// <summary>The committed input first, then seeded N(0, 1) samples (the calibration's distribution).</summary>
    public static Tensor Inputs(string name, int batch = Batch)
    {
        var first = Input(name);
        var perSample = (int)(first.Shape.ElementCount / first.Shape[0]);
        var rest = new Rng((ulong)name.Length * 7919).NormalTensor((batch - 1) * perSample).Data;
        var dims = first.Shape.ToArray();
        dims[0] = batch;
        return new Tensor(new Shape(dims), [.. first.Data.AsSpan(0, perSample), .. rest]);
    }

    /// <summary>
    /// ONNX Runtime's output for a batch: the model's batch dimension made symbolic first (the fixtures declare 1).
    /// ORT fuses the QDQ groups into its int8 kernels (QLinearConv, QGemm, ...), whose requantization rounds differently
    /// from a float conv followed by QuantizeLinear.
    /// </summary>
    public static Tensor RunOnnxRuntime(ModelProto model, Tensor input) =>
        RunOnnxRuntime(model, input, Fuses(model) ? GraphOptimizationLevel.ORT_ENABLE_ALL : GraphOptimizationLevel.ORT_ENABLE_BASIC);

    /// <summary>
    /// Whether ORT can fuse the file's QDQ groups: its fusion into QLinearAdd rejects the one-element 1-D scales that
    /// PyTorch writes for per-tensor parameters ("Scale and Zero-point must be a scalar", a known ORT limitation), so
    /// such files run with basic optimizations, i.e. QuantizeLinear/DequantizeLinear as written, on float kernels.
    /// </summary>
    public static bool Fuses(ModelProto model)
    {
        var scales = model.Graph.Node.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" && n.Input.Count > 1).Select(n => n.Input[1]).ToHashSet();
        return !model.Graph.Initializer.Any(i => scales.Contains(i.Name) && i.Dims is [1]);
    }

    public static Tensor RunOnnxRuntime(ModelProto model, Tensor input, GraphOptimizationLevel level)
    {
        model = model.Clone();
        foreach (var v in model.Graph.Input.Concat(model.Graph.Output))
        {
            if (v.Type?.TensorType?.Shape is { Dim.Count: > 0 } shape) shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "batch" };
        }
        using var sessionOptions = new SessionOptions { GraphOptimizationLevel = level };
        using var session = new InferenceSession(model.ToByteArray(), sessionOptions);
        using var value = OrtValue.CreateTensorValueFromMemory(input.Data, input.Shape.Select(d => (long)d).ToArray());
        using var options = new RunOptions();
        using var outputs = session.Run(options, [model.Graph.Input[0].Name], [value], [model.Graph.Output[0].Name]);
        var dims = outputs[0].GetTensorTypeAndShape().Shape.Select(d => (int)d).ToArray();
        return new Tensor(new Shape(dims), outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    /// <summary>The quantization step of the graph's output (the scale of the FakeQuantize that computes it, per tensor).</summary>
    public static float OutputStep(Graph graph)
    {
        var producer = graph.Producer(graph.Output) ?? throw new InvalidOperationException("the output is not computed");
        var q = Assert.IsType<FakeQuantizeOp>(producer.Op).Params;
        Assert.True(q.IsPerTensor);
        return q.Scale[0];
    }

    /// <summary>
    /// Every element within one quantization step of <paramref name="expected"/> (a value next to a rounding boundary may
    /// land on the neighbouring grid point), and at most <paramref name="maxFraction"/> of them not equal.
    /// </summary>
    public static void WithinOneStep(Tensor expected, Tensor actual, float step, double maxFraction, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var differ = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = MathF.Abs(expected.Data[i] - actual.Data[i]);
            Assert.True(diff <= step * 1.0001f, $"{what}: element {i} is {actual.Data[i]} where {expected.Data[i]} is expected ({diff / step:F2} steps of {step:G4})");
            if (diff != 0) differ++;
        }
        Assert.True(differ <= maxFraction * expected.Length, $"{what}: {differ} of {expected.Length} elements a step apart (at most {maxFraction:P0} allowed)");
    }

    /// <summary>An integer initializer of ONNX type <paramref name="dataType"/> in int32_data (int8, uint8, int16, int32,
    /// float8 bits...: any value, checked or not by the reader) or int64_data (INT64).</summary>
    public static string IntInit(OnnxProtoBuilder b, string name, int dataType, long[] dims, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = dataType };
        t.Dims.Add(dims);
        if (dataType == 7) t.Int64Data.Add(values);
        else t.Int32Data.Add(values.Select(v => (int)v));
        b.Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A float initializer: a scalar (<paramref name="values"/> of one, no dims) or a 1-D tensor.</summary>
    public static string Scales(OnnxProtoBuilder b, string name, params float[] values) =>
        b.Float(name, values.Length == 1 ? [] : [values.Length], values);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "qdq");
            if (System.IO.Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/qdq not found above {AppContext.BaseDirectory}");
    }
}
