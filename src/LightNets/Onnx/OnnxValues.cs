using LightNets.Graphs;
using LightNets.Tensors;
using Onnx;

namespace LightNets.Onnx;

/// <summary>
/// What an ONNX value name stands for during import. Shape subgraphs fold to <see cref="ConstValue"/>s; feature maps
/// are <see cref="IrValue"/>s of the graph being built; a few intermediate results that the IR cannot hold (a 5-D
/// channel-shuffle view, a MatMul waiting for its bias) stay symbolic until their consumer decides what they become.
/// </summary>
internal abstract record OnnxValue;

/// <summary>A constant; <paramref name="Name"/> is the ONNX value name, used if it becomes an initializer.</summary>
internal sealed record ConstValue(ConstTensor Tensor, string Name) : OnnxValue
{
    /// <summary>
    /// The grid the float values lie on when they are a DequantizeLinear of integers (a QDQ model's weights): a
    /// convolution or fully connected layer reading them records it as its <see cref="Conv2dOp.WeightQuant"/>.
    /// </summary>
    public QuantParams? Grid { get; init; }
}

/// <summary>A value of the LightNets graph (the graph input, an initializer or a node output).</summary>
internal sealed record IrValue(string Name, Shape Shape) : OnnxValue
{
    public long[] Dims => Shape.Select(d => (long)d).ToArray();
}

/// <summary>
/// <paramref name="Source"/> [N, C, H, W] reshaped to [N, g, C/g, H, W] and, if <paramref name="Transposed"/>, with
/// the two group axes swapped: the middle of PyTorch's channel_shuffle. Reshaping it back to 4-D yields a
/// ChannelShuffle (or the source itself when not transposed).
/// </summary>
internal sealed record ShuffleView(IrValue Source, int Groups, bool Transposed, long[] Dims) : OnnxValue;

/// <summary>
/// X·W with X [N, K] and a constant weight, held back so that a following Add of a constant bias becomes the bias of
/// one Gemm. <paramref name="Weight"/> is already [M, K] (the IR's layout).
/// </summary>
internal sealed record PendingMatMul(IrValue Input, ConstTensor Weight, string WeightName, string Output, string NodeName,
    QuantParams? WeightGrid = null) : OnnxValue;

/// <summary>
/// The integer output of a QuantizeLinear of a feature map (<paramref name="Source"/>, quantized with
/// <paramref name="Params"/> by node <paramref name="NodeName"/>). LightNets computes in float, so only a
/// DequantizeLinear with the same parameters may read it: the pair becomes one <see cref="FakeQuantizeOp"/>.
/// </summary>
internal sealed record QuantizedValue(IrValue Source, QuantParams Params, string NodeName) : OnnxValue;

/// <summary>
/// A constant of a numeric type LightNets does not read (<see cref="OnnxTensorReader.IsUnreadableNumeric"/>), kept
/// unread so that its consumer's error names the op and the type.
/// </summary>
internal sealed record UnreadableConst(string Name, int DataType) : OnnxValue
{
    public string Describe => $"'{Name}', a constant of type {OnnxTensorReader.TypeName(DataType)}";
}

/// <summary>An output LightNets does not compute (a Dropout mask, MaxPool indices); reading it is an error.</summary>
internal sealed record MissingValue(string Reason) : OnnxValue;

/// <summary>One ONNX node being converted: its proto, resolved inputs, opset and typed attribute access.</summary>
internal sealed class OnnxNode(NodeProto proto, string name, long opset, OnnxValue?[] inputs, string source)
{
    public NodeProto Proto => proto;
    public string OpType => proto.OpType;

    /// <summary>The node's name in errors and the preferred name of the LightNets node it becomes.</summary>
    public string Name => name;
    public long Opset => opset;
    public string Source => source;
    public IReadOnlyList<OnnxValue?> Inputs => inputs;
    public int OutputCount => proto.Output.Count;

    /// <summary>Input <paramref name="i"/>, or null when omitted (absent or the empty name).</summary>
    public OnnxValue? Input(int i) => i < inputs.Length ? inputs[i] : null;

    public OnnxValue Required(int i) =>
        Input(i) ?? throw Format($"needs input {i} but it is missing");

    /// <summary>Input <paramref name="i"/> as a constant (starts/ends, axes, Clip bounds, shapes...).</summary>
    public ConstTensor Const(int i, string role) => Input(i) switch
    {
        ConstValue c => c.Tensor,
        null => throw Format($"needs its {role} (input {i}) but it is missing"),
        _ => throw Unsupported($"its {role} (input {i}, '{proto.Input[i]}') is computed from the input data; LightNets needs it constant"),
    };

    public ConstTensor? OptionalConst(int i, string role) => Input(i) is null ? null : Const(i, role);

    public string OutputName(int i) => i < proto.Output.Count ? proto.Output[i] : "";

    public UnsupportedOnnxOpException Unsupported(string? detail) => new(proto.OpType, name, opset, proto.Domain, detail);

    public OnnxFormatException Format(string message) => new($"{source}: node '{name}' ({proto.OpType}) {message}");

    // ----- attributes -------------------------------------------------------------------------------------------

    public AttributeProto? Attribute(string attr) => proto.Attribute.FirstOrDefault(a => a.Name == attr);

    public bool Has(string attr) => Attribute(attr) is not null;

    public long Int(string attr, long fallback) => Attribute(attr) is { } a ? Expect(a, AttributeProto.Types.AttributeType.Int).I : fallback;

    public float Float(string attr, float fallback) => Attribute(attr) is { } a ? Expect(a, AttributeProto.Types.AttributeType.Float).F : fallback;

    public string String(string attr, string fallback) =>
        Attribute(attr) is { } a ? Expect(a, AttributeProto.Types.AttributeType.String).S.ToStringUtf8() : fallback;

    public long[]? Ints(string attr) => Attribute(attr) is { } a ? Expect(a, AttributeProto.Types.AttributeType.Ints).Ints.ToArray() : null;

    public float[]? Floats(string attr) => Attribute(attr) is { } a ? Expect(a, AttributeProto.Types.AttributeType.Floats).Floats.ToArray() : null;

    public TensorProto? Tensor(string attr) => Attribute(attr) is { } a ? Expect(a, AttributeProto.Types.AttributeType.Tensor).T : null;

    /// <summary>A list of exactly <paramref name="count"/> integers, or <paramref name="fallback"/> repeated when absent.</summary>
    public int[] IntList(string attr, int count, int fallback)
    {
        var v = Ints(attr);
        if (v is null) return Enumerable.Repeat(fallback, count).ToArray();
        if (v.Length != count) throw Format($"has attribute {attr} with {v.Length} values where {count} are needed");
        return v.Select(x => x is < int.MinValue or > int.MaxValue ? throw Format($"has attribute {attr} value {x} out of range") : (int)x).ToArray();
    }

    private AttributeProto Expect(AttributeProto a, AttributeProto.Types.AttributeType type)
    {
        // Some writers leave the type unset (UNDEFINED); accept those when the field that matters is filled.
        if (a.Type != type && a.Type != AttributeProto.Types.AttributeType.Undefined)
            throw Format($"has attribute '{a.Name}' of type {a.Type} where {type} is expected");
        return a;
    }
}
