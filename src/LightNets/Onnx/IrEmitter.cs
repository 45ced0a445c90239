using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Onnx;

/// <summary>
/// Collects the LightNets nodes and initializers of an import, inferring each node's output shapes as it is added
/// (the next ONNX Shape op needs them), keeping ONNX names where possible and making generated names unique.
/// <see cref="Build"/> drops nodes whose results nobody reads (a HardSigmoid absorbed into a HardSwish) and
/// initializers no node uses.
/// </summary>
internal sealed class IrEmitter
{
    private readonly List<Node> _nodes = [];
    private readonly Dictionary<string, Tensor> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Shape> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Node> _producers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reserved;
    private readonly HashSet<string> _nodeNames = new(StringComparer.Ordinal);
    private readonly Dictionary<ConstTensor, string> _constNames = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<PendingMatMul, IrValue> _matMuls = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<OnnxValue, IrValue> _once = new(ReferenceEqualityComparer.Instance);
    private readonly List<IrValue> _inputs = [];

    /// <param name="onnxNames">Every value name of the ONNX graph: generated names avoid them.</param>
    public IrEmitter(IEnumerable<string> onnxNames) => _reserved = new HashSet<string>(onnxNames, StringComparer.Ordinal);

    public IrValue AddInput(string name, Shape shape)
    {
        _shapes.Add(name, shape);
        var v = new IrValue(name, shape);
        _inputs.Add(v);
        return v;
    }

    /// <summary>The node that computes an IR value, or null for the input and initializers.</summary>
    public Node? Producer(string value) => _producers.GetValueOrDefault(value);

    /// <summary>
    /// Adds a node named after <paramref name="nodeName"/> (made unique) whose outputs take the given names: an ONNX
    /// output name is used as is when still free, a hint (<paramref name="outputsAreOnnxNames"/> false) gets a fresh name.
    /// </summary>
    public IrValue[] Emit(string nodeName, Op op, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, bool outputsAreOnnxNames = true)
    {
        var names = outputs.Select(o => ValueName(o, outputsAreOnnxNames)).ToArray();
        var node = new Node(UniqueNodeName(nodeName), op, inputs, names);
        var outShapes = ShapeInference.Infer(node, inputs.Select(i => _shapes[i]).ToArray());
        _nodes.Add(node);
        var result = new IrValue[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            _shapes[names[i]] = outShapes[i];
            _producers[names[i]] = node;
            result[i] = new IrValue(names[i], outShapes[i]);
        }
        return result;
    }

    public IrValue Emit(string nodeName, Op op, IReadOnlyList<string> inputs, string output, bool outputIsOnnxName = true) =>
        Emit(nodeName, op, inputs, [output], outputIsOnnxName)[0];

    /// <summary>
    /// The initializer holding <paramref name="tensor"/>, added on first use under <paramref name="name"/> (an ONNX
    /// name, kept when free) or, for a derived tensor (<paramref name="derived"/>), a fresh name built from it.
    /// </summary>
    public string Initializer(ConstTensor tensor, string name, bool derived = false)
    {
        if (_constNames.TryGetValue(tensor, out var existing)) return existing;
        var irName = ValueName(name.Length == 0 ? "const" : name, !derived && name.Length > 0);
        var t = tensor.ToTensor(irName);
        _initializers[irName] = t;
        _shapes[irName] = t.Shape;
        _constNames[tensor] = irName;
        return irName;
    }

    /// <summary>
    /// The IR value behind <paramref name="value"/> for a consumer that needs a plain tensor: constants become
    /// initializers, a pending MatMul becomes a bias-less Gemm (once, however many consumers).
    /// </summary>
    public IrValue AsIr(OnnxValue? value, OnnxNode? consumer, int inputIndex)
    {
        switch (value)
        {
            case IrValue v:
                return v;
            case ConstValue c:
            {
                var name = Initializer(c.Tensor, c.Name);
                return new IrValue(name, _shapes[name]);
            }
            case PendingMatMul m:
            {
                if (_matMuls.TryGetValue(m, out var done)) return done;
                var w = Initializer(m.Weight, m.WeightName, derived: true);
                var gemm = Emit(m.NodeName, new GemmOp { WeightQuant = m.WeightGrid }, [m.Input.Name, w], m.Output);
                _matMuls[m] = gemm;
                return gemm;
            }
            case ShuffleView when consumer is not null:
                throw consumer.Unsupported(
                    $"input {inputIndex} ('{consumer.Proto.Input[inputIndex]}') is a 5-D channel-shuffle intermediate; LightNets only handles Reshape → Transpose(0,2,1,3,4) → Reshape back to 4-D");
            case QuantizedValue q when consumer is not null:
                throw consumer.Unsupported(
                    $"input {inputIndex} ('{consumer.Proto.Input[inputIndex]}') is the {q.Params.Type.ToString().ToLowerInvariant()} output of QuantizeLinear '{q.NodeName}'; LightNets computes in float and reads a quantized feature map only through a DequantizeLinear with the same scale and zero point");
            case UnreadableConst u when consumer is not null:
                throw consumer.Unsupported(
                    $"input {inputIndex} is {u.Describe}; LightNets reads FLOAT, DOUBLE, INT64, INT32, INT8, UINT8 and BOOL constants");
            case MissingValue missing when consumer is not null:
                throw consumer.Unsupported($"input {inputIndex} ('{consumer.Proto.Input[inputIndex]}') is {missing.Reason}");
            case null when consumer is not null:
                throw consumer.Format($"needs input {inputIndex} but it is missing");
            default:
                throw new InvalidOperationException($"value {value} cannot be a plain tensor here");
        }
    }

