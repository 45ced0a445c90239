using System.Runtime.InteropServices;
using Google.Protobuf;
using LightNets.Graphs;
using Onnx;

namespace LightNets.Onnx;

/// <summary>
/// The QDQ side of the writer, in ONNX Runtime's quantize_static layout so that ORT picks its int8 kernels: a
/// <see cref="FakeQuantizeOp"/> is QuantizeLinear + DequantizeLinear; a Conv or Gemm with
/// <see cref="Conv2dOp.WeightQuant"/> reads its weights through a DequantizeLinear of an int8 initializer (axis 0 when
/// per channel) and, when its input is a per-tensor FakeQuantize, its bias through a DequantizeLinear of int32 values
/// on the grid x_scale·w_scale[c]. Nothing is rounded on the way: weights must lie on their grid, and a bias that
/// does not lie exactly on its int32 grid stays float (ORT then runs that layer in float on the same values).
/// </summary>
internal sealed partial class OnnxGraphWriter
{
    private const int Int8Type = (int)TensorProto.Types.DataType.Int8, UInt8Type = (int)TensorProto.Types.DataType.Uint8;
    private const int Int32Type = (int)TensorProto.Types.DataType.Int32;

    /// <summary>Dequantized weights already written, by (initializer, grid): layers sharing weights share the node.</summary>
    private readonly Dictionary<(string, QuantParams), string> _dequantized = [];

    /// <summary>Float initializers replaced by a DequantizeLinear that writes their name: not written as floats.</summary>
    private readonly HashSet<string> _replaced = new(StringComparer.Ordinal);

    private void FakeQuantize(Node node, string input, string output, QuantParams p)
    {
        var axis = AxisAttributes(node, p, "per-axis quantization");
        var scale = ScaleInitializer(node.Name + ".scale", p.Scale.ToArray(), p.IsPerTensor);
        var zero = IntInitializer(node.Name + ".zero_point", p.IsPerTensor ? [] : [p.ZeroPoint.Count], p.ZeroPoint.ToArray(),
            p.Type == QuantType.UInt8 ? UInt8Type : Int8Type);
        var quantized = Fresh(node.Name + ".quantized");
        Emit("QuantizeLinear", node.Name + ".quantize", [input, scale, zero], [quantized], axis);
        Emit("DequantizeLinear", node.Name, [quantized, scale, zero], [output], axis);
    }

    /// <summary>
    /// The inputs a node is written with: those of a Conv or Gemm with <see cref="Conv2dOp.WeightQuant"/> point at the
    /// DequantizeLinear outputs of their int8 weights (and int32 bias), which this writes; every other node's are its own.
    /// </summary>
    private IReadOnlyList<string> LayerInputs(Node node)
    {
        var grid = WeightQuantOf(node);
        if (grid is null || node.Inputs.Count < 2 || !graph.IsInitializer(node.Inputs[1])) return node.Inputs;
        var inputs = node.Inputs.ToArray();
        inputs[1] = DequantizedWeights(node, inputs[1], grid);
        // ORT's int8 kernels take the bias as int32 on the grid of the input's (per-tensor) scale times the weights'.
        if (inputs.Length > 2 && graph.IsInitializer(inputs[2]) && graph.Producer(inputs[0]) is { Op: FakeQuantizeOp { Params.IsPerTensor: true } xq })
            inputs[2] = DequantizedBias(node, inputs[2], xq.Params.Scale[0], grid) ?? inputs[2];
        return inputs;
    }

    private string DequantizedWeights(Node node, string name, QuantParams grid)
    {
        if (_dequantized.TryGetValue((name, grid), out var done)) return done;
        var w = graph.Initializers[name];
        var cout = w.Shape[0];
        if (grid.Type != QuantType.Int8 || !grid.IsSymmetric || !(grid.IsPerTensor || grid.Axis == 0 && grid.Scale.Count == cout))
            throw new GraphValidationException(
                $"node '{node.Name}': its WeightQuant ({grid}) is not a symmetric int8 grid per tensor or along axis 0 of weight '{name}' [{w.Shape}]");
        var axis = AxisAttributes(node, grid, "per-channel weight quantization");
        var data = w.Data;
        var inner = data.Length / cout;
        var q = new int[data.Length];
        for (var i = 0; i < data.Length; i++)
        {
            var c = grid.IsPerTensor ? 0 : i / inner;
            q[i] = grid.Quantize(data[i], c);
            if (grid.Dequantize(q[i], c) != data[i])
                throw new GraphValidationException(
                    $"node '{node.Name}': weight '{name}' element {i} ({data[i]:G9}) is not on its WeightQuant grid ({grid}); quantized weights hold dequantized values (QuantParams.FakeQuantize)");
        }
        var dims = w.Shape.ToArray().Select(d => (long)d).ToArray();
        var quantized = IntInitializer(name + "_quantized", dims, q, Int8Type);
        var scale = ScaleInitializer(name + "_scale", grid.Scale.ToArray(), grid.IsPerTensor);
        var zero = IntInitializer(name + "_zero_point", grid.IsPerTensor ? [] : [cout], new int[grid.Scale.Count], Int8Type);
        // The float initializer's own name when nothing else reads it in float (names survive a round trip), else a new one.
        var exclusive = !graph.Outputs.Contains(name)
                        && graph.Consumers(name).All(c => c.Inputs.Count(i => i == name) == 1 && c.Inputs[1] == name && WeightQuantOf(c) == grid);
        var output = exclusive ? name : Fresh(name + "_dequantized");
        if (exclusive) _replaced.Add(name);
        Emit("DequantizeLinear", name + "_DequantizeLinear", [quantized, scale, zero], [output], axis);
        return _dequantized[(name, grid)] = output;
    }

