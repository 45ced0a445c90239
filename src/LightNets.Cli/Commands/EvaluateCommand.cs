using System.CommandLine;
using LightNets.Cli.Engines;
using LightNets.Cli.Output;
using LightNets.Cli.Output.Charts;
using LightNets.Graphs;
using LightNets.Imaging;
using LightNets.Training.Data;
using LightNets.Training.Data.Transforms;
using LightNets.Training.Trainer;

namespace LightNets.Cli.Commands;

/// <summary>
/// <c>lightnets evaluate FILE.onnx|MODEL --data PATH</c>: top-1/top-5, loss, per-class accuracy and the confusion matrix
/// of a classifier on a labelled data set, with classify's preprocessing (a training export's own --resize read from
/// its metadata).
/// </summary>
internal static class EvaluateCommand
{
    /// <summary>Above this many classes the table leaves the confusion matrix out (it stays in the JSON and the PNG).</summary>
    private const int MaxTableConfusionClasses = 20;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new ModelSelection(batch: false);
        var command = new ModelCommand("evaluate",
            "Score a classifier on labelled data (the test part of Fashion-MNIST/MNIST or CIFAR-10, an IDX pair, or an image folder): top-1, top-5, loss, " +
            "per-class accuracy and a confusion matrix (table, JSON, PNG). Images are prepared as `lightnets classify` does (RGB, Resize, CenterCrop, " +
            "ImageNet normalisation); a `lightnets train` export carries its --resize.", model);
        var data = new Option<string>("--data")
        {
            Description = "The labelled data: a Fashion-MNIST/MNIST directory (its t10k test set), an IDX images file, a CIFAR-10 directory (its test_batch) or an image folder.",
            Required = true,
        };
        var weights = ModelWeights.Create();
        var resize = CliOptions.Number<int>("--resize", "Shorter side after resizing, before the center crop (default: the export's own, else input size × 256/224).");
        var batch = CliOptions.Batch("Images per inference", "default 256");
        var threads = CliOptions.Threads("every core");
        var limit = CliOptions.Number<int>("--limit", "Score only the first N images.", 1);
        var confusion = new Option<string?>("--confusion") { Description = "Write the confusion matrix as a PNG heat map to this file." };
        var strict = new Option<bool>("--strict") { Description = "An unreadable image is an error (default: skipped and counted)." };
        var format = FormatOption.Create(OutputFormat.Table, OutputFormat.Json, OutputFormat.Markdown, OutputFormat.Csv);
        var compare = new ChoiceOption<CompareWith>("--compare",
            "onnxruntime: also score every image in ONNX Runtime (the same file, or the zoo model's export) and report its top-1 and on how many images its top-1 is LightNets'.",
            CompareWith.None);
        foreach (var o in new Option[] { data, weights, resize, batch, threads, limit, confusion, strict, format, compare }) command.Options.Add(o);