    /// <summary>
    /// The IR value <paramref name="build"/> makes for <paramref name="key"/>, made on the first call only (one
    /// FakeQuantize for a QuantizeLinear however many DequantizeLinears read it).
    /// </summary>
    public IrValue Once(OnnxValue key, Func<IrValue> build)
    {
        if (!_once.TryGetValue(key, out var value)) _once[key] = value = build();
        return value;
    }

    /// <summary>
    /// The finished graph, whose outputs carry their ONNX names: a value that came through an alias (Identity, Dropout)
    /// is renamed; one that cannot be (a graph input, a constant, a value that is also another output) gets an identity
    /// node of that name. Unused nodes and initializers are dropped.
    /// </summary>
    public Graph Build(string name, IReadOnlyList<(string OnnxName, IrValue Value)> outputs, IReadOnlyDictionary<string, string> metadata)
    {
        var rename = new Dictionary<string, string>(StringComparer.Ordinal);
        var assigned = new Dictionary<string, string>(StringComparer.Ordinal); // ONNX output name → IR value
        var aliases = new List<Node>();
        foreach (var (onnxName, value) in outputs)
        {
            if (assigned.ContainsKey(onnxName)) continue; // listed twice
            var canRename = value.Name != onnxName && _producers.ContainsKey(value.Name) && !_shapes.ContainsKey(onnxName)
                            && !rename.ContainsKey(value.Name) && !rename.ContainsValue(onnxName)
                            && outputs.Count(o => o.Value.Name == value.Name) == 1 && !outputs.Any(o => o.OnnxName == value.Name);
            if (value.Name == onnxName) assigned[onnxName] = onnxName;
            else if (canRename)
            {
                rename[value.Name] = onnxName;
                assigned[onnxName] = onnxName;
            }
            else if (!_shapes.ContainsKey(onnxName))
            {
                _shapes[onnxName] = value.Shape;
                aliases.Add(new Node(UniqueNodeName(onnxName + "_identity"), new DropoutOp(0f), [value.Name], [onnxName]));
                assigned[onnxName] = onnxName;
            }
            else assigned[onnxName] = value.Name;
        }
        var outputNames = outputs.Select(o => assigned[o.OnnxName]).ToList();
        string R(string v) => rename.GetValueOrDefault(v, v);

        var needed = new HashSet<string>(outputNames, StringComparer.Ordinal);
        foreach (var alias in aliases) needed.Add(R(alias.Inputs[0]));
        var kept = new List<Node>();
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            var node = _nodes[i];
            if (!node.Outputs.Any(o => needed.Contains(R(o)))) continue;
            var renamed = new Node(node.Name, node.Op, node.Inputs.Select(R).ToArray(), node.Outputs.Select(R).ToArray(), node.Block);
            kept.Add(renamed);
            foreach (var input in renamed.Inputs) needed.Add(input);
        }
        kept.Reverse();
        kept.AddRange(aliases.Select(a => a.WithInputs([R(a.Inputs[0])])));
        var initializers = _initializers.Where(kv => needed.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var inputs = _inputs.Select(i => new Value(i.Name, i.Shape));
        return new Graph(name, inputs, outputNames, kept, initializers, metadata);
    }

    public int NodeCount => _nodes.Count;

    private string ValueName(string preferred, bool isOnnxName)
    {
        if (isOnnxName && preferred.Length > 0 && !_shapes.ContainsKey(preferred)) return preferred;
        var stem = preferred.Length > 0 ? preferred : "value";
        var candidate = stem;
        for (var i = 1; _shapes.ContainsKey(candidate) || _reserved.Contains(candidate); i++)
            candidate = $"{stem}_{i}";
        // Claimed by adding a shape right after; reserving it also stops a second fresh name from taking it first.
        _reserved.Add(candidate);
        return candidate;
    }

    private string UniqueNodeName(string preferred)
    {
        var candidate = preferred;
        for (var i = 1; !_nodeNames.Add(candidate); i++)
            candidate = $"{preferred}_{i}";
        return candidate;
    }
}