    /// <summary>
    /// The bias as int32 q[c] = round(b[c] / (x_scale·w_scale[c])) and its DequantizeLinear, or null (stays float) when
    /// some q[c]·scale[c] is not exactly b[c]: export never changes a value. Biases imported from a QDQ file are exact.
    /// </summary>
    private string? DequantizedBias(Node node, string name, float xScale, QuantParams grid)
    {
        var b = graph.Initializers[name].Data;
        if (graph.ShapeOf(name).Rank != 1 || !grid.IsPerTensor && grid.Scale.Count != b.Length) return null;
        var scales = grid.Scale.Select(s => xScale * s).ToArray();
        var q = new int[b.Length];
        for (var c = 0; c < b.Length; c++)
        {
            var s = scales[grid.IsPerTensor ? 0 : c];
            if (!float.IsNormal(s)) return null; // x_scale·w_scale underflowed
            var r = MathF.Round(b[c] / s, MidpointRounding.ToEven);
            if (!(r >= -2147483648f && r < 2147483648f)) return null; // also NaN
            q[c] = (int)r;
            if (q[c] * s != b[c]) return null;
        }
        var axis = AxisAttributes(node, grid, "per-channel weight quantization");
        var quantized = IntInitializer(name + "_quantized", [b.Length], q, Int32Type);
        var scale = ScaleInitializer(name + "_scale", scales, grid.IsPerTensor);
        var zero = IntInitializer(name + "_zero_point", grid.IsPerTensor ? [] : [b.Length], new int[scales.Length], Int32Type);
        var exclusive = graph.Consumers(name).Count == 1 && !graph.Outputs.Contains(name);
        var output = exclusive ? name : Fresh(name + "_dequantized");
        if (exclusive) _replaced.Add(name);
        Emit("DequantizeLinear", name + "_DequantizeLinear", [quantized, scale, zero], [output], axis);
        return output;
    }

    private static QuantParams? WeightQuantOf(Node node) => node.Op switch
    {
        Conv2dOp c => c.WeightQuant,
        GemmOp g => g.WeightQuant,
        _ => null,
    };

    /// <summary>The axis attribute of a per-axis Q/DQ (which ONNX has from opset 13), none for per tensor.</summary>
    private AttributeProto[] AxisAttributes(Node node, QuantParams p, string what)
    {
        if (p.IsPerTensor) return [];
        if (options.Opset < 13)
            throw new NotSupportedException($"node '{node.Name}': {what} (axis {p.Axis}) needs ONNX opset 13 or later; export with OnnxExportOptions.Opset ≥ 13");
        return [Int("axis", p.Axis)];
    }

    /// <summary>A float scale: a scalar per tensor, else a 1-D tensor.</summary>
    private string ScaleInitializer(string name, float[] scale, bool perTensor)
    {
        name = Fresh(name);
        _proto.Initializer.Add(FloatTensor(name, perTensor ? [] : [scale.Length], perTensor ? [scale[0]] : scale));
        return name;
    }

    /// <summary>An integer initializer of ONNX type int8, uint8 or int32 (raw little-endian bytes).</summary>
    private string IntInitializer(string name, long[] dims, int[] values, int dataType)
    {
        name = Fresh(name);
        var t = new TensorProto { Name = name, DataType = dataType };
        t.Dims.AddRange(dims);
        // A per-tensor zero point is a scalar: one value for dims [].
        var data = dims.Length == 0 ? values[..1] : values;
        t.RawData = dataType switch
        {
            Int8Type => ByteString.CopyFrom(data.Select(v => (byte)(sbyte)v).ToArray()),
            UInt8Type => ByteString.CopyFrom(data.Select(v => (byte)v).ToArray()),
            _ => ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())),
        };
        _proto.Initializer.Add(t);
        return name;
    }
}
