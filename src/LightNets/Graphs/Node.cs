namespace LightNets.Graphs;

/// <summary>
/// One operator application. <see cref="Inputs"/> and <see cref="Outputs"/> name values; the order of inputs is the
/// operator's (X, W, B for Conv2d; X, γ, β, μ, σ² for BatchNorm). <see cref="Block"/> is the paper-level unit the node
/// belongs to (e.g. "stage3.0"), used to group costs the way the papers' tables do; empty for none.
/// </summary>
public sealed class Node
{
    public Node(string name, Op op, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, string block = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(op);
        Name = name;
        Op = op;
        Inputs = inputs.ToArray();
        Outputs = outputs.ToArray();
        Block = block;
    }

    public string Name { get; }
    public Op Op { get; }
    public OpKind Kind => Op.Kind;
    public IReadOnlyList<string> Inputs { get; }
    public IReadOnlyList<string> Outputs { get; }
    public string Block { get; }

    /// <summary>The single output of a one-output node.</summary>
    public string Output => Outputs.Count == 1
        ? Outputs[0]
        : throw new InvalidOperationException($"node '{Name}' has {Outputs.Count} outputs");

    public Node WithInputs(IReadOnlyList<string> inputs) => new(Name, Op, inputs, Outputs, Block);

    public override string ToString() => $"{Name}: {Kind}({string.Join(", ", Inputs)}) -> {string.Join(", ", Outputs)}";
}
