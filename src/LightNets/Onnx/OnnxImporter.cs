using System.Globalization;
using Google.Protobuf;
using LightNets.Graphs;
using LightNets.IO;
using LightNets.Tensors;
using Onnx;

namespace LightNets.Onnx;

/// <summary>
/// Reads an ONNX model (opsets 10–21 of the default domain, float32 inputs and outputs) into a LightNets
/// <see cref="Graph"/>: shape subgraphs of dynamic-axis exports are folded once the input shape is known, ONNX ops are
/// mapped to IR ops, and PyTorch's decompositions are recognized (Reshape–Transpose–Reshape → ChannelShuffle,
/// x·HardSigmoid(x) → HardSwish, MatMul + Add → Gemm). Int8 models in the QDQ format import too (see
/// <see cref="OnnxQuantMapper"/>): QuantizeLinear–DequantizeLinear pairs become FakeQuantize nodes, quantized weights
/// fold into float initializers with their grid on the layer. The result has the same weights and computes the same
/// function; its cost report counts what the file holds (torch.onnx folds BatchNorm into the conv biases, so params
/// equal a zoo model's <c>ParamsFolded</c>).
/// </summary>
public static class OnnxImporter
{
    /// <summary>The opsets of the default ONNX domain this importer understands.</summary>
    public const int MinOpset = 10, MaxOpset = 21;

