using Google.Protobuf;
using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using Onnx;
using static LightNets.Tests.Onnx.OnnxProtoBuilder;
using static LightNets.Tests.Onnx.QdqFixtures;

namespace LightNets.Tests.Onnx;

/// <summary>
/// Broken, hostile or unsupported quantization: each is refused with a specific exception whose message names the
/// node and the cause (OnnxFormatException for what ONNX forbids or what cannot be a quantization, such as a zero
/// scale; UnsupportedOnnxOpException for valid ONNX that LightNets does not run, such as int16 or float8). Then a
/// seeded sweep of damaged QDQ fixtures: every outcome is a model that runs or a LightNetsException.
/// </summary>
public class QdqHostileTests
{
    private const int UInt8 = 2, Int8 = 3;
    private const string Source = "ONNX graph 'test'";

    private static Graph Import(OnnxProtoBuilder b) => OnnxImporter.Import(b.Model, null);

    /// <summary>x [1, 4, 3, 3] → QuantizeLinear(x, s, z) → DequantizeLinear(·, s, z) → y, the parameters added by the caller.</summary>
    private static OnnxProtoBuilder Pair(long opset = 13, string z = "z", params AttributeProto[] attributes)
    {
        var b = new OnnxProtoBuilder(opset).Input("x", 1, 4, 3, 3).Output("y");
        b.Node("QuantizeLinear", ["x", "s", z], ["q"], attributes);
        b.Node("DequantizeLinear", ["q", "s", z], ["y"], attributes);
        return b;
    }

    private static OnnxProtoBuilder ValidPair(long opset = 13)
    {
        var b = Pair(opset);
        Scales(b, "s", 0.05f);
        IntInit(b, "z", UInt8, [], 128);
        return b;
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.5f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(1e-40f)] // denormal
    public void Scales_that_are_not_positive_normal_floats(float scale)
    {
        var b = Pair();
        Scales(b, "s", scale);
        IntInit(b, "z", UInt8, [], 0);
        var ex = Assert.Throws<OnnxFormatException>(() => Import(b));
        Assert.Equal($"{Source}: node 'quantizelinear0' (QuantizeLinear) has scale {scale:G9} (element 0 of 's'); a quantization scale must be a positive, finite, normal float", ex.Message);
    }

    [Theory]
    [InlineData(UInt8, 300L, "has zero point 300 (element 0 of 'z'), outside the UINT8 (2) range [0, 255]")]
    [InlineData(UInt8, -1L, "has zero point -1 (element 0 of 'z'), outside the UINT8 (2) range [0, 255]")]
    [InlineData(Int8, -129L, "has zero point -129 (element 0 of 'z'), outside the INT8 (3) range [-128, 127]")]
    public void Zero_points_outside_their_type(int type, long zero, string message)
    {
        var b = Pair();
        Scales(b, "s", 0.05f);
        IntInit(b, "z", type, [], zero);
        Assert.Equal($"{Source}: node 'quantizelinear0' (QuantizeLinear) {message}", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);
    }

    [Fact]
    public void Zero_points_of_the_wrong_type_or_count()
    {
        var b = Pair();
        Scales(b, "s", 0.05f);
        b.Float("z", [], [128f]);
        Assert.EndsWith("has a float zero point 'z'; the zero point has the quantized type (uint8 or int8)", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);

        b = Pair();
        Scales(b, "s", 0.05f);
        IntInit(b, "z", 5, [], 128); // INT16: valid ONNX from opset 21, not imported
        var unsupported = Assert.Throws<UnsupportedOnnxOpException>(() => Import(b));
        Assert.Equal("unsupported ONNX op 'QuantizeLinear' (node 'quantizelinear0', opset 13, domain 'ai.onnx'): its zero point is 'z', a constant of type INT16 (5); LightNets reads float32 scales and uint8/int8 zero points", unsupported.Message);

        b = Pair(13, "z", Attr("axis", 1L));
        Scales(b, "s", 0.1f, 0.2f, 0.3f, 0.4f);
        IntInit(b, "z", UInt8, [2], 1, 2);
        Assert.EndsWith("(QuantizeLinear) has 2 zero points for 4 scales; ONNX gives both the same shape", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);

        b = Pair();
        Scales(b, "s", 0.05f);
        IntInit(b, "z", 7, [], 128); // INT64
        Assert.EndsWith("quantization to INT64 (7); LightNets imports uint8 and int8 quantization (and int32 biases)", Assert.Throws<UnsupportedOnnxOpException>(() => Import(b)).Message);
    }

