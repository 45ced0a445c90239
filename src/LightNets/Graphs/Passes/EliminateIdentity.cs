namespace LightNets.Graphs.Passes;

/// <summary>
/// Removes nodes that are the identity at inference (Dropout), rewiring their consumers to their input. A Dropout
/// that produces a graph output is kept (the output name must survive).
/// </summary>
public static class EliminateIdentity
{
    public static Graph Apply(Graph graph)
    {
        var rename = new Dictionary<string, string>(StringComparer.Ordinal);
        var kept = new List<Node>();
        foreach (var node in graph.Nodes)
        {
            var inputs = node.Inputs.Select(i => rename.GetValueOrDefault(i, i)).ToArray();
            if (node.Op is DropoutOp && !graph.Outputs.Contains(node.Output))
            {
                rename[node.Output] = inputs[0];
                continue;
            }
            kept.Add(inputs.SequenceEqual(node.Inputs) ? node : node.WithInputs(inputs));
        }
        return rename.Count == 0 ? graph : graph.With(kept);
    }
}