    /// <summary>Reads and imports the model at <paramref name="path"/>; external data is resolved beside it.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="OnnxFormatException">Not a readable ONNX model: empty, truncated, garbage, too large, inconsistent
    /// tensor sizes, a bad external-data reference, an unsupported opset, a cycle, a dangling value, a symbolic
    /// spatial dimension.</exception>
    /// <exception cref="UnsupportedOnnxOpException">An op, or a use of an op, LightNets cannot represent.</exception>
    public static Graph Load(string path, OnnxImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new OnnxImportOptions();
        var source = Path.GetFileName(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model '{path}' does not exist", path);
        var limit = Math.Min(options.MaxFileBytes, Array.MaxLength);
        // Pipes and devices report a size of 0: refused before opening, which would block on a FIFO.
        var notRegular = new OnnxFormatException($"{source}: the file is empty or not a regular file (a pipe or a device); an ONNX model is a regular file");
        if (UserFiles.SizeOfTarget(path) == 0) throw notRegular;

        byte[] bytes;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
        {
            // The size of the file actually opened.
            var length = stream.Length;
            if (length == 0) throw notRegular;
            if (length > limit)
                throw new OnnxFormatException($"{source}: {length} bytes is more than the {limit}-byte limit for an ONNX model (OnnxImportOptions.MaxFileBytes)");
            bytes = new byte[length];
            try { stream.ReadExactly(bytes); }
            catch (EndOfStreamException ex) { throw new OnnxFormatException($"{source}: the file shrank while being read", ex); }
        }
        var model = Parse(bytes, source);
        return Convert(model, Path.GetDirectoryName(Path.GetFullPath(path)), options, source, Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>
    /// Imports an already parsed model. <paramref name="baseDirectory"/> resolves external data (null: the model must
    /// hold all its tensors inline).
    /// </summary>
    public static Graph Import(ModelProto model, string? baseDirectory, OnnxImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var name = model.Graph is { Name.Length: > 0 } g ? g.Name : "onnx";
        return Convert(model, baseDirectory, options ?? new OnnxImportOptions(), $"ONNX graph '{name}'", name);
    }

    /// <summary>
    /// Parses protobuf bytes. Parsing from an array bounds every length field by the array, so a corrupt length can
    /// never make the parser allocate more than the file holds.
    /// </summary>
    internal static ModelProto Parse(byte[] bytes, string source)
    {
        if (bytes.Length == 0) throw new OnnxFormatException($"{source}: the file is empty, not an ONNX model");
        try
        {
            return ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OnnxFormatException($"{source}: not a valid ONNX model ({ex.Message})", ex);
        }
    }

    private static Graph Convert(ModelProto model, string? baseDirectory, OnnxImportOptions options, string source, string graphName)
    {
        if (options.Batch is < 1) throw new ArgumentOutOfRangeException(nameof(options), $"OnnxImportOptions.Batch must be 1 or more, got {options.Batch}");
        var g = model.Graph ?? throw new OnnxFormatException($"{source}: not a valid ONNX model: it contains no graph");
        var opset = DefaultOpset(model, source);
        try
        {
            var (graph, batchFixed) = Build(model, g, opset, baseDirectory, options, source, graphName);
            return batchFixed && options.Batch is { } b && graph.Inputs.Any(i => i.Shape[0] != b) ? graph.WithBatch(b) : graph;
        }
        catch (GraphValidationException ex)
        {
            throw new OnnxFormatException($"{source}: {ex.Message}", ex);
        }
    }

    private static (Graph Graph, bool BatchFixed) Build(ModelProto model, GraphProto g, long opset, string? baseDirectory,
        OnnxImportOptions options, string source, string graphName)
    {
        var names = g.Input.Select(i => i.Name).Concat(g.Initializer.Select(i => i.Name)).Concat(g.Node.SelectMany(n => n.Output));
        var emitter = new IrEmitter(names);
        var reader = new OnnxTensorReader(source, baseDirectory);
        var values = new Dictionary<string, OnnxValue>(StringComparer.Ordinal);
        foreach (var init in g.Initializer)
        {
            if (init.Name.Length == 0) throw new OnnxFormatException($"{source}: an initializer has no name");
            if (values.ContainsKey(init.Name)) throw new OnnxFormatException($"{source}: initializer '{init.Name}' is defined twice");
            values[init.Name] = OnnxTensorReader.IsUnreadableNumeric(init.DataType)
                ? new UnreadableConst(init.Name, init.DataType)
                : new ConstValue(reader.Read(init, $"initializer '{init.Name}'"), init.Name);
        }

        // Before IR version 4 initializers were also listed as inputs; the data inputs are the ones without a value.
        var dataInputs = g.Input.Where(i => !values.ContainsKey(i.Name)).ToArray();
        if (dataInputs.Length == 0)
            throw new OnnxFormatException($"{source}: the graph has no input (every input is an initializer)");
        var batchFixed = false;
        foreach (var input in dataInputs)
        {
            if (input.Name.Length == 0) throw new OnnxFormatException($"{source}: a graph input has no name");
            if (values.ContainsKey(input.Name)) throw new OnnxFormatException($"{source}: graph input '{input.Name}' is declared twice");
            RefuseQuantizedInput(g, input, opset);
            var (shape, fixedBatch) = InputShape(input, options.Batch ?? 1, source);
            batchFixed |= fixedBatch;
            values[input.Name] = emitter.AddInput(input.Name, shape);
        }

        foreach (var (node, index) in TopologicalOrder(g, values.Keys, source))
        {
            var domain = node.Domain;
            var name = node.Name.Length > 0 ? node.Name : $"{node.OpType}_{index}";
            if (domain is not ("" or "ai.onnx"))
            {
                var domainOpset = model.OpsetImport.FirstOrDefault(o => o.Domain == domain)?.Version ?? 0;
                throw new UnsupportedOnnxOpException(node.OpType, name, domainOpset, domain, "LightNets imports ops of the default ONNX domain only");
            }
            var inputs = node.Input.Select(i => i.Length == 0 ? null : values[i]).ToArray();
            var n = new OnnxNode(node, name, opset, inputs, source);
            OnnxValue[] results = node.OpType == "Constant" && node.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } t
                                  && OnnxTensorReader.IsUnreadableNumeric(t.DataType)
                ? [new UnreadableConst(node.Output.FirstOrDefault() ?? "", t.DataType)]
                : ConstantFolder.CanFold(n)
                    ? [new ConstValue(ConstantFolder.Fold(n, reader), node.Output.FirstOrDefault() ?? "")]
                    : OnnxOpMapper.Map(n, emitter) ?? throw n.Unsupported(null);
            for (var i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i].Length == 0) continue;
                values[node.Output[i]] = i < results.Length
                    ? results[i]
                    : new MissingValue($"output {i} of {node.OpType} '{name}', which LightNets does not compute");
            }
        }

        var outputs = new List<(string, IrValue)>();
        foreach (var output in g.Output)
        {
            if (!values.TryGetValue(output.Name, out var value))
                throw new OnnxFormatException($"{source}: graph output '{output.Name}' is produced by no node and is neither an input nor an initializer");
            var (producer, index) = g.Node.Select((n, i) => (n, i)).FirstOrDefault(p => p.n.Output.Contains(output.Name));
            if (producer is { OpType: "QuantizeLinear" })
                throw new UnsupportedOnnxOpException("QuantizeLinear", producer.Name.Length > 0 ? producer.Name : $"QuantizeLinear_{index}", opset, producer.Domain,
                    $"its integer output is graph output '{output.Name}'; LightNets' outputs are float: end the model with the DequantizeLinear of it");
            outputs.Add((output.Name, OutputValue(emitter, value, output.Name, source, opset)));
        }
        if (outputs.Count == 0) throw new OnnxFormatException($"{source}: the graph has no outputs");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["source"] = source,
            ["producer"] = $"{model.ProducerName} {model.ProducerVersion}".Trim(),
            ["opset"] = opset.ToString(CultureInfo.InvariantCulture),
            ["format"] = "onnx",
        };
        return (emitter.Build(graphName, outputs, metadata), batchFixed);
    }

    private static IrValue OutputValue(IrEmitter emitter, OnnxValue value, string name, string source, long opset) => value switch
    {
        IrValue or ConstValue or PendingMatMul => emitter.AsIr(value, null, 0),
        MissingValue m => throw new OnnxFormatException($"{source}: graph output '{name}' is {m.Reason}"),
        QuantizedValue q => throw new UnsupportedOnnxOpException("QuantizeLinear", q.NodeName, opset, "",
            $"its {q.Params.Type.ToString().ToLowerInvariant()} output is graph output '{name}'; LightNets' outputs are float: end the model with the DequantizeLinear of it"),
        UnreadableConst u => throw new OnnxFormatException($"{source}: graph output '{name}' is {u.Describe}, which LightNets does not read"),
        _ => throw new OnnxFormatException($"{source}: graph output '{name}' is a 5-D channel-shuffle intermediate, which LightNets cannot hold"),
    };

    /// <summary>The version of the default domain, which must be in [<see cref="MinOpset"/>, <see cref="MaxOpset"/>].</summary>
    private static long DefaultOpset(ModelProto model, string source)
    {
        var imports = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToArray();
        if (imports.Length == 0)
            throw new OnnxFormatException($"{source}: the model declares no opset for the default ONNX domain (opset_import is empty or lists only other domains)");
        var version = imports.Max(o => o.Version);
        if (version is < MinOpset or > MaxOpset)
            throw new OnnxFormatException(
                $"{source}: opset {version} of the default ONNX domain is not supported; LightNets imports opsets {MinOpset}–{MaxOpset} (re-export with e.g. torch.onnx.export(..., opset_version=13))");
        return version;
    }

    /// <summary>
    /// An integer graph input read by a DequantizeLinear (a model that takes already quantized data) is refused by
    /// name: LightNets' inputs are float, so the model must quantize inside (QuantizeLinear after a float input).
    /// </summary>
    private static void RefuseQuantizedInput(GraphProto g, ValueInfoProto input, long opset)
    {
        var type = input.Type?.TensorType?.ElemType ?? 1;
        if (type == 1) return;
        var reader = g.Node.Select((n, i) => (n, i)).FirstOrDefault(p => p.n.OpType == "DequantizeLinear" && p.n.Input.FirstOrDefault() == input.Name);
        if (reader.n is not { } dq) return;
        throw new UnsupportedOnnxOpException("DequantizeLinear", dq.Name.Length > 0 ? dq.Name : $"DequantizeLinear_{reader.i}", opset, dq.Domain,
            $"it dequantizes graph input '{input.Name}' of type {OnnxTensorReader.TypeName(type)}; LightNets' inputs are float: take a float input and quantize it inside the model (QuantizeLinear, then this DequantizeLinear), as ONNX Runtime's quantize_static does");
    }

    /// <summary>An input's shape: a symbolic or missing batch takes <paramref name="batch"/>, every other dim must be concrete.</summary>
    private static (Shape Shape, bool BatchFixed) InputShape(ValueInfoProto input, int batch, string source)
    {
        var name = input.Name;
        if (input.Type?.TensorType is not { } tensor)
            throw new OnnxFormatException($"{source}: input '{name}' is not a tensor");
        if (tensor.ElemType != 1)
            throw new OnnxFormatException($"{source}: input '{name}' has element type {OnnxTensorReader.TypeName(tensor.ElemType)}; LightNets needs FLOAT (1)");
        if (tensor.Shape is not { Dim.Count: > 0 } shape)
            throw new OnnxFormatException($"{source}: input '{name}' declares no shape; LightNets needs its rank and every dimension but the batch");
        if (shape.Dim.Count > Graph.MaxRank)
            throw new OnnxFormatException($"{source}: input '{name}' has rank {shape.Dim.Count}; LightNets takes inputs of rank 1 to {Graph.MaxRank} (N×C×H×W at most)");
        var dims = new int[shape.Dim.Count];
        var batchFixed = false;
        for (var i = 0; i < dims.Length; i++)
        {
            var d = shape.Dim[i];
            var concrete = d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue;
            if (concrete && (d.DimValue < 1 || d.DimValue > int.MaxValue))
                throw new OnnxFormatException($"{source}: input '{name}' has dimension {i} of size {d.DimValue}");
            if (i == 0)
            {
                dims[0] = concrete ? (int)d.DimValue : batch;
                batchFixed = concrete;
            }
            else if (concrete) dims[i] = (int)d.DimValue;
            else
            {
                var label = d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? $"symbolic ('{d.DimParam}')" : "unknown";
                throw new OnnxFormatException(
                    $"{source}: input '{name}' has {label} dimension {i}; LightNets needs every dimension but the batch to be concrete (export with a fixed input size)");
            }
        }
        return (new Shape(dims), batchFixed);
    }

    /// <summary>
    /// The nodes in an order where every input is ready (ONNX requires files to be sorted; hand-made graphs may not
    /// be), keeping the file's order where valid. A dangling input or a cycle is a format error naming the nodes.
    /// </summary>
    private static List<(NodeProto Node, int Index)> TopologicalOrder(GraphProto g, IEnumerable<string> initial, string source)
    {
        var available = new HashSet<string>(initial, StringComparer.Ordinal);
        var produced = new Dictionary<string, string>(StringComparer.Ordinal);
        string Label(NodeProto n, int i) => $"'{(n.Name.Length > 0 ? n.Name : $"{n.OpType}_{i}")}' ({n.OpType})";
        for (var i = 0; i < g.Node.Count; i++)
        {
            foreach (var o in g.Node[i].Output.Where(o => o.Length > 0))
            {
                if (available.Contains(o))
                    throw new OnnxFormatException($"{source}: node {Label(g.Node[i], i)} writes '{o}', which is already a graph input or initializer");
                if (!produced.TryAdd(o, Label(g.Node[i], i)))
                    throw new OnnxFormatException($"{source}: value '{o}' is written by both {produced[o]} and {Label(g.Node[i], i)}");
            }
        }
        for (var i = 0; i < g.Node.Count; i++)
        {
            foreach (var input in g.Node[i].Input.Where(x => x.Length > 0 && !available.Contains(x) && !produced.ContainsKey(x)))
                throw new OnnxFormatException(
                    $"{source}: node {Label(g.Node[i], i)} reads '{input}', which no node produces and is neither a graph input nor an initializer (dangling input)");
        }

        var ordered = new List<(NodeProto, int)>(g.Node.Count);
        var pending = Enumerable.Range(0, g.Node.Count).ToList();
        while (pending.Count > 0)
        {
            var before = pending.Count;
            for (var k = 0; k < pending.Count; k++)
            {
                var node = g.Node[pending[k]];
                if (!node.Input.All(x => x.Length == 0 || available.Contains(x))) continue;
                ordered.Add((node, pending[k]));
                foreach (var o in node.Output) available.Add(o);
                pending.RemoveAt(k--);
            }
            if (pending.Count == before)
            {
                var stuck = string.Join(", ", pending.Take(10).Select(i => Label(g.Node[i], i)));
                throw new OnnxFormatException($"{source}: the graph has a cycle: nodes {stuck}{(pending.Count > 10 ? ", ..." : "")} wait on each other's outputs");
            }
        }
        return ordered;
    }
}
