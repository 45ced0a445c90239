using System.Runtime.InteropServices;
using Google.Protobuf;
using LightNets.Graphs;
using LightNets.Tensors;
using Onnx;

namespace LightNets.Onnx;

/// <summary>Translates one <see cref="Graph"/> into a <see cref="GraphProto"/>, node by node.</summary>
internal sealed partial class OnnxGraphWriter(Graph graph, OnnxExportOptions options)
{
    private readonly GraphProto _proto = new() { Name = graph.Name };
    private readonly Dictionary<string, string> _alias = new(StringComparer.Ordinal); // removed Dropouts: output → input
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public GraphProto Write()
    {
        foreach (var v in graph.Inputs) _names.Add(v.Name);
        foreach (var name in graph.Initializers.Keys) _names.Add(name);
        foreach (var node in graph.Nodes)
        {
            foreach (var o in node.Outputs) _names.Add(o);
        }

        foreach (var input in graph.Inputs)
            _proto.Input.Add(ValueInfo(input.Name, input.Shape));
        // Quantized weights and biases first: their DequantizeLinear nodes read only initializers.
        var inputs = graph.Nodes.ToDictionary(n => n, LayerInputs);
        // A float constant is written when a node reads it (not through a DequantizeLinear) or the graph returns it.
        foreach (var (name, tensor) in graph.Initializers.Where(kv => !_replaced.Contains(kv.Key) && (graph.Outputs.Contains(kv.Key) || inputs.Values.Any(i => i.Contains(kv.Key)))))
            _proto.Initializer.Add(FloatTensor(name, tensor.Shape.ToArray().Select(d => (long)d).ToArray(), tensor.Data));
        foreach (var node in graph.Nodes)
            Translate(node, inputs[node]);
        foreach (var output in graph.Outputs)
        {
            if (_alias.TryGetValue(output, out var source))
                Emit("Identity", output + "_identity", [source], [output]);
            _proto.Output.Add(ValueInfo(output, graph.ShapeOf(output)));
        }
        return _proto;
    }

    private string In(string value) => _alias.GetValueOrDefault(value, value);

    private void Translate(Node node, IReadOnlyList<string> nodeInputs)
    {
        var inputs = nodeInputs.Select(In).ToArray();
        var outputs = node.Outputs.ToArray();
        switch (node.Op)
        {
            case Conv2dOp c:
                Emit("Conv", node.Name, inputs, outputs,
                    Ints("kernel_shape", c.KernelH, c.KernelW), Ints("strides", c.StrideH, c.StrideW),
                    Ints("pads", c.Padding.Top, c.Padding.Left, c.Padding.Bottom, c.Padding.Right),
                    Ints("dilations", c.DilationH, c.DilationW), Int("group", c.Groups));
                break;
            case BatchNormOp bn:
                Emit("BatchNormalization", node.Name, inputs, outputs, Float("epsilon", bn.Epsilon));
                break;
            case ReluOp:
                Emit("Relu", node.Name, inputs, outputs);
                break;
            case ClipOp clip:
                Emit("Clip", node.Name, [inputs[0], Scalar(node.Name + ".min", clip.Min), Scalar(node.Name + ".max", clip.Max)], outputs);
                break;
            case HardSigmoidOp hs:
                Emit("HardSigmoid", node.Name, inputs, outputs, Float("alpha", hs.Alpha), Float("beta", hs.Beta));
                break;
            case HardSwishOp when options.Opset >= 14:
                Emit("HardSwish", node.Name, inputs, outputs);
                break;
            case HardSwishOp:
                // Before opset 14: x · HardSigmoid(x) with h-sigmoid's constants, which is h-swish exactly.
                var gate = Fresh(node.Name + ".gate");
                Emit("HardSigmoid", node.Name + ".hsigmoid", inputs, [gate], Float("alpha", 1f / 6f), Float("beta", 0.5f));
                Emit("Mul", node.Name, [inputs[0], gate], outputs);
                break;
            case SigmoidOp:
                Emit("Sigmoid", node.Name, inputs, outputs);
                break;
            case AddOp:
                Emit("Add", node.Name, inputs, outputs);
                break;
            case MulOp:
                Emit("Mul", node.Name, inputs, outputs);
                break;
            case ConcatOp:
                Emit("Concat", node.Name, inputs, outputs, Int("axis", 1));
                break;
            case ChannelShuffleOp s:
                Shuffle(node, inputs[0], outputs[0], s.Groups);
                break;
            case SliceOp s:
                Emit("Slice", node.Name,
                    [inputs[0], Int64s(node.Name + ".starts", s.Start), Int64s(node.Name + ".ends", s.End), Int64s(node.Name + ".axes", 1)], outputs);
                break;
            case SplitOp s when options.Opset >= 13:
                Emit("Split", node.Name, [inputs[0], Int64s(node.Name + ".split", s.Sizes.Select(x => (long)x).ToArray())], outputs, Int("axis", 1));
                break;
            case SplitOp s:
                Emit("Split", node.Name, inputs, outputs, Int("axis", 1), Ints("split", s.Sizes.ToArray()));
                break;
            case MaxPoolOp p:
                Emit("MaxPool", node.Name, inputs, outputs, PoolAttributes(p));
                break;
            case AveragePoolOp p:
                Emit("AveragePool", node.Name, inputs, outputs, [.. PoolAttributes(p), Int("count_include_pad", p.CountIncludePad ? 1 : 0)]);
                break;
            case GlobalAveragePoolOp:
                Emit("GlobalAveragePool", node.Name, inputs, outputs);
                break;
            case FlattenOp:
                Emit("Flatten", node.Name, inputs, outputs, Int("axis", 1));
                break;
            case GemmOp:
                Emit("Gemm", node.Name, inputs, outputs, Int("transB", 1));
                break;
            case SoftmaxOp when graph.ShapeOf(node.Inputs[0]).Rank != 2 && options.Opset < 13:
                throw new NotSupportedException($"node '{node.Name}': Softmax over the channels of a 4-D tensor needs opset 13 or later");
            case SoftmaxOp:
                Emit("Softmax", node.Name, inputs, outputs, Int("axis", 1));
                break;
            case DropoutOp:
                _alias[outputs[0]] = inputs[0]; // the identity at inference: left out
                break;
            case FakeQuantizeOp q:
                FakeQuantize(node, inputs[0], outputs[0], q.Params);
                break;
            default:
                throw new NotSupportedException($"node '{node.Name}': no ONNX mapping for {node.Kind}");
        }
    }

