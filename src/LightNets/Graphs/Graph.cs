using LightNets.Tensors;

namespace LightNets.Graphs;

/// <summary>
/// A dataflow graph in NCHW semantics: inputs, named initializers (weights and statistics), nodes in topological
/// order and outputs. Construction validates everything: names, topological order (a cycle or a dangling input is
/// rejected), and each node's shape rules. A constructed graph is immutable and every value has a known shape.
/// </summary>
public sealed class Graph
{
    private readonly Dictionary<string, Shape> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Node> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Node>> _consumers = new(StringComparer.Ordinal);

    public Graph(
        string name,
        IEnumerable<Value> inputs,
        IEnumerable<string> outputs,
        IEnumerable<Node> nodes,
        IReadOnlyDictionary<string, Tensor> initializers,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        Name = name;
        Inputs = inputs.ToArray();
        Outputs = outputs.ToArray();
        Initializers = new Dictionary<string, Tensor>(initializers, StringComparer.Ordinal);
        Metadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);

        foreach (var input in Inputs)
        {
            if (input.Shape.Rank is < 1 or > MaxRank)
                throw new GraphValidationException(
                    $"graph input '{input.Name}' has rank {input.Shape.Rank} ([{input.Shape}]); LightNets takes inputs of rank 1 to {MaxRank} (a batch dimension first, N×C×H×W at most)");
            if (Initializers.ContainsKey(input.Name))
                throw new GraphValidationException($"graph input '{input.Name}' is also an initializer");
            if (!_shapes.TryAdd(input.Name, input.Shape))
                throw new GraphValidationException($"graph input '{input.Name}' is declared twice");
        }
        foreach (var (key, tensor) in Initializers)
            _shapes[key] = tensor.Shape;

        Nodes = TopologicalOrder(nodes.ToArray());
        foreach (var node in Nodes)
        {
            RequireConstantOperands(node);
            var inShapes = node.Inputs.Select(v => _shapes[v]).ToArray();
            var outShapes = ShapeInference.Infer(node, inShapes);
            for (var i = 0; i < outShapes.Length; i++)
                _shapes[node.Outputs[i]] = outShapes[i];
        }

