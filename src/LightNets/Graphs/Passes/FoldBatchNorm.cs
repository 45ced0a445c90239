using LightNets.Tensors;

namespace LightNets.Graphs.Passes;

/// <summary>
/// Folds every inference BatchNorm into the convolution (or FC) that feeds it:
/// W'[o] = W[o]·s[o], b'[o] = (b[o] − μ[o])·s[o] + β[o] with s = γ/√(σ² + ε), computed in double.
/// A BN is folded only when its producer is a conv/FC whose output nothing else reads; others stay.
/// The folded conv takes over the BN's output name, so consumers and graph outputs are unchanged.
/// <para>
/// Folding is algebra, exact only while it creates no infinity: with s = ±∞ (γ = ±∞, or σ² + ε = 0) every tap of the
/// channel would become ±∞ (NaN where W = 0), and the conv's sum NaN as soon as two such taps differ in sign, where the
/// unfolded BN gives γ·(y − μ)/σ = ±∞, which a following ReLU may turn into 0; likewise a W·s or bias that overflows.
/// Such a BN stays a node of its own. (A NaN in s, W or the bias is folded: it makes the same outputs NaN either way.)
/// </para>
/// </summary>
public static class FoldBatchNorm
{
    public static Graph Apply(Graph graph)
    {
        var initializers = new Dictionary<string, Tensor>(graph.Initializers, StringComparer.Ordinal);
        var replaced = new Dictionary<Node, Node>();
        var removed = new HashSet<Node>();

        foreach (var bn in graph.Nodes.Where(n => n.Op is BatchNormOp))
        {
            var producer = graph.Producer(bn.Inputs[0]);
            if (producer is null || producer.Op is not (Conv2dOp or GemmOp) || replaced.ContainsKey(producer)
                || graph.Consumers(bn.Inputs[0]).Count != 1 || graph.Outputs.Contains(bn.Inputs[0])
                || !bn.Inputs.Skip(1).All(graph.IsInitializer) || !producer.Inputs.Skip(1).All(graph.IsInitializer))
                continue;

            var eps = ((BatchNormOp)bn.Op).Epsilon;
            var gamma = graph.Initializers[bn.Inputs[1]].Data;
            var beta = graph.Initializers[bn.Inputs[2]].Data;
            var mean = graph.Initializers[bn.Inputs[3]].Data;
            var variance = graph.Initializers[bn.Inputs[4]].Data;
            var w = graph.Initializers[producer.Inputs[1]];
            var channels = w.Shape[0];
            var perChannel = (int)(w.Length / channels);
            var oldBias = producer.Inputs.Count > 2 ? graph.Initializers[producer.Inputs[2]].Data : null;

            var newW = new float[w.Length];
            var newB = new float[channels];
            var exact = true;
            for (var o = 0; o < channels && exact; o++)
            {
                var s = gamma[o] / Math.Sqrt((double)variance[o] + eps);
                exact = !double.IsInfinity(s);
                for (var i = 0; i < perChannel; i++)
                {
                    var original = w.Data[o * perChannel + i];
                    newW[o * perChannel + i] = (float)(original * s);
                    exact &= !float.IsInfinity(newW[o * perChannel + i]) || float.IsInfinity(original);
                }
                var b = (oldBias?[o] ?? 0.0) - mean[o];
                newB[o] = (float)(b * s + beta[o]);
                exact &= !float.IsInfinity(newB[o]) || !double.IsFinite(b) || !float.IsFinite(beta[o]);
            }
            if (!exact) continue;

            var weightName = Unique(initializers, producer.Name + ".weight_folded");
            initializers[weightName] = new Tensor(w.Shape, newW);
            var biasName = Unique(initializers, producer.Name + ".bias_folded");
            initializers[biasName] = new Tensor(new Shape(channels), newB);
            // Scaled weights leave the int8 grid they may have been on.
            Op op = producer.Op switch { Conv2dOp c => c with { WeightQuant = null }, GemmOp g => g with { WeightQuant = null }, _ => producer.Op };
            replaced[producer] = new Node(producer.Name, op, [producer.Inputs[0], weightName, biasName], bn.Outputs, producer.Block);
            removed.Add(bn);
        }

        if (removed.Count == 0) return graph;
        var nodes = graph.Nodes.Where(n => !removed.Contains(n)).Select(n => replaced.GetValueOrDefault(n, n)).ToArray();
        return graph.With(nodes, DropUnused(initializers, nodes));
    }

    /// <summary>Initializers that some node still reads.</summary>
    internal static Dictionary<string, Tensor> DropUnused(Dictionary<string, Tensor> initializers, IEnumerable<Node> nodes)
    {
        var used = nodes.SelectMany(n => n.Inputs).ToHashSet(StringComparer.Ordinal);
        return initializers.Where(kv => used.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }

    private static string Unique(Dictionary<string, Tensor> taken, string name)
    {
        var candidate = name;
        for (var i = 1; taken.ContainsKey(candidate); i++) candidate = $"{name}_{i}";
        return candidate;
    }
}