    /// <summary>Channel shuffle as ONNX has no such op: [N, C, H, W] → [N, g, C/g, H, W] → transpose 1↔2 → [N, C, H, W].</summary>
    private void Shuffle(Node node, string input, string output, int groups)
    {
        var s = graph.ShapeOf(node.Inputs[0]);
        if (s.Rank != 4) throw new NotSupportedException($"node '{node.Name}': channel shuffle export needs a 4-D input");
        // 0 copies the input's dimension (Reshape's allowzero = 0), which keeps a dynamic batch dynamic.
        var split = Fresh(node.Name + ".grouped");
        var swapped = Fresh(node.Name + ".transposed");
        Emit("Reshape", node.Name + ".reshape1", [input, Int64s(node.Name + ".shape1", 0, groups, s.C / groups, s.H, s.W)], [split]);
        Emit("Transpose", node.Name + ".transpose", [split], [swapped], Ints("perm", 0, 2, 1, 3, 4));
        Emit("Reshape", node.Name, [swapped, Int64s(node.Name + ".shape2", 0, s.C, s.H, s.W)], [output]);
    }

    private static AttributeProto[] PoolAttributes(PoolOp p) =>
    [
        Ints("kernel_shape", p.KernelH, p.KernelW), Ints("strides", p.StrideH, p.StrideW),
        Ints("pads", p.Padding.Top, p.Padding.Left, p.Padding.Bottom, p.Padding.Right), Int("ceil_mode", p.CeilMode ? 1 : 0),
    ];

    private void Emit(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _proto.Node.Add(node);
    }

    private string Fresh(string name)
    {
        var candidate = name;
        for (var i = 1; !_names.Add(candidate); i++) candidate = $"{name}_{i}";
        return candidate;
    }

    private string Scalar(string name, float value)
    {
        name = Fresh(name);
        _proto.Initializer.Add(FloatTensor(name, [], [value]));
        return name;
    }

    private string Int64s(string name, params long[] values)
    {
        name = Fresh(name);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _proto.Initializer.Add(t);
        return name;
    }

    private static TensorProto FloatTensor(string name, long[] dims, float[] data)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        return t;
    }

    private ValueInfoProto ValueInfo(string name, Shape shape)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() };
        for (var i = 0; i < shape.Rank; i++)
        {
            tensorType.Shape.Dim.Add(i == 0 && options.DynamicBatch
                ? new TensorShapeProto.Types.Dimension { DimParam = "batch" }
                : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static AttributeProto Ints(string name, params int[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values.Select(v => (long)v));
        return a;
    }
}