        if (Outputs.Count == 0)
            throw new GraphValidationException($"graph '{name}' has no outputs");
        foreach (var output in Outputs)
        {
            if (!_shapes.ContainsKey(output))
                throw new GraphValidationException($"graph output '{output}' is produced by no node, input or initializer");
        }
    }

    public string Name { get; }
    public IReadOnlyList<Value> Inputs { get; }
    public IReadOnlyList<string> Outputs { get; }
    public IReadOnlyList<Node> Nodes { get; }
    public IReadOnlyDictionary<string, Tensor> Initializers { get; }

    /// <summary>Free-form facts about where the graph came from (family, width, resolution, layout, source file).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public Shape ShapeOf(string value) =>
        _shapes.TryGetValue(value, out var s) ? s : throw new KeyNotFoundException($"graph '{Name}' has no value '{value}'");

    public bool IsInitializer(string value) => Initializers.ContainsKey(value);

    /// <summary>The node that computes <paramref name="value"/>, or null for inputs and initializers.</summary>
    public Node? Producer(string value) => _producers.GetValueOrDefault(value);

    /// <summary>The nodes that read <paramref name="value"/>, in topological order.</summary>
    public IReadOnlyList<Node> Consumers(string value) =>
        _consumers.TryGetValue(value, out var list) ? list : [];

    /// <summary>The highest tensor rank a graph input or a node output may have: the runtime holds every value as N×C×H×W.</summary>
    public const int MaxRank = 4;

    /// <summary>The graph's only input.</summary>
    /// <exception cref="InputNameException">The graph has several inputs: pick one from <see cref="Inputs"/>.</exception>
    public Value Input => Inputs.Count == 1
        ? Inputs[0]
        : throw new InputNameException(
            $"graph '{Name}' has {Inputs.Count} inputs ({string.Join(", ", Inputs.Select(i => $"'{i.Name}' [{i.Shape}]"))}), where a model with one input is needed");

    /// <summary>The graph's only output.</summary>
    /// <exception cref="OutputNameException">The graph has several outputs: pick one from <see cref="Outputs"/>.</exception>
    public string Output => Outputs.Count == 1
        ? Outputs[0]
        : throw new OutputNameException(
            $"graph '{Name}' has {Outputs.Count} outputs ({string.Join(", ", Outputs.Select(o => $"'{o}' [{ShapeOf(o)}]"))}), where a model with one output is needed");

    /// <summary>
    /// Weights, biases and BatchNorm statistics are initializers: the runtime packs them once at compile time, and the
    /// cost model counts them as parameters. A node reading one from a computed value or a graph input is refused.
    /// </summary>
    private void RequireConstantOperands(Node node)
    {
        var (first, what) = node.Op switch
        {
            Conv2dOp => (1, "weight and bias"),
            GemmOp => (1, "weight and bias"),
            BatchNormOp => (1, "statistics (scale, bias, mean, variance)"),
            _ => (int.MaxValue, ""),
        };
        for (var i = first; i < node.Inputs.Count; i++)
        {
            if (!Initializers.ContainsKey(node.Inputs[i]))
                throw new GraphValidationException(
                    $"node '{node.Name}' ({node.Kind}) reads input {i} '{node.Inputs[i]}' from a graph input or a computed value; LightNets needs its {what} to be constants (initializers)");
        }
    }

    /// <summary>The same graph for another batch size (shapes re-inferred; initializers shared).</summary>
    public Graph WithBatch(int batch)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), "batch must be ≥ 1");
        return new Graph(Name, Inputs.Select(i => i with { Shape = i.Shape.WithBatch(batch) }), Outputs, Nodes, Initializers, Metadata);
    }

    /// <summary>The same structure with other node lists or initializers (used by graph passes).</summary>
    public Graph With(IEnumerable<Node>? nodes = null, IReadOnlyDictionary<string, Tensor>? initializers = null,
        IEnumerable<string>? outputs = null, IReadOnlyDictionary<string, string>? metadata = null) =>
        new(Name, Inputs, outputs ?? Outputs, nodes ?? Nodes, initializers ?? Initializers, metadata ?? Metadata);

    /// <summary>
    /// Kahn's algorithm, keeping the given order wherever it is already valid so that printed layer tables follow
    /// the model definition. Names every dangling input and every node on a cycle.
    /// </summary>
    private Node[] TopologicalOrder(Node[] nodes)
    {
        var available = new HashSet<string>(_shapes.Keys, StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (!names.Add(node.Name))
                throw new GraphValidationException($"node name '{node.Name}' is used twice");
            foreach (var output in node.Outputs)
            {
                if (available.Contains(output))
                    throw new GraphValidationException($"node '{node.Name}' writes '{output}', which is already a graph input or initializer");
                if (!_producers.TryAdd(output, node))
                    throw new GraphValidationException($"value '{output}' is written by both '{_producers[output].Name}' and '{node.Name}'");
            }
        }
        foreach (var node in nodes)
        {
            foreach (var input in node.Inputs)
            {
                if (!available.Contains(input) && !_producers.ContainsKey(input))
                    throw new GraphValidationException(
                        $"node '{node.Name}' ({node.Kind}) reads '{input}', which no node produces and is neither a graph input nor an initializer (dangling input)");
            }
        }

        var ordered = new List<Node>(nodes.Length);
        var pending = new List<Node>(nodes);
        while (pending.Count > 0)
        {
            var progressed = false;
            for (var i = 0; i < pending.Count; i++)
            {
                var node = pending[i];
                if (!node.Inputs.All(available.Contains)) continue;
                ordered.Add(node);
                foreach (var o in node.Outputs) available.Add(o);
                pending.RemoveAt(i);
                i--;
                progressed = true;
            }
            if (!progressed)
            {
                var cycle = string.Join(", ", pending.Select(n => $"'{n.Name}'"));
                throw new GraphValidationException($"graph '{Name}' has a cycle: nodes {cycle} wait on each other's outputs");
            }
        }

        foreach (var node in ordered)
        {
            foreach (var input in node.Inputs)
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = [];
                list.Add(node);
            }
        }
        return ordered.ToArray();
    }

    public override string ToString() => $"Graph '{Name}': {Nodes.Count} nodes, {Initializers.Count} initializers";
}