        command.SetAction(p =>
        {
            var name = p.GetValue(model.Model)!;
            var png = p.GetValue(confusion) is { } c ? OutputPath.File(c, "--confusion", "confusion.png") : null;
            var graph = Evaluator.Logits(ClassifyCommand.LoadModel(model, p, p.GetValue(weights), stderr));
            var metadata = ModelSource.IsOnnxFile(name) ? ModelExport.ReadMetadata(name) : new Dictionary<string, string>();
            var input = graph.Input.Shape;
            if (graph.Inputs.Count != 1 || input.Rank != 4 || input.C != 3 || input.H != input.W)
                throw new CliUsageException(
                    $"evaluate prepares square RGB images (N×3×S×S) as classify does; this model takes {ModelSource.Inputs(graph)}");
            var preprocessing = Preprocessing.ForInput(input.H);
            if (p.GetValue(resize) is { } r) preprocessing = preprocessing with { ResizeShorter = r };
            else if (metadata.TryGetValue(ModelExport.ClassifyResizeKey, out var saved) && int.TryParse(saved, out var own)) preprocessing = preprocessing with { ResizeShorter = own };
            if (preprocessing.ResizeShorter < preprocessing.Crop)
                throw new CliUsageException($"--resize {preprocessing.ResizeShorter} is below the model's input size {preprocessing.Crop}; give at least {preprocessing.Crop}");

            var path = p.GetValue(data)!;
            var strictValue = p.GetValue(strict);
            IImageDataset set = DataSource.Open(path, test: true, strictValue);
            if (p.GetValue(limit) is { } n && n < set.Count) set = set.Take(n);
            var names = ModelExport.ClassNames(metadata) is { } carried && carried.Count == graph.ShapeOf(graph.Output)[1] ? carried : set.ClassNames;
            var threadCount = p.GetValue(threads) ?? Environment.ProcessorCount;
            EvaluationResult result = null!;
            var batchSize = Math.Min(p.GetValue(batch) ?? 256, set.Count);
            using var ort = p.GetValue(compare) == CompareWith.OnnxRuntime ? new EngineAgreement(ModelSource.OnnxRuntimeModel(name, graph), input, threadCount) : null;
            new ProgressReporter(stderr).Run("evaluating", (set.Count + batchSize - 1) / batchSize, tick =>
                result = Evaluator.Run(graph, set, new ImagePipeline(new Preprocess(preprocessing)), batchSize, threadCount, strictValue, (_, _) => tick(null),
                    scored: ort is null ? null : ort.Score));
            Write(stdout, format.Get(p), name, path, set, result, names, ort);
            if (png is not null)
            {
                if (result.Confusion is null)
                    throw new CliUsageException($"a confusion matrix of {result.Classes:N0} classes is too large to draw (at most {EvaluationResult.MaxConfusionClasses:N0})");
                TrainingCharts.Confusion($"{Path.GetFileName(name)} on {Path.GetFileName(Path.TrimEndingDirectorySeparator(path))}: confusion (% of each true class)",
                    result, names, png);
                stderr.WriteLine($"wrote {png}");
            }
            return 0;
        });
        return command;
    }

    private static void Write(TextWriter stdout, OutputFormat format, string model, string path, IImageDataset set, EvaluationResult r, IReadOnlyList<string> names,
        EngineAgreement? ort)
    {
        string Name(int c) => c < names.Count ? names[c] : c.ToString();
        if (format == OutputFormat.Json)
        {
            Json.Write(stdout, json =>
            {
                json.WriteStartObject();
                json.WriteString("model", model);
                json.WriteString("data", path);
                json.WriteNumber("images", r.Images);
                json.WriteNumber("unreadable", r.Unreadable);
                json.WriteNumber("top1", r.Top1);
                json.WriteNumber($"top{r.TopK}", r.TopKAccuracy);
                json.WriteNumber("loss", r.Loss);
                if (ort is not null)
                {
                    json.WriteStartObject("onnxruntime");
                    json.WriteNumber("top1", ort.Top1);
                    json.WriteNumber("sameTop1", ort.Agreeing);
                    json.WriteNumber("sameTop1Share", ort.Agreement);
                    json.WriteEndObject();
                }
                json.WriteStartArray("classes");
                for (var c = 0; c < set.ClassNames.Count; c++)
                {
                    json.WriteStartObject();
                    json.WriteNumber("label", c);
                    json.WriteString("name", Name(c));
                    json.WriteNumber("images", r.PerClassImages[c]);
                    json.WriteNumber("correct", r.PerClassCorrect[c]);
                    if (r.PerClassImages[c] > 0) json.WriteNumber("accuracy", r.ClassAccuracy(c));
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                if (r.Confusion is { } m)
                {
                    json.WriteStartArray("confusion");
                    for (var t = 0; t < r.Classes; t++)
                    {
                        json.WriteStartArray();
                        for (var q = 0; q < r.Classes; q++) json.WriteNumberValue(m[(long)t * r.Classes + q]);
                        json.WriteEndArray();
                    }
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            });
            return;
        }
        var summary = new TextTable($"{model} on {path}", [new Column("images", true), new Column("top-1", true), new Column($"top-{r.TopK}", true), new Column("loss", true)]);
        summary.Add(Fmt.Int(r.Images), Fmt.Percent(r.Top1), Fmt.Percent(r.TopKAccuracy), Fmt.Num(r.Loss, "0.0000"));
        summary.Write(stdout, format);
        if (ort is not null)
        {
            var both = new TextTable("ONNX Runtime on the same images", [new Column("engine"), new Column("top-1", true), new Column("same top-1 as LightNets", true)]);
            both.Add("ONNX Runtime", Fmt.Percent(ort.Top1), $"{Fmt.Int(ort.Agreeing)} of {Fmt.Int(ort.Images)} ({Fmt.Percent(ort.Agreement)})");
            both.Write(stdout, format);
        }
        if (r.Unreadable > 0) stdout.WriteLine($"{r.Unreadable:N0} image(s) could not be read and were left out");
        var perClass = new TextTable("per class", [new Column("label", true), new Column("class"), new Column("images", true), new Column("correct", true), new Column("accuracy", true)]);
        for (var c = 0; c < set.ClassNames.Count; c++)
            perClass.Add(Fmt.Plain(c), Name(c), Fmt.Int(r.PerClassImages[c]), Fmt.Int(r.PerClassCorrect[c]), r.PerClassImages[c] == 0 ? "-" : Fmt.Percent(r.ClassAccuracy(c)));
        perClass.Write(stdout, format);
        if (r.Confusion is not { } matrix || r.Classes > MaxTableConfusionClasses) return;
        var confusion = new TextTable("confusion matrix (rows: true class, columns: predicted)",
            [new Column("true \\ predicted"), .. Enumerable.Range(0, r.Classes).Select(q => new Column(Fmt.Plain(q), true))]);
        for (var t = 0; t < r.Classes; t++)
            confusion.Add([$"{t} {Name(t)}", .. Enumerable.Range(0, r.Classes).Select(q => Fmt.Int(matrix[(long)t * r.Classes + q]))]);
        confusion.Write(stdout, format);
    }
}
