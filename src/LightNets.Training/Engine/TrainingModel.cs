using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Training.Engine;

/// <summary>
/// A value flowing through a training graph, as the engine stores it: a rank-4 N×C×H×W value as NHWC, a rank-2 [N, F]
/// value as rows of F (C = F, H = W = 1). <see cref="Root"/> is the value whose storage it shares (itself, or the source
/// of an identity, a Dropout(0) or a Flatten that moves no data).
/// </summary>
internal sealed class ValueInfo(int id, string name, Shape shape)
{
    public int Id { get; } = id;
    public string Name { get; } = name;
    public Shape Shape { get; } = shape;
    public int Root { get; set; } = id;
    public int N => Shape[0];
    public int C => Shape[1];
    public int H => Shape.Rank == 4 ? Shape[2] : 1;
    public int W => Shape.Rank == 4 ? Shape[3] : 1;
    public int Rows => N * H * W;
    public long Elements => Shape.ElementCount;
    public override string ToString() => $"{Name} [{Shape}]";
}

/// <summary>A learnable initializer: its graph name, shape, role and starting value.</summary>
internal sealed record ParameterSpec(string Name, Shape Shape, ParameterKind Kind, Tensor Initial);

/// <summary>A BatchNorm running statistic: updated by the forward pass in training mode, never learned.</summary>
internal sealed record BufferSpec(string Name, Shape Shape, Tensor Initial);

/// <summary>
/// What training needs to know about a graph, independent of the float type and of which parameters are frozen: the
/// single N×C×H×W input, the logits the loss reads (a trailing Softmax is skipped: the loss applies its own), the nodes
/// that lead to them in topological order, every value with its storage, the learnable initializers (conv and linear
/// weights and biases, BN γ and β) and the BN running statistics. Every node is checked here for a backward rule, so a
/// graph that cannot be trained fails at construction, naming the node.
/// </summary>
internal sealed class TrainingModel
{
    private readonly Dictionary<string, int> _valueIds = new(StringComparer.Ordinal);
    private readonly List<ValueInfo> _values = [];
    private readonly Dictionary<string, int> _parameterIds = new(StringComparer.Ordinal);
    private readonly List<ParameterSpec> _parameters = [];
    private readonly Dictionary<string, int> _bufferIds = new(StringComparer.Ordinal);
    private readonly List<BufferSpec> _buffers = [];
    private readonly Dictionary<string, string> _initializerUse = new(StringComparer.Ordinal);

    public TrainingModel(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Graph = graph;
        if (graph.Inputs.Count != 1)
            throw new TrainingGraphException($"graph '{graph.Name}' has {graph.Inputs.Count} inputs; training needs a model with one image input");
        var input = graph.Inputs[0];
        if (input.Shape.Rank != 4)
            throw new TrainingGraphException($"graph input '{input.Name}' is [{input.Shape}]; training needs an N×C×H×W image input");
        if (graph.Outputs.Count != 1)
            throw new TrainingGraphException($"graph '{graph.Name}' has {graph.Outputs.Count} outputs; training needs one classifier output");
        InputValue = Add(input.Name, input.Shape);

        var logitsName = graph.Output;
        if (graph.Producer(logitsName) is { Op: SoftmaxOp } softmax) logitsName = softmax.Inputs[0];
        var logitsShape = graph.ShapeOf(logitsName);
        if (!(logitsShape.Rank == 2 || logitsShape.Rank == 4 && logitsShape[2] == 1 && logitsShape[3] == 1) || logitsShape[0] != input.Shape[0])
            throw new TrainingGraphException(
                $"graph output '{logitsName}' is [{logitsShape}]; training needs class scores [N, classes] (or [N, classes, 1, 1]) for the cross-entropy loss");
        Classes = logitsShape[1];

        var live = LiveNodes(graph, logitsName);
        foreach (var node in graph.Nodes)
        {
            if (!live.Contains(node)) continue;
            Check(node);
            foreach (var output in node.Outputs) Add(output, graph.ShapeOf(output));
            Alias(node);
            Nodes.Add(node);
        }
        LogitsValue = _valueIds.TryGetValue(logitsName, out var id)
            ? id
            : throw new TrainingGraphException($"graph output '{logitsName}' is not computed from the input; there is nothing to train");
        if (LogitsValue == InputValue)
            throw new TrainingGraphException($"graph output '{logitsName}' is the input itself; there is nothing to train");
    }

    public Graph Graph { get; }
    public int Batch => Values[InputValue].N;
    public int Classes { get; }
    public int InputValue { get; }
    public int LogitsValue { get; }
    public List<Node> Nodes { get; } = [];
    public IReadOnlyList<ValueInfo> Values => _values;
    public IReadOnlyList<ParameterSpec> Parameters => _parameters;
    public IReadOnlyList<BufferSpec> Buffers => _buffers;

    public ValueInfo Value(string name) => _values[_valueIds[name]];
    public int ParameterId(string name) => _parameterIds[name];
    public int BufferId(string name) => _bufferIds[name];

    private int Add(string name, Shape shape)
    {
        if (shape.Rank is not (2 or 4))
            throw new TrainingGraphException($"value '{name}' is [{shape}]; training handles N×C×H×W and [N, features] values only");
        var id = _values.Count;
        _values.Add(new ValueInfo(id, name, shape));
        _valueIds[name] = id;
        return id;
    }

    /// <summary>The nodes the logits depend on (others do not affect the loss and are not run).</summary>
    private static HashSet<Node> LiveNodes(Graph graph, string logits)
    {
        var live = new HashSet<Node>();
        var pending = new Stack<string>([logits]);
        while (pending.TryPop(out var value))
        {
            if (graph.Producer(value) is not { } node || !live.Add(node)) continue;
            foreach (var input in node.Inputs) pending.Push(input);
        }
        return live;
    }