    [Theory]
    [InlineData(1L, 3, "has 3 scales along axis 1 of [1, 4, 3, 3], which has 4 entries")]
    [InlineData(4L, 4, "has axis 4 outside [-4, 4)")]
    [InlineData(-5L, 4, "has axis -5 outside [-4, 4)")]
    [InlineData(0L, 4, "has 4 scales along axis 0 of [1, 4, 3, 3], which has 1 entries")]
    public void Per_axis_scales_that_do_not_fit(long axis, int count, string message)
    {
        var b = Pair(13, "", Attr("axis", axis));
        Scales(b, "s", Enumerable.Range(1, count).Select(i => i * 0.1f).ToArray());
        Assert.Equal($"{Source}: node 'quantizelinear0' (QuantizeLinear) {message}", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);
    }

    [Fact]
    public void Per_axis_scales_before_opset_13_and_scales_of_the_wrong_kind()
    {
        var b = Pair(12, "");
        Scales(b, "s", 0.1f, 0.2f, 0.3f, 0.4f);
        Assert.EndsWith("(QuantizeLinear) has 4 scales; per-axis quantization (the 'axis' attribute) needs opset 13 or later", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);

        b = Pair(13, "");
        b.Float("s", [2, 2], [0.1f, 0.2f, 0.3f, 0.4f]);
        Assert.EndsWith("has a scale of shape [2×2]; ONNX takes a scalar (per tensor) or a 1-D scale (per axis)", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);

        b = Pair(13, "");
        IntInit(b, "s", 7, [], 1);
        Assert.EndsWith("has a scale of type INT64 (7); a quantization scale is a float", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);

        // A scale computed from the input data.
        b = new OnnxProtoBuilder(13).Input("x", 1, 4, 3, 3).Output("y");
        b.Node("QuantizeLinear", ["x", "x"], ["q"]);
        b.Node("DequantizeLinear", ["q", "x"], ["y"]);
        Assert.EndsWith("its scale (input 1, 'x') is computed from the input data; LightNets needs it constant", Assert.Throws<UnsupportedOnnxOpException>(() => Import(b)).Message);

        b = new OnnxProtoBuilder(13).Input("x", 1, 4, 3, 3).Output("y");
        b.Node("QuantizeLinear", ["x"], ["q"]);
        b.Node("DequantizeLinear", ["q"], ["y"]);
        Assert.EndsWith("(QuantizeLinear) needs input 1 (the scale) but it is missing", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);
    }

