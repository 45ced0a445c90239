using System.Text.RegularExpressions;
using LightNets.Graphs;
using LightNets.Models;
using LightNets.Tensors;

namespace LightNets.Weights.Mapping;

/// <summary>One initializer of a zoo graph and the checkpoint tensor that fills it.</summary>
/// <param name="Initializer">The graph's initializer name ("features.3.expand.bn.running_var").</param>
/// <param name="Source">The checkpoint's tensor name ("features.3.conv.0.1.running_var").</param>
/// <param name="Shape">The initializer's shape.</param>
/// <param name="Layer">The zoo layer it belongs to, for messages ("features.3.expand").</param>
/// <param name="Classifier">It is a weight or bias of the last fully connected layer (the one whose size is the class count).</param>
public sealed record MappedTensor(string Initializer, string Source, Shape Shape, string Layer, bool Classifier);

/// <summary>
/// A <see cref="CheckpointNaming"/> applied to one zoo graph: the checkpoint name of every initializer. It is generated
/// by walking the graph — its blocks in order, the layers of each block (every Conv2d and Gemm, with the BatchNorm that
/// reads it) — and looking each block's arrangement of layers up in the naming's rules, so hundreds of names come from a
/// dozen lines of data and follow the graph for every width and variant.
/// </summary>
public sealed class NameMap
{
    private NameMap(CheckpointNaming naming, IReadOnlyList<MappedTensor> tensors)
    {
        Naming = naming;
        Tensors = tensors;
    }

    public CheckpointNaming Naming { get; }

    /// <summary>Every initializer of the graph, in graph order, each once.</summary>
    public IReadOnlyList<MappedTensor> Tensors { get; }

    private static readonly string[] NormParts = ["weight", "bias", "running_mean", "running_var"];

    /// <summary>Walks <paramref name="graph"/> and names each of its initializers as <paramref name="naming"/> does.</summary>
    /// <exception cref="WeightMappingException">A block or an arrangement of layers the checkpoint's code does not have.</exception>
    public static NameMap For(Graph graph, CheckpointNaming naming)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(naming);
        var layers = graph.Nodes.Where(n => n.Op is Conv2dOp or GemmOp).ToArray();
        var classifier = layers.LastOrDefault(n => n.Op is GemmOp);
        var ordinals = new Dictionary<CheckpointBlock, int>(ReferenceEqualityComparer.Instance);
        var tensors = new List<MappedTensor>();

        foreach (var block in layers.GroupBy(n => n.Block))
        {
            var rule = naming.Blocks.FirstOrDefault(r => Matches(r.Zoo, block.Key))
                       ?? throw new WeightMappingException($"{naming.Name} checkpoints have no counterpart of the zoo's block '{block.Key}' ({graph.Name})");
            var n = ordinals.GetValueOrDefault(rule);
            ordinals[rule] = n + 1;
            var prefix = SourcePath(rule, block.Key, n, naming);
            var roles = block.Select(l => Role(block.Key, l)).ToArray();
            var arrangement = string.Join(' ', roles);
            if (!rule.Units.TryGetValue(arrangement, out var units))
                throw new WeightMappingException(
                    $"{naming.Name} has no block like the zoo's '{block.Key}' (layers {arrangement}) of {graph.Name}: this configuration does not exist in its code");
            var i = 0;
            foreach (var layer in block)
            {
                var unit = units[i];
                var role = roles[i++];
                var isClassifier = layer == classifier;
                var layerPath = Join(prefix, unit.Layer);
                var zooLayer = $"{block.Key}.{role}";
                tensors.Add(new MappedTensor(layer.Inputs[1], Join(layerPath, "weight"), graph.ShapeOf(layer.Inputs[1]), zooLayer, isClassifier));
                if (layer.Inputs.Count > 2)
                    tensors.Add(new MappedTensor(layer.Inputs[2], Join(layerPath, "bias"), graph.ShapeOf(layer.Inputs[2]), zooLayer, isClassifier));
                var norm = graph.Consumers(layer.Outputs[0]).FirstOrDefault(c => c.Op is BatchNormOp);
                if ((norm is null) != (unit.Norm is null))
                    throw new InvalidOperationException(
                        $"{naming.Name}: the rule for '{arrangement}' gives layer '{role}' {(unit.Norm is null ? "no" : "a")} BatchNorm, but the zoo's has {(norm is null ? "none" : "one")}");
                if (norm is null) continue;
                for (var p = 0; p < NormParts.Length; p++)
                    tensors.Add(new MappedTensor(norm.Inputs[p + 1], Join(Join(prefix, unit.Norm!), NormParts[p]), graph.ShapeOf(norm.Inputs[p + 1]), zooLayer, false));
            }
        }

        // Every weight of the zoo graph sits on a Conv2d, Gemm or BatchNorm (Graph enforces it); a map that missed one would
        // leave random weights in a "trained" model, so it is a bug to stop at.
        var covered = tensors.Select(t => t.Initializer).ToHashSet(StringComparer.Ordinal);
        var left = graph.Initializers.Keys.FirstOrDefault(k => !covered.Contains(k));
        if (left is not null)
            throw new InvalidOperationException($"{naming.Name}: the zoo's initializer '{left}' of {graph.Name} got no checkpoint name");
        return new NameMap(naming, tensors);
    }

    /// <summary>A layer's name within its block: "features.3.expand.conv" → "expand", "classifier.fc" → "fc".</summary>
    private static string Role(string block, Node layer)
    {
        var local = block.Length == 0 ? layer.Name : layer.Name[(block.Length + 1)..];
        return local.EndsWith(".conv", StringComparison.Ordinal) ? local[..^".conv".Length] : local;
    }

    private static bool Matches(string pattern, string block) => pattern.EndsWith('*')
        ? block.StartsWith(pattern[..^1], StringComparison.Ordinal)
        : block == pattern;

    private static readonly Regex Placeholder = new(@"\{(zoo|n|stage|index)\}", RegexOptions.CultureInvariant);

    private static string SourcePath(CheckpointBlock rule, string block, int ordinal, CheckpointNaming naming)
    {
        var (stage, index) = (0, ordinal);
        if (rule.Stages is { } stages)
        {
            while (stage < stages.Count && index >= stages[stage]) index -= stages[stage++];
            if (stage == stages.Count)
                throw new WeightMappingException(
                    $"{naming.Name} checkpoints have {stages.Sum()} blocks where the zoo's '{rule.Zoo}' run has more (block '{block}')");
        }
        return Placeholder.Replace(rule.Source, m => m.Groups[1].Value switch
        {
            "zoo" => block,
            "n" => ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "stage" => stage.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => index.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    private static string Join(string a, string b) => a.Length == 0 ? b : b.Length == 0 ? a : $"{a}.{b}";
}
