using LightNets.Tensors;

namespace LightNets.Graphs;

/// <summary>
/// Builds a <see cref="Graph"/> one operator at a time, inferring shapes as it goes so that each call can size its
/// weights from the current input. Names are hierarchical ("stage2.0.branch2.conv1"): <see cref="Scope"/> adds a
/// prefix, <see cref="Block"/> adds a prefix and tags the nodes inside with a paper-level unit for cost reports.
/// Weights come from <see cref="WeightInit"/>.
/// </summary>
public sealed class GraphBuilder
{
    private readonly string _name;
    private readonly WeightInit _init;
    private readonly List<Value> _inputs = [];
    private readonly List<string> _outputs = [];
    private readonly List<Node> _nodes = [];
    private readonly Dictionary<string, Tensor> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Shape> _shapes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private readonly Stack<string> _scopes = new();
    private readonly Stack<string> _blocks = new();

    public GraphBuilder(string name, WeightInit? init = null)
    {
        _name = name;
        _init = init ?? WeightInit.Default;
    }

    public WeightInit Init => _init;

    // ----- structure --------------------------------------------------------------------------------------------

    public Value Input(string name, Shape shape)
    {
        Claim(name);
        var v = new Value(name, shape);
        _inputs.Add(v);
        _shapes[name] = shape;
        return v;
    }

    public void Output(Value value) => _outputs.Add(value.Name);

    public GraphBuilder Meta(string key, string value)
    {
        _metadata[key] = value;
        return this;
    }

    /// <summary>Prefixes the names of everything created until the returned scope is disposed.</summary>
    public IDisposable Scope(string name)
    {
        _scopes.Push(name);
        return new Popper(() => _scopes.Pop());
    }

    /// <summary>A named scope whose nodes belong to the paper-level unit <paramref name="name"/> (full path) in cost reports.</summary>
    public IDisposable Block(string name)
    {
        _scopes.Push(name);
        _blocks.Push(Prefix().TrimEnd('.'));
        return new Popper(() =>
        {
            _blocks.Pop();
            _scopes.Pop();
        });
    }

    public Graph Build() => new(_name, _inputs, _outputs, _nodes, _initializers, _metadata);

    public Shape ShapeOf(Value v) => _shapes[v.Name];

    // ----- operators ----------------------------------------------------------------------------------------------

    /// <summary>A convolution with fresh Kaiming-normal weights (and a bias if asked).</summary>
    public Value Conv2d(Value x, int outChannels, Conv2dOp op, bool bias = false, string name = "conv")
    {
        var nodeName = NodeName(name);
        var cin = x.Shape.C;
        if (op.Groups < 1 || cin % op.Groups != 0 || outChannels % op.Groups != 0)
            throw new GraphValidationException(
                $"node '{nodeName}' (Conv2d) needs groups {op.Groups} to divide both its input channels {cin} (of '{x.Name}') and output channels {outChannels}");
        var shape = new Shape(outChannels, cin / op.Groups, op.KernelH, op.KernelW);
        Reserve(nodeName, shape);
        var w = AddInitializer($"{nodeName}.weight", _init.ConvWeight($"{nodeName}.weight", shape));
        List<string> inputs = [x.Name, w];
        if (bias) inputs.Add(AddInitializer($"{nodeName}.bias", _init.Bias($"{nodeName}.bias", outChannels)));
        return Add(nodeName, op, inputs);
    }

    /// <summary>Square k×k convolution, stride s, PyTorch padding (k−1)/2.</summary>
    public Value Conv2d(Value x, int outChannels, int kernel, int stride = 1, int groups = 1, bool bias = false, string name = "conv") =>
        Conv2d(x, outChannels, Conv2dOp.Square(kernel, stride, groups), bias, name);

    public Value DepthwiseConv2d(Value x, int kernel, int stride = 1, string name = "dwconv") =>
        Conv2d(x, x.Shape.C, Conv2dOp.Square(kernel, stride, x.Shape.C), bias: false, name);

    public Value BatchNorm(Value x, float epsilon, string name = "bn")
    {
        var nodeName = NodeName(name);
        var c = x.Shape.C;
        var inputs = new[]
        {
            x.Name,
            AddInitializer($"{nodeName}.weight", _init.BatchNormScale($"{nodeName}.weight", c)),
            AddInitializer($"{nodeName}.bias", _init.BatchNormBias($"{nodeName}.bias", c)),
            AddInitializer($"{nodeName}.running_mean", _init.BatchNormMean($"{nodeName}.running_mean", c)),
            AddInitializer($"{nodeName}.running_var", _init.BatchNormVariance($"{nodeName}.running_var", c)),
        };
        return Add(nodeName, new BatchNormOp(epsilon), inputs);
    }

    /// <summary>Fully connected layer [out, in] with N(0, 0.01²) weights, as torchvision's Linear init.</summary>
    public Value Gemm(Value x, int outFeatures, bool bias = true, string name = "fc")
    {
        var nodeName = NodeName(name);
        var shape = new Shape(outFeatures, x.Shape[1]);
        Reserve(nodeName, shape);
        var w = AddInitializer($"{nodeName}.weight", _init.LinearWeight($"{nodeName}.weight", shape));
        List<string> inputs = [x.Name, w];
        if (bias) inputs.Add(AddInitializer($"{nodeName}.bias", _init.Bias($"{nodeName}.bias", outFeatures)));
        return Add(nodeName, new GemmOp(), inputs);
    }