    /// <summary>Valid ONNX from opset 19–21 that LightNets does not import: 16-bit, 4-bit and float8 quantized data.</summary>
    [Theory]
    [InlineData(5, "INT16 (5)")]
    [InlineData(4, "UINT16 (4)")]
    [InlineData(17, "FLOAT8E4M3FN (17)")]
    [InlineData(19, "FLOAT8E5M2 (19)")]
    [InlineData(22, "INT4 (22)")]
    public void Dequantizing_types_other_than_uint8_int8_and_int32(int type, string name)
    {
        var b = new OnnxProtoBuilder(21).Input("x", 1, 2).Output("y");
        IntInit(b, "w_q", type, [3, 2], 1, 2, 3, 4, 5, 6);
        Scales(b, "w_s", 0.1f);
        b.Node("DequantizeLinear", ["w_q", "w_s"], ["w"]);
        b.Node("Gemm", ["x", "w"], ["y"], Attr("transB", 1L));
        var ex = Assert.Throws<UnsupportedOnnxOpException>(() => Import(b));
        Assert.Equal($"unsupported ONNX op 'DequantizeLinear' (node 'dequantizelinear0', opset 21, domain 'ai.onnx'): it dequantizes 'w_q', a constant of type {name}; LightNets imports uint8 and int8 quantization (and int32 biases)", ex.Message);

        // The same from a Constant node, and a QuantizeLinear to that type.
        b = new OnnxProtoBuilder(21).Input("x", 1, 2).Output("y");
        var t = new TensorProto { DataType = type };
        t.Dims.Add(6);
        t.Int32Data.Add([1, 2, 3, 4, 5, 6]);
        b.Node("Constant", [], ["c"], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
        Scales(b, "s", 0.1f);
        b.Node("DequantizeLinear", ["c", "s"], ["y"]);
        Assert.Contains($"it dequantizes 'c', a constant of type {name}", Assert.Throws<UnsupportedOnnxOpException>(() => Import(b)).Message);

        b = Pair(21, "", Attr("output_dtype", (long)type));
        Scales(b, "s", 0.1f);
        Assert.EndsWith($"quantization to {name}; LightNets imports uint8 and int8 quantization (and int32 biases)", Assert.Throws<UnsupportedOnnxOpException>(() => Import(b)).Message);
    }

    [Fact]
    public void Blocked_quantization_is_refused()
    {
        var b = Pair(21, "", Attr("block_size", 2L));
        Scales(b, "s", 0.1f);
        Assert.EndsWith("(node 'quantizelinear0', opset 21, domain 'ai.onnx'): blocked quantization (block_size 2); LightNets quantizes per tensor or per axis",
            Assert.Throws<UnsupportedOnnxOpException>(() => Import(b)).Message);
    }

    [Fact]
    public void A_dequantizer_whose_parameters_differ_from_its_quantizers()
    {
        var b = new OnnxProtoBuilder(13).Input("x", 1, 4, 3, 3).Output("y");
        Scales(b, "s", 0.05f);
        Scales(b, "s2", 0.1f);
        IntInit(b, "z", UInt8, [], 128);
        b.Node("QuantizeLinear", ["x", "s", "z"], ["q"]);
        b.Node("DequantizeLinear", ["q", "s2", "z"], ["y"]);
        var ex = Assert.Throws<UnsupportedOnnxOpException>(() => Import(b));
        Assert.Equal("unsupported ONNX op 'DequantizeLinear' (node 'dequantizelinear1', opset 13, domain 'ai.onnx'): its parameters (uint8 scale 0.1 zero 128) differ from those of QuantizeLinear 'quantizelinear0' (uint8 scale 0.05 zero 128); "
                     + "LightNets runs a QuantizeLinear–DequantizeLinear pair on a feature map as one fake quantization, which needs the same scale, zero point and axis on both", ex.Message);

        // Another zero point type: ONNX's type rule, a format error.
        b = new OnnxProtoBuilder(13).Input("x", 1, 4, 3, 3).Output("y");
        Scales(b, "s", 0.05f);
        IntInit(b, "z", UInt8, [], 128);
        IntInit(b, "z8", Int8, [], 0);
        b.Node("QuantizeLinear", ["x", "s", "z"], ["q"]);
        b.Node("DequantizeLinear", ["q", "s", "z8"], ["y"]);
        Assert.EndsWith("(DequantizeLinear) dequantizes a tensor of type UINT8 (2) with a zero point of type INT8 (3); ONNX requires the same type", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);
    }

    [Fact]
    public void Integer_graph_outputs_and_inputs_are_refused_by_name()
    {
        var b = new OnnxProtoBuilder(13).Input("x", 1, 4, 3, 3).Output("q");
        Scales(b, "s", 0.05f);
        b.Node("QuantizeLinear", ["x", "s"], ["q"]);
        Assert.Equal("unsupported ONNX op 'QuantizeLinear' (node 'quantizelinear0', opset 13, domain 'ai.onnx'): its integer output is graph output 'q'; LightNets' outputs are float: end the model with the DequantizeLinear of it",
            Assert.Throws<UnsupportedOnnxOpException>(() => Import(b)).Message);

        // Through an Identity, and a constant's quantization.
        b = new OnnxProtoBuilder(13).Input("x", 1, 4, 3, 3).Output("y");
        Scales(b, "s", 0.05f);
        b.Node("QuantizeLinear", ["x", "s"], ["q"]);
        b.Node("Identity", ["q"], ["y"]);
        Assert.Contains("QuantizeLinear' (node 'quantizelinear0'", Assert.Throws<UnsupportedOnnxOpException>(() => Import(b)).Message);
        b = new OnnxProtoBuilder(13).Input("x", 1, 4, 3, 3).Output("y").Output("q");
        Scales(b, "s", 0.05f);
        b.Float("c", [2], [1f, 2f]);
        b.Node("QuantizeLinear", ["c", "s"], ["q"]);
        b.Node("Relu", ["x"], ["y"]);
        Assert.Contains("its integer output is graph output 'q'", Assert.Throws<UnsupportedOnnxOpException>(() => Import(b)).Message);

        // A model that takes quantized data: its uint8 input dequantized.
        b = new OnnxProtoBuilder(13).Output("y");
        var input = TensorInfo("x", 1, 4, 3, 3);
        input.Type.TensorType.ElemType = UInt8;
        b.Graph.Input.Add(input);
        Scales(b, "s", 0.05f);
        b.Node("DequantizeLinear", ["x", "s"], ["y"]);
        Assert.Equal("unsupported ONNX op 'DequantizeLinear' (node 'dequantizelinear0', opset 13, domain 'ai.onnx'): it dequantizes graph input 'x' of type UINT8 (2); LightNets' inputs are float: take a float input and quantize it inside the model (QuantizeLinear, then this DequantizeLinear), as ONNX Runtime's quantize_static does",
            Assert.Throws<UnsupportedOnnxOpException>(() => Import(b)).Message);
    }

    [Fact]
    public void Quantized_values_read_by_anything_but_a_dequantizer()
    {
        var b = ValidPair();
        b.Node("Relu", ["q"], ["r"]);
        b.Graph.Output.Clear();
        b.Output("r");
        Assert.Equal("unsupported ONNX op 'Relu' (node 'relu2', opset 13, domain 'ai.onnx'): input 0 ('q') is the uint8 output of QuantizeLinear 'quantizelinear0'; LightNets computes in float and reads a quantized feature map only through a DequantizeLinear with the same scale and zero point",
            Assert.Throws<UnsupportedOnnxOpException>(() => Import(b)).Message);

        b = ValidPair();
        b.Node("QuantizeLinear", ["q", "s", "z"], ["qq"]);
        b.Output("qq");
        Assert.EndsWith("(QuantizeLinear) quantizes the integer output of another QuantizeLinear; QuantizeLinear reads float (or int32) values", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);

        b = new OnnxProtoBuilder(13).Input("x", 1, 4, 3, 3).Output("y");
        Scales(b, "s", 0.05f);
        b.Node("DequantizeLinear", ["x", "s"], ["y"]);
        Assert.EndsWith("(DequantizeLinear) dequantizes 'x', a float feature map; DequantizeLinear reads integers (the output of a QuantizeLinear or an integer constant)", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);
    }

    [Fact]
    public void Integer_constants_outside_their_type_or_with_a_zero_point_int32_does_not_have()
    {
        var b = new OnnxProtoBuilder(13).Input("x", 1, 3).Output("y");
        IntInit(b, "c_q", UInt8, [3], 0, 256, 1);
        Scales(b, "s", 0.1f);
        b.Node("DequantizeLinear", ["c_q", "s"], ["c"]);
        b.Node("Add", ["x", "c"], ["y"]);
        Assert.EndsWith("(DequantizeLinear) dequantizes value 256 (element 1 of 'c_q'), outside the UINT8 (2) range [0, 255]", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);

        b = new OnnxProtoBuilder(13).Input("x", 1, 3).Output("y");
        IntInit(b, "c_q", 6, [3], 0, 256, 1);
        IntInit(b, "z", 6, [], 5);
        Scales(b, "s", 0.1f);
        b.Node("DequantizeLinear", ["c_q", "s", "z"], ["c"]);
        b.Node("Add", ["x", "c"], ["y"]);
        Assert.EndsWith("has zero point 5 for int32 values; ONNX dequantizes int32 with zero point 0", Assert.Throws<OnnxFormatException>(() => Import(b)).Message);
    }

    // ----- a seeded sweep of damaged fixtures ------------------------------------------------------------------------

    private static readonly float[] AwkwardScales = [0f, -1f, float.NaN, float.PositiveInfinity, 1e-42f, 1e-30f, 1e30f];
    private static readonly int[] AwkwardTypes = [1, 2, 3, 4, 5, 6, 7, 9, 17, 22, 0, 99];
    private static readonly long[] AwkwardAxes = [-5, -1, 0, 1, 2, 3, 4, long.MaxValue];

    /// <summary>Scales, zero points, integer weights, axes and the wiring of the Q/DQ nodes, damaged one to three at a time.</summary>
    [Theory]
    [MemberData(nameof(QdqFixtures.All), MemberType = typeof(QdqFixtures))]
    public void Damaged_quantization_is_refused_clearly_or_runs(string name)
    {
        var original = Proto(name);
        var rng = new Random(name.Length * 65537);
        var failures = new List<string>();
        var refused = 0;
        for (var i = 0; i < 40; i++)
        {
            var model = original.Clone();
            var what = string.Join("; ", Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => Mutate(model.Graph, rng)));
            try
            {
                var graph = OnnxImporter.Import(model, null);
                var input = new Tensor(graph.Input.Shape, Enumerable.Range(0, (int)graph.Input.Shape.ElementCount).Select(k => (k % 17 - 8) / 4f).ToArray());
                using var session = new InferenceSession(graph, new SessionOptions { Threads = 1, GuardBuffers = true });
                session.Run(input);
                ReferenceInterpreter.Run(graph, input);
            }
            catch (LightNetsException) { refused++; }
            catch (Exception e) { failures.Add($"[{what}] {e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
        }
        Assert.True(failures.Count == 0, $"{name}:\n{string.Join("\n", failures)}");
        Assert.InRange(refused, 10, 38); // the sweep reaches the checks, not only harmless changes
    }

    private static string Mutate(GraphProto g, Random rng)
    {
        var inits = g.Initializer.ToDictionary(t => t.Name);
        var qdq = g.Node.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear").ToArray();
        var node = qdq[rng.Next(qdq.Length)];
        switch (rng.Next(7))
        {
            case 0 when node.Input.Count > 1 && inits.TryGetValue(node.Input[1], out var scale) && scale.DataType == 1:
            {
                var values = (scale.RawData.IsEmpty ? scale.FloatData.ToArray() : Enumerable.Range(0, scale.RawData.Length / 4).Select(k => BitConverter.ToSingle(scale.RawData.Span[(4 * k)..])).ToArray());
                var v = AwkwardScales[rng.Next(AwkwardScales.Length)];
                values[rng.Next(values.Length)] = v;
                scale.FloatData.Clear();
                scale.RawData = ByteString.CopyFrom(values.SelectMany(BitConverter.GetBytes).ToArray());
                return $"{scale.Name} ∋ {v}";
            }
            case 1 when node.Input.Count > 2 && inits.TryGetValue(node.Input[2], out var zero):
            {
                var type = AwkwardTypes[rng.Next(AwkwardTypes.Length)];
                zero.DataType = type;
                return $"{zero.Name} retyped {type}";
            }
            case 2 when inits.TryGetValue(node.Input[0], out var data) && data.DataType is 2 or 3 or 6:
            {
                if (data.RawData.Length > 0 && rng.Next(2) == 0)
                {
                    var bytes = data.RawData.ToByteArray();
                    bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                    data.RawData = ByteString.CopyFrom(bytes);
                    return $"{data.Name} byte changed";
                }
                if (data.Dims.Count == 0) return "none";
                data.Dims[rng.Next(data.Dims.Count)] = rng.Next(1, 12);
                return $"{data.Name} dims changed";
            }
            case 3:
            {
                var axis = AwkwardAxes[rng.Next(AwkwardAxes.Length)];
                node.Attribute.Clear();
                node.Attribute.Add(Attr("axis", axis));
                return $"{node.Name}.axis = {axis}";
            }
            case 4:
            {
                var source = rng.Next(3) == 0 ? g.Input[0].Name : g.Node[rng.Next(g.Node.Count)].Output[0];
                node.Input[0] = source;
                return $"{node.Name} reads {source}";
            }
            case 5:
            {
                // Another node's scale or zero point: mismatched pairs, per-axis scales on a feature map, ...
                var other = qdq[rng.Next(qdq.Length)];
                var k = 1 + rng.Next(Math.Min(node.Input.Count, other.Input.Count) - 1);
                node.Input[k] = other.Input[k];
                return $"{node.Name} input {k} := {other.Input[k]}";
            }
            default:
            {
                if (node.Input.Count > 2) node.Input[2] = "";
                return $"{node.Name} without zero point";
            }
        }
    }
}
