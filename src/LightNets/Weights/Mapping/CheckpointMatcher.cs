using LightNets.Models;
using LightNets.Tensors;

namespace LightNets.Weights.Mapping;

/// <summary>
/// Checks a <see cref="NameMap"/> against a checkpoint's tensors — every tensor the model needs is there with its shape,
/// and the file has nothing the model has no place for — and takes the values out. A problem is described by the first
/// tensor that has it, with the names closest to it on the other side (edit distance), because a checkpoint that does not
/// fit usually differs in one place: a renamed block, another width, a head for other classes.
/// </summary>
internal static class CheckpointMatcher
{
    /// <summary>The first problem, in words, or null when the file fits the map.</summary>
    /// <param name="map">The model's names.</param>
    /// <param name="file">The checkpoint.</param>
    /// <param name="skipClassifier">The classifier's tensors need not have the model's shape (a model for other classes).</param>
    public static string? FirstMismatch(NameMap map, CheckpointTensors file, bool skipClassifier)
    {
        foreach (var t in map.Tensors)
        {
            if (!file.TryGetShape(t.Source, out var shape))
            {
                return $"{file.SourceName} has no tensor '{t.Source}' ({What(t)}, {CheckpointTensors.Format(t.Shape.ToArray())}); " +
                       $"closest names in the file: {Closest(t.Source, file.Names.Where(n => !CheckpointTensors.IsIgnored(n)))}";
            }
            // A classifier for other classes may differ in its class count only: what it reads must be the model's features.
            var (model, inFile) = skipClassifier && t.Classifier ? (new Shape(t.Shape.Skip(1).Prepend(1).ToArray()), shape.Skip(1).Prepend(1).ToArray()) : (t.Shape, shape);
            if (!Fits(model, inFile))
            {
                return $"'{t.Source}' is {CheckpointTensors.Format(shape)} in {file.SourceName}, but the model's {What(t)} is " +
                       $"{CheckpointTensors.Format(t.Shape.ToArray())}{(t.Classifier ? " (the classifier: give --classes to load the rest)" : "")}";
            }
        }
        var used = map.Tensors.Select(t => t.Source).ToHashSet(StringComparer.Ordinal);
        var extra = file.Names.FirstOrDefault(n => !used.Contains(n) && !CheckpointTensors.IsIgnored(n));
        if (extra is null) return null;
        file.TryGetShape(extra, out var extraShape);
        return $"{file.SourceName} has '{extra}' {CheckpointTensors.Format(extraShape)}, which has no place in the model as {map.Naming.Name} names it; " +
               $"closest names the model takes: {Closest(extra, used)}";
    }

    /// <summary>The values of every initializer the file fills, shaped as the model's; the classifier's are left out when skipped.</summary>
    /// <exception cref="WeightMappingException">A tensor that does not fit (see <see cref="FirstMismatch"/>), or holds integers.</exception>
    public static Dictionary<string, Tensor> Load(NameMap map, CheckpointTensors file, bool skipClassifier)
    {
        if (FirstMismatch(map, file, skipClassifier) is { } problem) throw new WeightMappingException(problem);
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var t in map.Tensors)
        {
            if (skipClassifier && t.Classifier) continue;
            var tensor = file.Get(t.Source) ?? throw new InvalidOperationException($"'{t.Source}' of {file.SourceName} was read without its values");
            if (tensor.IsInteger)
                throw new WeightMappingException($"'{t.Source}' in {file.SourceName} holds {tensor.DType} values, but the model's {What(t)} is a floating-point tensor");
            values[t.Initializer] = new Tensor(t.Shape, tensor.Data);
        }
        return values;
    }

    /// <summary>
    /// Equal shapes, or equal once trailing 1s are dropped: a 1×1 convolution's weight [out, in, 1, 1] is a fully connected
    /// layer's [out, in] (timm's conv_head is a 1×1 conv on the pooled vector where the zoo has a Gemm).
    /// </summary>
    public static bool Fits(Shape model, IReadOnlyList<int> file)
    {
        static IEnumerable<int> Trimmed(IReadOnlyList<int> s)
        {
            var n = s.Count;
            while (n > 1 && s[n - 1] == 1) n--;
            return s.Take(n);
        }
        return Trimmed(model.ToArray()).SequenceEqual(Trimmed(file));
    }

    /// <summary>"the weight of features.3.expand": what an initializer is, in the zoo's words.</summary>
    private static string What(MappedTensor t)
    {
        var part = t.Initializer[(t.Initializer.LastIndexOf('.') + 1)..];
        var kind = t.Initializer.Contains(".bn.", StringComparison.Ordinal) ? $"BatchNorm {part}" : part;
        return $"{kind} of {t.Layer}";
    }

    /// <summary>The three names nearest to <paramref name="name"/>, quoted, nearest first.</summary>
    public static string Closest(string name, IEnumerable<string> candidates)
    {
        var nearest = candidates.Distinct()
            .Select(c => (c, d: ModelZoo.EditDistance(name, c)))
            .OrderBy(p => p.d).ThenBy(p => p.c, StringComparer.Ordinal)
            .Take(3).Select(p => $"'{p.c}'").ToArray();
        return nearest.Length == 0 ? "(none)" : string.Join(", ", nearest);
    }
}
