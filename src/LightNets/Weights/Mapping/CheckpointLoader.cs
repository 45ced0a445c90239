using LightNets.Graphs;
using LightNets.Models;
using LightNets.Tensors;

namespace LightNets.Weights.Mapping;

/// <summary>What <see cref="CheckpointLoader"/> did.</summary>
/// <param name="Graph">The zoo model with the checkpoint's weights (its metadata names the file and the source).</param>
/// <param name="Naming">Whose names the checkpoint has.</param>
/// <param name="Options">The configuration the model was built as, every shape-changing knob set.</param>
/// <param name="Model">The MODEL asked for (a zoo name or a family's name).</param>
/// <param name="FileClasses">The class count of the checkpoint's classifier.</param>
/// <param name="ClassifierUntrained">The model has another class count than the checkpoint: everything but the classifier
/// was loaded, and the classifier keeps its fresh initialization (fine-tuning starts from there).</param>
/// <param name="Loaded">How many of the file's tensors went into the model.</param>
/// <param name="Ignored">How many were left out on purpose (BatchNorm's num_batches_tracked).</param>
public sealed record CheckpointLoad(Graph Graph, CheckpointNaming Naming, ModelOptions Options, string Model, int FileClasses,
    bool ClassifierUntrained, int Loaded, int Ignored)
{
    /// <summary>
    /// "torchvision MobileNetV3 checkpoint into mobilenetv3_small_035 (α=0.35, torchvision rounding, 10 classes): 210 tensors
    /// loaded, 34 BatchNorm counters ignored".
    /// </summary>
    public string Summary =>
        $"{Naming.Name} checkpoint into {Graph.Name} ({Options.Describe(Naming.Family)}): {Loaded} tensors loaded" + (Ignored > 0 ? $", {Ignored} BatchNorm counters ignored" : "");

    /// <summary>The line to show when the classifier was left untrained, else null.</summary>
    public string? Warning => ClassifierUntrained
        ? $"the checkpoint's classifier is for {FileClasses} classes and the model has {Options.Classes}: the backbone is loaded, the classifier is untrained (fresh weights)"
        : null;
}

/// <summary>
/// Loads a PyTorch or safetensors checkpoint of torchvision, timm or megvii into a zoo model: the file's names tell its
/// source (<see cref="CheckpointNamings"/>), the name map walks the zoo graph (<see cref="NameMap"/>), every tensor is
/// checked by name and shape, the source's own settings are applied (MobileNetV3's rounding, ShuffleNetV2's layout,
/// MobileNetV1's ReLU6, BatchNorm ε, megvii's wiring), and what the file tells is taken from it (width when only the
/// family is named, class count and input channels when not given). A class count other than the file's keeps the
/// backbone and leaves the classifier untrained, for fine-tuning.
/// </summary>
public static class CheckpointLoader
{
    /// <summary>Reads the checkpoint at <paramref name="path"/> and loads it into <paramref name="model"/>.</summary>
    public static CheckpointLoad Load(string path, string model, ModelOptions? overrides = null) =>
        Load(CheckpointTensors.From(WeightFiles.Read(path)), model, overrides);