    public Value Relu(Value x, string name = "relu") => Unary(x, new ReluOp(), name);
    public Value Relu6(Value x, string name = "relu6") => Unary(x, ClipOp.Relu6, name);
    public Value Clip(Value x, float min, float max, string name = "clip") => Unary(x, new ClipOp(min, max), name);
    public Value HardSigmoid(Value x, string name = "hsigmoid") => Unary(x, HardSigmoidOp.MobileNetV3, name);
    public Value HardSwish(Value x, string name = "hswish") => Unary(x, new HardSwishOp(), name);
    public Value Sigmoid(Value x, string name = "sigmoid") => Unary(x, new SigmoidOp(), name);
    public Value Dropout(Value x, float ratio, string name = "dropout") => Unary(x, new DropoutOp(ratio), name);
    public Value Softmax(Value x, string name = "softmax") => Unary(x, new SoftmaxOp(), name);

    /// <summary>QuantizeLinear + DequantizeLinear of <paramref name="x"/> (see <see cref="FakeQuantizeOp"/>).</summary>
    public Value FakeQuantize(Value x, QuantParams quant, string name = "quant") => Unary(x, new FakeQuantizeOp(quant), name);
    public Value Flatten(Value x, string name = "flatten") => Unary(x, new FlattenOp(), name);
    public Value GlobalAveragePool(Value x, string name = "gap") => Unary(x, new GlobalAveragePoolOp(), name);
    public Value ChannelShuffle(Value x, int groups, string name = "shuffle") => Unary(x, new ChannelShuffleOp(groups), name);
    public Value SliceChannels(Value x, int start, int end, string name = "slice") => Unary(x, new SliceOp(start, end), name);

    public Value MaxPool(Value x, int kernel, int stride, int padding, string name = "maxpool") =>
        Unary(x, new MaxPoolOp(kernel, kernel, stride, stride, Padding2d.Symmetric(padding)), name);

    public Value AveragePool(Value x, int kernel, int stride, int padding, bool countIncludePad = true, string name = "avgpool") =>
        Unary(x, new AveragePoolOp(kernel, kernel, stride, stride, Padding2d.Symmetric(padding), countIncludePad), name);

    public Value Add(Value a, Value b, string name = "add") => Add(NodeName(name), new AddOp(), [a.Name, b.Name]);
    public Value Mul(Value a, Value b, string name = "mul") => Add(NodeName(name), new MulOp(), [a.Name, b.Name]);

    public Value Concat(IReadOnlyList<Value> parts, string name = "concat") =>
        Add(NodeName(name), new ConcatOp(), parts.Select(p => p.Name).ToArray());

    public Value[] Split(Value x, IReadOnlyList<int> sizes, string name = "split")
    {
        var nodeName = NodeName(name);
        var outputs = Enumerable.Range(0, sizes.Count).Select(i => $"{nodeName}:{i}").ToArray();
        return AddNode(nodeName, new SplitOp(sizes.ToArray()), [x.Name], outputs);
    }

    /// <summary>Adds any node whose weights already exist as initializers (used by importers and tests).</summary>
    public Value[] AddNode(string name, Op op, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs)
    {
        foreach (var o in outputs) Claim(o);
        var node = new Node(name, op, inputs, outputs, _blocks.Count > 0 ? _blocks.Peek() : "");
        var inShapes = inputs.Select(i => _shapes.TryGetValue(i, out var s)
            ? s
            : throw new GraphValidationException($"node '{name}' ({op.Kind}) reads '{i}', which does not exist yet (dangling input)")).ToArray();
        var outShapes = ShapeInference.Infer(node, inShapes);
        _nodes.Add(node);
        var values = new Value[outputs.Count];
        for (var i = 0; i < outputs.Count; i++)
        {
            _shapes[outputs[i]] = outShapes[i];
            values[i] = new Value(outputs[i], outShapes[i]);
        }
        return values;
    }

    public string AddInitializer(string name, Tensor tensor)
    {
        Claim(name);
        _initializers[name] = tensor;
        _shapes[name] = tensor.Shape;
        return name;
    }

    // ----- helpers ------------------------------------------------------------------------------------------------

    /// <summary>
    /// The most weights a built graph may hold: 2^30 floats (4 GiB), over 100× the largest published configuration. A
    /// width or class count from the command line can ask for far more (α = 16 with 100,000 classes); it is refused by
    /// name before the weights are allocated, instead of running out of memory while they are drawn.
    /// </summary>
    public const long MaxWeightElements = 1L << 30;

    private long _weightElements;

    private void Reserve(string nodeName, Shape weight)
    {
        _weightElements += weight.ElementCount;
        if (weight.ElementCount > MaxWeightElements || _weightElements > MaxWeightElements)
            throw new ModelConfigurationException(
                $"graph '{_name}' would hold more than 2^30 weights (4 GiB) by node '{nodeName}' ({weight}): choose a smaller width or fewer classes");
    }

    private Value Unary(Value x, Op op, string name) => Add(NodeName(name), op, [x.Name]);

    private Value Add(string nodeName, Op op, IReadOnlyList<string> inputs) => AddNode(nodeName, op, inputs, [nodeName])[0];

    private string Prefix() => _scopes.Count == 0 ? "" : string.Join(".", _scopes.Reverse()) + ".";

    /// <summary>A unique node name under the current scope: "stage2.0.conv", then "stage2.0.conv_1", ...</summary>
    private string NodeName(string local)
    {
        var baseName = Prefix() + local;
        var candidate = baseName;
        for (var i = 1; _names.Contains(candidate) || _shapes.ContainsKey(candidate); i++)
            candidate = $"{baseName}_{i}";
        _names.Add(candidate);
        return candidate;
    }

    private void Claim(string name)
    {
        if (_shapes.ContainsKey(name))
            throw new GraphValidationException($"value name '{name}' is used twice in graph '{_name}'");
    }

    private sealed class Popper(Action pop) : IDisposable
    {
        private Action? _pop = pop;
        public void Dispose()
        {
            _pop?.Invoke();
            _pop = null;
        }
    }
}