    /// <summary>Outputs that share their input's storage: identities, Dropout(0), and a Flatten that moves no data.</summary>
    private void Alias(Node node)
    {
        var source = node.Inputs.Count > 0 && _valueIds.TryGetValue(node.Inputs[0], out var s) ? _values[s] : null;
        var aliases = node.Op switch
        {
            DropoutOp { Ratio: 0f } => true,
            FlattenOp => source is not null && source.H * source.W == 1,
            _ => false,
        };
        if (aliases) Value(node.Output).Root = source!.Root;
    }

    private void Check(Node node)
    {
        switch (node.Op)
        {
            case Conv2dOp conv:
                Computed(node, 0);
                var depthwise = conv.Groups > 1 && conv.Groups == Graph.ShapeOf(node.Inputs[0])[1];
                Learn(node, 1, depthwise ? ParameterKind.DepthwiseWeight : ParameterKind.ConvWeight);
                if (node.Inputs.Count > 2) Learn(node, 2, ParameterKind.Bias);
                break;
            case GemmOp:
                Computed(node, 0);
                Learn(node, 1, ParameterKind.LinearWeight);
                if (node.Inputs.Count > 2) Learn(node, 2, ParameterKind.Bias);
                break;
            case BatchNormOp:
                Computed(node, 0);
                Learn(node, 1, ParameterKind.BatchNormScale);
                Learn(node, 2, ParameterKind.BatchNormShift);
                Keep(node, 3);
                Keep(node, 4);
                break;
            case ReluOp or ClipOp or HardSwishOp or HardSigmoidOp or SigmoidOp or ChannelShuffleOp or SliceOp or SplitOp
                or GlobalAveragePoolOp or FlattenOp:
                Computed(node, 0);
                break;
            case PoolOp:
                Computed(node, 0);
                break;
            case DropoutOp dropout:
                Computed(node, 0);
                if (!(dropout.Ratio >= 0f && dropout.Ratio < 1f))
                    throw Unsupported(node, $"drops a fraction {dropout.Ratio} of its input; a dropout ratio must lie in [0, 1)");
                break;
            case ConcatOp:
                for (var i = 0; i < node.Inputs.Count; i++) Computed(node, i);
                break;
            case AddOp or MulOp:
                CheckBroadcast(node);
                break;
            case SoftmaxOp:
                throw Unsupported(node, "is a softmax inside the network; training applies softmax only in its loss, after the last node");
            default:
                throw Unsupported(node, "has no backward rule in LightNets.Training");
        }
    }

    /// <summary>
    /// Add and Mul: two computed values of the output's shape, or one of them broadcast per channel ([N or 1, C, 1, 1]
    /// against N×C×H×W: SE's scale), or a constant that is a scalar or one value per channel.
    /// </summary>
    private void CheckBroadcast(Node node)
    {
        var output = Graph.ShapeOf(node.Output);
        for (var i = 0; i < 2; i++)
        {
            var name = node.Inputs[i];
            var shape = Graph.ShapeOf(name);
            if (Graph.IsInitializer(name))
            {
                if (Graph.IsInitializer(node.Inputs[1 - i]))
                    throw Unsupported(node, "combines two constants; fold them before training");
                if (ConstantChannels(shape, output) is null)
                    throw Unsupported(node, $"broadcasts constant '{name}' [{shape}] against [{output}]; training handles a scalar or one value per channel");
                continue;
            }
            Computed(node, i);
            if (shape == output) continue;
            var perChannel = shape.Rank == 4 && output.Rank == 4 && shape[1] == output[1] && shape[2] == 1 && shape[3] == 1
                             && shape[0] == output[0];
            if (!perChannel)
                throw Unsupported(node, $"broadcasts '{name}' [{shape}] against [{output}]; training handles equal shapes or an N×C×1×1 scale");
        }
    }

    /// <summary>1 for a scalar constant, C for one value per channel of <paramref name="output"/>, else null.</summary>
    internal static int? ConstantChannels(Shape constant, Shape output)
    {
        if (constant.ElementCount == 1) return 1;
        if (constant.Rank > output.Rank) return null;
        // NumPy broadcasting aligns the trailing dimensions: the constant's channel axis is output axis 1.
        var offset = output.Rank - constant.Rank;
        for (var d = 0; d < constant.Rank; d++)
        {
            var axis = d + offset;
            if (constant[d] != 1 && !(axis == 1 && constant[d] == output[1])) return null;
        }
        return output[1];
    }

    private void Computed(Node node, int input)
    {
        if (Graph.IsInitializer(node.Inputs[input]))
            throw Unsupported(node, $"reads constant '{node.Inputs[input]}' where training needs a computed value; fold it before training");
    }

    private void Learn(Node node, int input, ParameterKind kind)
    {
        var name = Claim(node, input, "learnable");
        _parameterIds[name] = _parameters.Count;
        _parameters.Add(new ParameterSpec(name, Graph.ShapeOf(name), kind, Graph.Initializers[name]));
    }

    private void Keep(Node node, int input)
    {
        var name = Claim(node, input, "running statistic");
        _bufferIds[name] = _buffers.Count;
        _buffers.Add(new BufferSpec(name, Graph.ShapeOf(name), Graph.Initializers[name]));
    }

    private string Claim(Node node, int input, string role)
    {
        var name = node.Inputs[input];
        if (!_initializerUse.TryAdd(name, node.Name))
            throw Unsupported(node, $"shares initializer '{name}' with node '{_initializerUse[name]}'; training needs each {role} tensor to belong to one node");
        return name;
    }

    private static TrainingGraphException Unsupported(Node node, string why) => new($"node '{node.Name}' ({node.Kind}) cannot be trained: it {why}");
}
