using Google.Protobuf;
using LightNets.Tensors;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace LightNets.Tests.Onnx;

/// <summary>Hand-built ONNX models for the importer tests, and ONNX Runtime as an independent oracle for them.</summary>
internal sealed class OnnxProtoBuilder
{
    private int _seed = 1;

    public OnnxProtoBuilder(long opset = 13, string domain = "")
    {
        Model = new ModelProto { IrVersion = 8, ProducerName = "lightnets-tests", ProducerVersion = "1", Graph = new GraphProto { Name = "test" } };
        Model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = opset });
    }

    public ModelProto Model { get; }
    public GraphProto Graph => Model.Graph;

    /// <summary>A float input; each dim is a long (concrete), a string (symbolic) or null (unknown).</summary>
    public OnnxProtoBuilder Input(string name, params object?[] dims)
    {
        Graph.Input.Add(TensorInfo(name, dims));
        return this;
    }

    public OnnxProtoBuilder Output(string name)
    {
        Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        return this;
    }

    public static ValueInfoProto TensorInfo(string name, params object?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            if (d is string s) dim.DimParam = s;
            else if (d is not null) dim.DimValue = Convert.ToInt64(d);
            shape.Dim.Add(dim);
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }

    /// <summary>A float initializer stored as raw_data (<paramref name="raw"/>) or float_data.</summary>
    public string Float(string name, long[] dims, float[] data, bool raw = true)
    {
        Graph.Initializer.Add(FloatTensor(name, dims, data, raw));
        return name;
    }

    /// <summary>A float initializer of deterministic N(0, 1) values.</summary>
    public string Random(string name, params long[] dims)
    {
        var count = (int)dims.Aggregate(1L, (a, b) => a * b);
        return Float(name, dims, new Rng((ulong)_seed++ * 7919).NormalTensor(count).Data, raw: _seed % 2 == 0);
    }

    public string Ints(string name, params long[] data)
    {
        var t = new TensorProto { Name = name, DataType = 7 };
        t.Dims.Add(data.Length);
        t.Int64Data.Add(data);
        Graph.Initializer.Add(t);
        return name;
    }

    public static TensorProto FloatTensor(string name, long[] dims, float[] data, bool raw = true)
    {
        var t = new TensorProto { Name = name, DataType = 1 };
        t.Dims.Add(dims);
        if (raw)
        {
            var bytes = new byte[data.Length * 4];
            Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
            t.RawData = ByteString.CopyFrom(bytes);
        }
        else t.FloatData.Add(data);
        return t;
    }

    public NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = $"{op.ToLowerInvariant()}{Graph.Node.Count}" };
        n.Input.Add(inputs);
        n.Output.Add(outputs);
        n.Attribute.Add(attributes);
        Graph.Node.Add(n);
        return n;
    }

    public string Node(string op, string input, params AttributeProto[] attributes)
    {
        var output = $"{op.ToLowerInvariant()}{Graph.Node.Count}_out";
        Node(op, [input], [output], attributes);
        return output;
    }

    public static AttributeProto Attr(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
    public static AttributeProto Attr(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
    public static AttributeProto Attr(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
    public static AttributeProto Attr(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    public byte[] Bytes() => Model.ToByteArray();

    /// <summary>Runs the model's single input through ONNX Runtime and returns its first output.</summary>
    public Tensor RunOnnxRuntime(Tensor input) => RunOnnxRuntime(Model, input);

    public static Tensor RunOnnxRuntime(ModelProto model, Tensor input)
    {
        var graph = model.Graph;
        using var session = new InferenceSession(model.ToByteArray());
        var dims = input.Shape.Select(d => (long)d).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(input.Data, dims);
        using var options = new RunOptions();
        using var outputs = session.Run(options, [graph.Input[0].Name], [value], [graph.Output[0].Name]);
        var shape = outputs[0].GetTensorTypeAndShape().Shape.Select(d => (int)d).ToArray();
        return new Tensor(new Shape(shape), outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    /// <summary>Runs the model in ONNX Runtime on the given inputs (by name) and returns every output, by name.</summary>
    public static Dictionary<string, Tensor> RunOnnxRuntime(ModelProto model, IReadOnlyDictionary<string, Tensor> inputs)
    {
        using var session = new InferenceSession(model.ToByteArray());
        var names = inputs.Keys.ToArray();
        var values = names.Select(n => OrtValue.CreateTensorValueFromMemory(inputs[n].Data, inputs[n].Shape.Select(d => (long)d).ToArray())).ToArray();
        try
        {
            var outputNames = model.Graph.Output.Select(o => o.Name).Distinct().ToArray();
            using var options = new RunOptions();
            using var outputs = session.Run(options, names, values, outputNames);
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (var i = 0; i < outputNames.Length; i++)
            {
                var shape = outputs[i].GetTensorTypeAndShape().Shape.Select(d => (int)d).ToArray();
                result[outputNames[i]] = new Tensor(new Shape(shape), outputs[i].GetTensorDataAsSpan<float>().ToArray());
            }
            return result;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}
