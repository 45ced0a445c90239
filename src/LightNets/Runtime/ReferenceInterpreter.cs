using LightNets.Graphs;
using LightNets.Runtime.Kernels.Reference;
using LightNets.Tensors;

namespace LightNets.Runtime;

/// <summary>
/// Runs a <see cref="Graph"/> node by node with the plain-loop kernels of <see cref="Kernels.Reference"/>: the
/// executable meaning of the IR and the oracle every optimized path is tested against. Slow on purpose; no passes,
/// no fusion, no layout change. Thread-safe: every call owns its values; initializers are only read.
/// <para>
/// Non-finite values (NaN, ±∞ in an input or a weight) follow PyTorch, op by op, as each reference kernel writes
/// down: NaN propagates through every activation, max pooling, averaging, Add, Mul, Concat and Softmax; ±∞ goes
/// through IEEE 754 arithmetic (ReLU6(+∞) = 6, h-swish(−∞) = −∞·0 = NaN, +∞ + −∞ = NaN); convolution padding
/// contributes nothing, so a non-finite weight only reaches outputs whose window has that tap inside the input.
/// The compiled runtime is tested to produce the same NaN and ±∞ pattern on every tier.
/// </para>
/// </summary>
public static class ReferenceInterpreter
{
    /// <summary>Runs a graph with one input and one output.</summary>
    /// <exception cref="InputShapeException">The input's shape differs from the graph's.</exception>
    /// <exception cref="InputNameException">The graph has several inputs: use the dictionary overload.</exception>
    /// <exception cref="OutputNameException">The graph has several outputs: use the dictionary overload.</exception>
    public static Tensor Run(Graph graph, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(input);
        var outputs = Run(graph, new Dictionary<string, Tensor>(StringComparer.Ordinal) { [graph.Input.Name] = input });
        return outputs[graph.Output];
    }

    /// <summary>
    /// Runs the graph and returns its outputs by name, in <see cref="Graph.Outputs"/> order. Intermediate values are
    /// released after their last consumer.
    /// </summary>
    /// <param name="graph">The graph to run.</param>
    /// <param name="inputs">Exactly the graph's inputs, by name, each with the declared shape (including the batch:
    /// for another batch size run <see cref="Graph.WithBatch"/> first).</param>
    /// <exception cref="InputNameException">An input is missing or not declared by the graph.</exception>
    /// <exception cref="InputShapeException">An input's shape differs from the declared one.</exception>
    public static IReadOnlyDictionary<string, Tensor> Run(Graph graph, IReadOnlyDictionary<string, Tensor> inputs) =>
        Execute(graph, inputs, keepAll: false, onNodeEvaluated: null);

    /// <summary>
    /// As <see cref="Run(Graph, IReadOnlyDictionary{string, Tensor})"/>, calling <paramref name="onNodeEvaluated"/>
    /// after each node with the node and its output tensors (in <see cref="Node.Outputs"/> order). The tensors stay
    /// valid after the call: the interpreter never reuses memory.
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> Run(Graph graph, IReadOnlyDictionary<string, Tensor> inputs,
        Action<Node, IReadOnlyList<Tensor>> onNodeEvaluated)
    {
        ArgumentNullException.ThrowIfNull(onNodeEvaluated);
        return Execute(graph, inputs, keepAll: false, onNodeEvaluated);
    }

    /// <summary>
    /// Runs the graph and returns every value it computes, keyed by value name: the graph inputs, then each node's
    /// outputs in evaluation order (initializers excluded). For debugging and per-layer comparisons.
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> RunAll(Graph graph, IReadOnlyDictionary<string, Tensor> inputs) =>
        Execute(graph, inputs, keepAll: true, onNodeEvaluated: null);

    /// <summary>
    /// Checks <paramref name="inputs"/> against <see cref="Graph.Inputs"/>: every declared input present with exactly
    /// the declared shape, and no other name.
    /// </summary>
    public static void ValidateInputs(Graph graph, IReadOnlyDictionary<string, Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(inputs);
        var declared = string.Join(", ", graph.Inputs.Select(i => $"'{i.Name}' [{i.Shape}]"));
        foreach (var name in inputs.Keys)
        {
            if (!graph.Inputs.Any(i => i.Name == name))
                throw new InputNameException($"graph '{graph.Name}' has no input '{name}'; its inputs are {declared}");
        }
        foreach (var input in graph.Inputs)
        {
            if (!inputs.TryGetValue(input.Name, out var tensor))
                throw new InputNameException($"graph '{graph.Name}' needs input '{input.Name}' [{input.Shape}], which was not given");
            if (tensor is null)
                throw new ArgumentException($"input '{input.Name}' is null", nameof(inputs));
            if (tensor.Shape != input.Shape)
                throw new InputShapeException(ShapeMessage(graph, input, tensor.Shape));
        }
    }

