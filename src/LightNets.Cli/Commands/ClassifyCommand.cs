using System.CommandLine;
using System.Text.Json;
using LightNets.Cli.Output;
using LightNets.Graphs;
using LightNets.Imaging;
using LightNets.Training.Trainer;

namespace LightNets.Cli.Commands;

/// <summary>
/// <c>lightnets classify MODEL|FILE.onnx IMAGE|DIR...</c>: the top classes of each image with the compiled runtime.
/// A file that cannot be classified gets its own error line and a non-zero exit; the others are still classified.
/// </summary>
internal static class ClassifyCommand
{
    /// <summary>More files than this show progress on stderr.</summary>
    private const int ProgressThreshold = 16;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new ModelSelection(batch: false);
        var command = new ModelCommand("classify",
            "Classify images: decode (EXIF orientation applied), preprocess as torchvision does (Resize, CenterCrop, Normalize), run in batches, print the top classes with softmax probabilities.",
            model);
        var images = new Argument<string[]>("IMAGE")
        {
            Description = "Image files (JPEG, PNG, WebP, BMP, GIF) or directories of them (their image files; --recursive for subdirectories too).",
            Arity = ArgumentArity.OneOrMore,
        };
        var top = CliOptions.Top();
        var batch = CliOptions.Batch("Images per inference", "default 8");
        var weights = ModelWeights.Create();
        var labels = new Option<FileInfo?>("--labels")
        {
            Description = "Class names, one per line (default: those a `lightnets train` export carries, else the ImageNet-1k names for a 1000-class model).",
        };
        var format = FormatOption.Create(OutputFormat.Table, OutputFormat.Json, OutputFormat.Csv, OutputFormat.Markdown);
        var threads = CliOptions.Threads("every core");
        var maxPixels = CliOptions.Number<long>("--max-pixels",
            $"Reject images larger than this many pixels, from their header, 1–{MaxPixelsLimit:N0} (default {ImageDecoder.DefaultMaxPixels:N0}).", 1, MaxPixelsLimit);
        var resize = CliOptions.Number<int>("--resize",
            "Shorter side after resizing, before the center crop (default: a `lightnets train` export's own, else input size × 256/224, torchvision's ratio).");
        var normalize = new ChoiceOption<Normalization>("--normalize",
            "imagenet: (x/255 − mean)/std with ImageNet's statistics (torchvision); tf: x/127.5 − 1, values in [−1, 1] (TF/Keras).", Normalization.ImageNet);
        var recursive = new Option<bool>("--recursive", "-r")
        {
            Description = "Also classify the images in the subdirectories of a directory, in name order (symbolic links to directories are not followed).",
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress lines, and no notes of what a directory held besides images, on stderr." };
        var outputName = new Option<string?>("--output-name")
        {
            Description = "The output holding the class scores (N×classes), for a model with several outputs (default: its only N×classes output).",
        };
        command.Arguments.Add(images);
        foreach (var o in new Option[] { top, batch, weights, labels, format, threads, maxPixels, resize, normalize, recursive, quiet, outputName }) command.Options.Add(o);

        command.SetAction(p =>
        {
            var k = p.GetValue(top) ?? 5;
            var b = p.GetValue(batch) ?? 8;
            var graph = LoadModel(model, p, p.GetValue(weights), stderr);
            if (graph.Inputs.Count != 1)
                throw new CliUsageException($"classify needs a model with one image input; this one has {graph.Inputs.Count}: {ModelSource.Inputs(graph)}");
            graph = ScoresOnly(graph, p.GetValue(outputName));
            var input = graph.Input.Shape;
            if (input.Rank != 4 || input.C != 3 || input.H != input.W)
                throw new CliUsageException($"classify needs a model that takes N×3×S×S images; this one takes {input}");
            var preprocessing = Preprocessing.ForInput(input.H, normalize.Get(p) == Normalization.Tf);
            // A training export says how classify must prepare images for it and names its classes; the options win.
            var name = p.GetValue(model.Model)!;
            var metadata = ModelSource.IsOnnxFile(name) ? ModelExport.ReadMetadata(name) : new Dictionary<string, string>();
            if (p.GetValue(resize) is null && metadata.TryGetValue(ModelExport.ClassifyResizeKey, out var saved) &&
                int.TryParse(saved, System.Globalization.CultureInfo.InvariantCulture, out var own) && own >= input.H)
                preprocessing = preprocessing with { ResizeShorter = own };
            if (p.GetValue(resize) is { } r)
            {
                if (r < input.H) throw new CliUsageException($"--resize {r} is smaller than the model's input size {input.H}");
                preprocessing = preprocessing with { ResizeShorter = r };
            }
            var classes = graph.ShapeOf(graph.Output)[1];
            var names = p.GetValue(labels) is { } file ? Labels.Load(file.FullName)
                : ModelExport.ClassNames(metadata) is { } carried && carried.Count == classes && carried.All(n => !string.IsNullOrWhiteSpace(n))
                    ? new Labels(carried)
                    : null;
            if (names is not null && names.Count != classes)
                throw new CliUsageException($"{p.GetValue(labels)!.Name} holds {names.Count} labels but the model has {classes} classes");

            var options = new ClassifierOptions
            {
                Preprocessing = preprocessing,
                Labels = names,
                BatchSize = b,
                Threads = p.GetValue(threads) ?? 0,
                MaxPixels = p.GetValue(maxPixels) ?? ImageDecoder.DefaultMaxPixels,
            };
            var found = ImageSearch.Expand(p.GetValue(images)!, p.GetValue(recursive));
            if (!p.GetValue(quiet))
                foreach (var line in found.Skipped) stderr.WriteLine($"lightnets: note: {line}");
            var files = found.Files;
            using var classifier = Create(graph, options);
            IReadOnlyList<ImageResult> results = [];
            if (files.Count > ProgressThreshold)
                new ProgressReporter(stderr, p.GetValue(quiet)).Run("classify", files.Count,
                    step => results = classifier.Classify(files, k, res => step(Path.GetFileName(res.Path))));
            else
                results = classifier.Classify(files, k);
            results = [.. found.Errors.Select(e => new ImageResult(e.Path, [], e.Error)), .. results];

            var failed = results.Where(x => !x.Succeeded).ToArray();
            foreach (var f in failed) stderr.WriteLine($"lightnets: error: {f.Path}: {f.Error}");
            Write(stdout, format.Get(p), graph, classifier, results);
            if (failed.Length > 0)
            {
                stderr.WriteLine($"lightnets: {failed.Length} of {results.Count} images could not be classified");
                return LightNetsCli.ExitError;
            }
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The graph with one output, the class scores: <paramref name="requested"/> (--output-name), else the model's only
    /// N×classes output. Of a model with several outputs only the nodes the scores need are kept, so that nothing else
    /// is computed for each image.
    /// </summary>
    /// <exception cref="CliUsageException">No such output, not N×classes, or no single N×classes output to choose.</exception>
    private static Graph ScoresOnly(Graph graph, string? requested)
    {
        var outputs = graph.Outputs.Distinct().ToArray();
        var scores = outputs.Where(o => graph.ShapeOf(o).Rank == 2).ToArray();
        string chosen;
        if (requested is not null)
        {
            if (!outputs.Contains(requested))
                throw new CliUsageException($"--output-name: the model has no output '{requested}'; its outputs are {ModelSource.Outputs(graph)}");
            if (graph.ShapeOf(requested).Rank != 2)
                throw new CliUsageException($"--output-name '{requested}' is {Fmt.Shape(graph.ShapeOf(requested))}; classify needs N×classes scores");
            chosen = requested;
        }
        else
        {
            chosen = scores.Length switch
            {
                1 => scores[0],
                0 => throw new CliUsageException($"classify needs an N×classes output; this model's outputs are {ModelSource.Outputs(graph)}"),
                _ => throw new CliUsageException(
                    $"the model has several N×classes outputs, {ModelSource.List(scores.Select(o => (o, graph.ShapeOf(o))))}: pick the scores with --output-name NAME"),
            };
        }
        if (graph.Outputs.Count == 1) return graph;
        var needed = new HashSet<string>(StringComparer.Ordinal) { chosen };
        var kept = new List<Node>();
        foreach (var node in graph.Nodes.Reverse())
        {
            if (!node.Outputs.Any(needed.Contains)) continue;
            kept.Add(node);
            needed.UnionWith(node.Inputs);
        }
        kept.Reverse();
        var initializers = graph.Initializers.Where(kv => needed.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return graph.With(kept, initializers, [chosen]);
    }

    /// <summary>The decoder's own ceiling for --max-pixels (4 bytes a pixel must stay within one array).</summary>
    private const long MaxPixelsLimit = int.MaxValue / 4;

    private static ImageClassifier Create(Graph graph, ClassifierOptions options)
    {
        try
        {
            return new ImageClassifier(graph, options);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException(e.Message);
        }
    }

    /// <summary>The model with its --weights; a zoo model without them gets a note that its weights are random.</summary>
    internal static Graph LoadModel(ModelSelection model, ParseResult p, FileInfo? weights, TextWriter stderr) =>
        ModelWeights.Load(model, p, weights, stderr, noteRandom: true);

    private static void Write(TextWriter stdout, OutputFormat format, Graph graph, ImageClassifier classifier, IReadOnlyList<ImageResult> results)
    {
        if (format == OutputFormat.Json)
        {
            Json.Write(stdout, json =>
            {
                json.WriteStartObject();
                json.WriteString("model", graph.Name);
                json.Shape("input", graph.Input.Shape.WithBatch(1));
                json.WriteStartObject("preprocessing");
                json.WriteNumber("resize", classifier.Preprocessing.ResizeShorter);
                json.WriteNumber("crop", classifier.Preprocessing.Crop);
                Floats(json, "mean", classifier.Preprocessing.Mean);
                Floats(json, "std", classifier.Preprocessing.Std);
                json.WriteEndObject();
                json.WriteStartArray("images");
                foreach (var r in results)
                {
                    json.WriteStartObject();
                    json.WriteString("file", r.Path);
                    if (r.Error is not null) json.WriteString("error", r.Error);
                    else
                    {
                        json.WriteStartArray("top");
                        for (var i = 0; i < r.Top.Count; i++)
                        {
                            var t = r.Top[i];
                            json.WriteStartObject();
                            json.WriteNumber("rank", i + 1);
                            json.WriteNumber("class", t.Index);
                            if (t.Label is null) json.WriteNull("label"); else json.WriteString("label", t.Label);
                            json.WriteNumber("probability", t.Probability);
                            json.WriteNumber("logit", t.Logit);
                            json.WriteEndObject();
                        }
                        json.WriteEndArray();
                    }
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteNumber("failed", results.Count(r => !r.Succeeded));
                json.WriteEndObject();
            });
            return;
        }
        var table = new TextTable(null, [new("image"), new("rank", true), new("class", true), new("label"), new("probability", true)]);
        foreach (var r in results.Where(r => r.Succeeded))
            for (var i = 0; i < r.Top.Count; i++)
                table.Add(r.Path, (i + 1).ToString(), r.Top[i].Index.ToString(), r.Top[i].Label ?? "-", Fmt.Num(r.Top[i].Probability, "0.0000"));
        if (table.Rows.Count > 0) table.Write(stdout, format);
    }

    private static void Floats(Utf8JsonWriter json, string name, IReadOnlyList<float> values)
    {
        json.WriteStartArray(name);
        foreach (var v in values) json.WriteNumberValue(v);
        json.WriteEndArray();
    }
}
