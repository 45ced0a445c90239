using LightNets.Graphs;
using LightNets.Models;
using LightNets.Onnx;
using LightNets.Tensors;
using LightNets.Weights;
using LightNets.Weights.Mapping;

namespace LightNets.Training.Trainer;

/// <summary>What <see cref="FineTuning"/>.Load did with a file's weights.</summary>
/// <param name="Graph">The model with the file's weights (and a fresh classifier when the class count changed).</param>
/// <param name="ByName">The weights were matched by name (a LightNets export); else by position, with BatchNorm folded
/// into the convolutions (a torchvision or timm export, whose BatchNorm is already folded).</param>
/// <param name="FileClasses">The file's class count.</param>
/// <param name="ClassifierReplaced">The file's classifier was for another class count and a fresh one took its place.</param>
/// <param name="FileClassNames">The class names the file carries (a LightNets training export), else null.</param>
/// <param name="Checkpoint">For a PyTorch or safetensors checkpoint, what it was (<see cref="CheckpointLoad.Summary"/>); null for ONNX.</param>
public sealed record FineTuneStart(Graph Graph, bool ByName, int FileClasses, bool ClassifierReplaced, IReadOnlyList<string>? FileClassNames,
    string? Checkpoint = null);

/// <summary>
/// Starting a run from trained weights (<c>--from FILE.onnx</c>): the file's weights go into the zoo model through
/// <see cref="OnnxWeights"/> (by name, or by position with shapes checked); a classifier for another number of classes
/// is replaced by a freshly initialised one; with a frozen backbone only the classifier learns.
/// </summary>
public static class FineTuning
{
    /// <summary>
    /// Loads the weights of the ONNX file at <paramref name="path"/> into the model <paramref name="build"/> makes for a
    /// given class count, for a data set of <paramref name="classes"/> classes.
    /// </summary>
    /// <param name="build">Builds the zoo model (with fresh weights) for a class count.</param>
    /// <param name="classes">The class count of the data the model will be trained on.</param>
    /// <param name="path">The ONNX file with the trained weights.</param>
    /// <exception cref="FineTuningException">The file's weights do not fit the model (names, shapes, layers), or it has no classifier.</exception>
    public static FineTuneStart Load(Func<int, Graph> build, int classes, string path)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FineTuningException($"there is no file '{path}' to fine-tune from");
        var name = Path.GetFileName(path);
        var source = OnnxImporter.Load(path, new OnnxImportOptions { Batch = 1 });
        var fileClasses = ClassifierHead.Find(source).Classes;
        var target = build(fileClasses);
        var byName = target.Initializers.Keys.Any(source.Initializers.ContainsKey);
        Graph loaded;
        try
        {
            loaded = OnnxWeights.LoadInto(target, source, name);
        }
        catch (OnnxWeightsException e)
        {
            throw new FineTuningException($"the weights of {name} do not fit {target.Name}: {e.Message}; give the model (and --width, --small-input, --input-channels, ...) the file was trained as");
        }
        var names = ModelExport.ClassNames(ModelExport.ReadMetadata(path));
        if (fileClasses == classes) return new FineTuneStart(loaded, byName, fileClasses, false, names);
        return new FineTuneStart(ReplaceClassifier(loaded, build(classes)), byName, fileClasses, true, names);
    }

    /// <summary>
    /// Loads the weights at <paramref name="path"/> into zoo model <paramref name="model"/> (with <paramref name="knobs"/>)
    /// for a data set of <paramref name="classes"/> classes: an ONNX file as <see cref="Load(Func{int, Graph}, int, string)"/>
    /// does, a torchvision, timm or megvii checkpoint (.pth, .safetensors) through <see cref="CheckpointLoader"/>, whose
    /// classifier is left fresh when its class count differs.
    /// </summary>
    /// <exception cref="FineTuningException">The file's weights do not fit the model.</exception>
    public static FineTuneStart Load(string model, ModelOptions knobs, int classes, string path)
    {
        ArgumentNullException.ThrowIfNull(knobs);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FineTuningException($"there is no file '{path}' to fine-tune from");
        if (WeightFiles.Detect(path) == WeightFormat.Onnx) return Load(k => ModelZoo.Build(model, knobs with { Classes = k }), classes, path);
        try
        {
            var load = CheckpointLoader.Load(path, model, knobs with { Classes = classes });
            return new FineTuneStart(load.Graph, ByName: true, load.FileClasses, load.ClassifierUntrained, null, load.Summary);
        }
        catch (WeightMappingException e)
        {
            throw new FineTuningException($"{e.Message}; give the model (and --width, --small-input, --input-channels, ...) the file was trained as");
        }
    }

    /// <summary><paramref name="loaded"/> with the classifier weights (and bias) of <paramref name="fresh"/>, a model for the new class count.</summary>
    private static Graph ReplaceClassifier(Graph loaded, Graph fresh)
    {
        var old = ClassifierHead.Find(loaded);
        var head = ClassifierHead.Find(fresh);
        var oldShape = loaded.ShapeOf(old.Weight);
        var newShape = fresh.ShapeOf(head.Weight);
        if (oldShape.Rank != newShape.Rank || !oldShape.Skip(1).SequenceEqual(newShape.Skip(1)))
            throw new FineTuningException($"the classifier '{old.Node.Name}' takes {oldShape} weights but the model's takes {newShape}: the features before it differ");
        var initializers = new Dictionary<string, Tensor>(loaded.Initializers, StringComparer.Ordinal)
        {
            [old.Weight] = fresh.Initializers[head.Weight],
        };
        if (old.Bias is not null)
            initializers[old.Bias] = head.Bias is not null ? fresh.Initializers[head.Bias] : new Tensor(new Shape(head.Classes));
        return loaded.With(initializers: initializers);
    }

    /// <summary>Freezes every parameter but the classifier's; returns how many tensors stay trainable.</summary>
    public static int FreezeBackbone(IReadOnlyList<Parameter> parameters, ClassifierHead head)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(head);
        var keep = head.Parameters.ToHashSet(StringComparer.Ordinal);
        var trainable = 0;
        foreach (var p in parameters)
        {
            p.Trainable = keep.Contains(p.Name);
            if (p.Trainable) trainable++;
        }
        if (trainable == 0) throw new FineTuningException($"the classifier '{head.Node.Name}' has no learnable weights in this model; nothing would be trained");
        return trainable;
    }
}