    /// <summary>
    /// Applies one operator to its input tensors (in the operator's input order, e.g. X, W, B for Conv2d) with the
    /// reference kernels, returning one tensor per output.
    /// </summary>
    public static Tensor[] Evaluate(Op op, IReadOnlyList<Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor In(int i) => i < inputs.Count
            ? inputs[i]
            : throw new ArgumentException($"{op.Kind} needs input {i} but was given {inputs.Count}", nameof(inputs));
        Tensor? Optional(int i) => i < inputs.Count ? inputs[i] : null;

        return op switch
        {
            Conv2dOp conv => [ConvReference.Conv2d(In(0), In(1), Optional(2), conv)],
            BatchNormOp bn => [BatchNormReference.BatchNorm(In(0), In(1), In(2), In(3), In(4), bn.Epsilon)],
            ReluOp => [ActivationReference.Relu(In(0))],
            ClipOp clip => [ActivationReference.Clip(In(0), clip)],
            HardSigmoidOp hs => [ActivationReference.HardSigmoid(In(0), hs)],
            HardSwishOp => [ActivationReference.HardSwish(In(0))],
            SigmoidOp => [ActivationReference.Sigmoid(In(0))],
            SoftmaxOp => [ActivationReference.Softmax(In(0))],
            FakeQuantizeOp q => [QuantizeReference.FakeQuantize(In(0), q.Params)],
            AddOp => [ElementwiseReference.Add(In(0), In(1))],
            MulOp => [ElementwiseReference.Mul(In(0), In(1))],
            ConcatOp => [ChannelReference.Concat(inputs)],
            ChannelShuffleOp shuffle => [ChannelReference.ChannelShuffle(In(0), shuffle.Groups)],
            SliceOp slice => [ChannelReference.Slice(In(0), slice.Start, slice.End)],
            SplitOp split => ChannelReference.Split(In(0), split.Sizes),
            MaxPoolOp max => [PoolReference.MaxPool(In(0), max)],
            AveragePoolOp avg => [PoolReference.AveragePool(In(0), avg)],
            GlobalAveragePoolOp => [PoolReference.GlobalAveragePool(In(0))],
            FlattenOp => [ReshapeReference.Flatten(In(0))],
            DropoutOp => [ReshapeReference.Identity(In(0))],
            GemmOp => [GemmReference.Gemm(In(0), In(1), Optional(2))],
            _ => throw new NotSupportedException($"the reference interpreter has no kernel for {op.GetType().Name}"),
        };
    }

    private static Dictionary<string, Tensor> Execute(Graph graph, IReadOnlyDictionary<string, Tensor> inputs,
        bool keepAll, Action<Node, IReadOnlyList<Tensor>>? onNodeEvaluated)
    {
        ValidateInputs(graph, inputs);
        var lastUse = LastUses(graph);
        var outputs = new HashSet<string>(graph.Outputs, StringComparer.Ordinal);
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs) values[input.Name] = inputs[input.Name];

        for (var i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            var args = node.Inputs.Select(name => values.TryGetValue(name, out var t) ? t : graph.Initializers[name]).ToArray();
            Tensor[] results;
            try
            {
                results = Evaluate(node.Op, args);
            }
            catch (ArgumentException ex)
            {
                // The graph was validated on construction, so this is a disagreement between shape inference and a kernel.
                throw new InvalidOperationException($"reference kernel of node '{node.Name}' ({node.Kind}) rejected its inputs: {ex.Message}", ex);
            }
            for (var k = 0; k < node.Outputs.Count; k++)
            {
                var expected = graph.ShapeOf(node.Outputs[k]);
                if (results[k].Shape != expected)
                    throw new InvalidOperationException(
                        $"reference kernel of node '{node.Name}' ({node.Kind}) produced '{node.Outputs[k]}' [{results[k].Shape}] but shape inference says [{expected}]");
                values[node.Outputs[k]] = results[k];
            }
            onNodeEvaluated?.Invoke(node, results);

            if (keepAll) continue;
            foreach (var name in node.Inputs.Concat(node.Outputs))
            {
                if (lastUse.TryGetValue(name, out var last) && last == i && !outputs.Contains(name))
                    values.Remove(name);
            }
        }

        if (keepAll) return values;
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in graph.Outputs)
        {
            // An output that is a graph input or an initializer is copied, so the caller never holds the graph's weights.
            result[name] = graph.Producer(name) is null
                ? (values.TryGetValue(name, out var given) ? given : graph.Initializers[name]).Clone()
                : values[name];
        }
        return result;
    }

    /// <summary>
    /// For every graph input and node output, the index of the last node that reads it (its producer's index when
    /// nothing reads it). Initializers are never released.
    /// </summary>
    private static Dictionary<string, int> LastUses(Graph graph)
    {
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            foreach (var name in node.Inputs)
            {
                if (!graph.IsInitializer(name)) last[name] = i;
            }
            foreach (var name in node.Outputs) last.TryAdd(name, i);
        }
        return last;
    }

    private static string ShapeMessage(Graph graph, Value input, Shape actual)
    {
        var message = $"input '{input.Name}' of graph '{graph.Name}' needs shape [{input.Shape}] but got [{actual}]";
        if (actual.Rank == input.Shape.Rank && actual.Rank > 0 && actual.WithBatch(input.Shape[0]) == input.Shape)
            message += $"; only the batch differs: run graph.WithBatch({actual[0]}) to get a graph for batch {actual[0]}";
        return message;
    }
}