    /// <summary>
    /// Loads <paramref name="file"/> into <paramref name="model"/> — a zoo name (<c>mobilenetv3_large_100</c>, an alias such
    /// as <c>mobilenet_v2</c>) or a family's name (<c>mobilenetv2</c>, <c>mobilenetv3_small</c>, <c>shufflenetv1</c>, ...,
    /// see <see cref="CheckpointFits.FamilyNames"/>), whose width is then the file's — with <paramref name="overrides"/>
    /// of its defaults (a knob left null is the file's or the source's).
    /// </summary>
    /// <exception cref="WeightMappingException">The file is not a checkpoint of the model's family, or does not fit it (the
    /// message names the first tensor that differs and what the file would fit), or a knob contradicts its source.</exception>
    public static CheckpointLoad Load(CheckpointTensors file, string model, ModelOptions? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(model);
        var (family, given) = Resolve(model, overrides);
        var naming = Source(file, family, model);
        CheckCompatible(file, naming, given);

        var options = given.Merge(naming.Implies);
        var fromFile = CheckpointFits.FileShape(file, naming, options with { Classes = null })
                       ?? throw new WeightMappingException($"{file.SourceName} has no stem or classifier named as {naming.Name} names them");
        var fileClasses = fromFile.Classes!.Value;
        options = options with { InputChannels = options.InputChannels ?? fromFile.InputChannels, Classes = options.Classes ?? fileClasses };
        // A family's name leaves the width (ShuffleNetV1: and groups; MobileNetV3: perhaps the variant) to the file.
        if (options.Width is null || family == ModelFamily.ShuffleNetV1 && options.Groups is null || family == ModelFamily.MobileNetV3 && options.Variant is null)
        {
            var fit = CheckpointFits.Find(file, naming, options with { Classes = fileClasses }).FirstOrDefault()
                      ?? throw new WeightMappingException($"{file.SourceName} is a {naming.Name} checkpoint but fits no {family} width LightNets tries " +
                                                          $"(the zoo's and every multiple of 0.05 up to 2){Options(family, given)}; give --width");
            options = options with { Width = fit.Options.Width, Groups = fit.Options.Groups, Variant = fit.Options.Variant };
        }

        var graph = ModelZoo.Build(family, options);
        if (naming.Wiring == CheckpointWiring.MegviiShuffles) graph = MegviiWiring.Rewire(graph, family);
        graph = WithBatchNormEpsilon(graph, naming.BatchNormEpsilon);
        var map = NameMap.For(graph, naming);
        var untrained = options.Classes != fileClasses;
        if (CheckpointMatcher.FirstMismatch(map, file, untrained) is { } problem)
            throw new WeightMappingException($"{file.SourceName} does not fit {model}{Options(family, given)}: {problem}{Suggestion(file, naming)}");

        if (!file.HasValues) throw new ArgumentException($"{file.SourceName} was read without its values (names and shapes only)", nameof(file));
        var values = CheckpointMatcher.Load(map, file, untrained);
        var initializers = new Dictionary<string, Tensor>(graph.Initializers, StringComparer.Ordinal);
        foreach (var (name, tensor) in values) initializers[name] = tensor;
        var metadata = new Dictionary<string, string>(graph.Metadata, StringComparer.Ordinal)
        {
            ["weights"] = file.SourceName,
            ["weights-source"] = naming.Name,
        };
        if (naming.Wiring == CheckpointWiring.MegviiShuffles) metadata["wiring"] = "megvii (channel shuffles placed as in megvii-model/ShuffleNet-Series)";
        if (untrained) metadata["classifier"] = $"untrained (the checkpoint's is for {fileClasses} classes)";
        var ignored = file.Names.Count(CheckpointTensors.IsIgnored);
        return new CheckpointLoad(graph.With(initializers: initializers, metadata: metadata), naming, options, model, fileClasses, untrained,
            values.Count, ignored);
    }

    /// <summary>The family and the options a MODEL stands for: a zoo entry's defaults, or a family's (no width).</summary>
    private static (ModelFamily Family, ModelOptions Given) Resolve(string model, ModelOptions? overrides)
    {
        if (ModelZoo.TryFind(model, out var entry)) return (entry.Family, entry.Defaults.Merge(overrides));
        if (CheckpointFits.FamilyNames.TryGetValue(model, out var f)) return (f.Family, f.Defaults.Merge(overrides));
        ModelZoo.Find(model); // throws, naming the nearest valid names
        throw new InvalidOperationException();
    }

    /// <summary>The naming of <paramref name="family"/> whose names the file has most of; an error naming the file's likely source otherwise.</summary>
    private static CheckpointNaming Source(CheckpointTensors file, ModelFamily family, string model)
    {
        var scores = CheckpointNamings.All.Select(n => (Naming: n, Score: CheckpointFits.NameScore(file, n))).OrderByDescending(s => s.Score).ToArray();
        var best = scores.Where(s => s.Naming.Family == family).MaxBy(s => s.Score);
        // Families share names (timm's MobileNetV1 blocks are named as MobileNetV2's first ones): the file's family is the one whose names it has most of.
        if (best.Score >= CheckpointFits.NameShare && !(scores[0].Naming.Family != family && scores[0].Score > best.Score)) return best.Naming;
        var likely = scores[0].Score >= CheckpointFits.NameShare
            ? $"its names are those of a {scores[0].Naming.Name} checkpoint, not of {family} (`lightnets weights inspect {file.SourceName}` lists the models it fits)"
            : $"its names are none LightNets knows (torchvision's, timm's or megvii's; first names: {string.Join(", ", file.Names.Take(3).Select(n => $"'{n}'"))})";
        throw new WeightMappingException($"{file.SourceName} is not a {family} checkpoint for {model}: {likely}");
    }

    /// <summary>A knob given on the command line that the checkpoint's source rules out.</summary>
    private static void CheckCompatible(CheckpointTensors file, CheckpointNaming naming, ModelOptions given)
    {
        var implied = naming.Implies;
        string? Conflict<T>(T? set, T? needed, string option) where T : struct =>
            set is { } s && needed is { } n && !s.Equals(n) ? $"{option} {s.ToString()!.ToLowerInvariant()}" : null;
        // megvii's ShuffleNetV2 is the paper's layout, which the zoo builds as either name.
        var layout = naming.Family == ModelFamily.ShuffleNetV2 && given.Layout == ModelLayout.Paper && implied.Layout == ModelLayout.Megvii ? null : given.Layout;
        var conflict = Conflict(given.Rounding, implied.Rounding, "--rounding") ?? Conflict(layout, implied.Layout, "--layout")
                       ?? Conflict(given.Activation, implied.Activation, "--activation") ?? Conflict(given.Variant, implied.Variant, "MobileNetV3");
        if (conflict is null) return;
        var needs = string.Join(", ", new[]
        {
            implied.Rounding is { } r ? $"--rounding {r.ToString().ToLowerInvariant()}" : null,
            implied.Layout is { } l ? $"--layout {l.ToString().ToLowerInvariant()}" : null,
            implied.Activation is { } a ? $"--activation {a.ToString().ToLowerInvariant()}" : null,
            implied.Variant is { } v ? $"MobileNetV3-{v}" : null,
        }.Where(x => x is not null));
        throw new WeightMappingException($"{file.SourceName} is a {naming.Name} checkpoint: it loads into {needs} only, not {conflict} (leave the option out to get the source's)");
    }

    /// <summary>"; it fits mobilenetv2_035 (α=0.35, 10 classes)": what the file fits, after a mismatch.</summary>
    private static string Suggestion(CheckpointTensors file, CheckpointNaming naming)
    {
        var fits = CheckpointFits.Find(file, naming, new ModelOptions());
        return fits.Count == 0 ? "" : $"; it fits {string.Join(", ", fits.Take(3).Select(f => $"{Command(f)} ({f.Description})"))}";
    }

    /// <summary>The MODEL (and width, when the model is a family) that loads a fit.</summary>
    public static string Command(CheckpointFit fit) => ModelZoo.TryFind(fit.Model, out _)
        ? fit.Model
        : $"{fit.Model} --width {CheckpointFits.Number(fit.Options.Width!.Value)}" + (fit.Options.Groups is { } g ? $" --groups {g}" : "");

    private static string Options(ModelFamily family, ModelOptions given)
    {
        var text = given.Describe(family);
        return text.Length == 0 ? "" : $" ({text})";
    }

    /// <summary>The graph with every BatchNorm's ε set to the source's (torchvision's MobileNetV3 1e-3, PyTorch's default 1e-5 elsewhere).</summary>
    private static Graph WithBatchNormEpsilon(Graph graph, float epsilon) => graph.With(nodes: graph.Nodes.Select(n =>
        n.Op is BatchNormOp bn && bn.Epsilon != epsilon ? new Node(n.Name, new BatchNormOp(epsilon), n.Inputs, n.Outputs, n.Block) : n));
}
