using Google.Protobuf;
using System.CommandLine;
using LightNets.Cli.Output;
using LightNets.Graphs;
using LightNets.Imaging;
using LightNets.Onnx;
using LightNets.Quantization;
using LightNets.Tensors;
using LightNets.Training.Data;
using LightNets.Training.Data.Transforms;
using LightNets.Training.Trainer;

namespace LightNets.Cli.Commands;

/// <summary>
/// <c>lightnets quantize MODEL|FILE.onnx --calibration PATH -o model.int8.onnx</c>: post-training static quantization
/// to a standard QDQ ONNX file, calibrated on images prepared as <c>classify</c> prepares them, with an optional
/// per-layer report of the quantization noise and of the top-1 agreement with the float model.
/// </summary>
internal static class QuantizeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new ModelSelection(batch: false);
        var command = new ModelCommand("quantize",
            "Post-training static int8 quantization to a QDQ ONNX file (QuantizeLinear/DequantizeLinear, opset 13) that LightNets and ONNX Runtime run: " +
            "BatchNorm folded, int8 symmetric weights per output channel, uint8 activations per tensor calibrated on --calibration images " +
            "(prepared as `lightnets classify` prepares them).", model);
        var calibration = new Option<string>("--calibration")
        {
            Description = "Calibration images: an image folder (one sub-folder per class), a Fashion-MNIST/MNIST directory (its training part), an IDX images file or CIFAR-10.",
            Required = true,
        };
        var weights = ModelWeights.Create();
        var images = CliOptions.Number<int>("--images", "Calibration images, sampled from the data (default 256).", 1, 100_000);
        var method = new ChoiceOption<CalibrationMethod>("--method",
            "Activation ranges: minmax (the extremes seen), percentile (--percentile of each tail clipped), entropy (TensorRT's KL-divergence threshold).",
            CalibrationMethod.MinMax);
        var percentile = CliOptions.Number<double>("--percentile", "The percentile kept by --method percentile (default 99.999).");
        var perChannel = new Option<bool>("--per-channel") { Description = "One weight scale per output channel (default true; --per-channel false: one per layer).", DefaultValueFactory = _ => true, Arity = ArgumentArity.ZeroOrOne };
        var reduceRange = new Option<bool>("--reduce-range")
        {
            Description = "7-bit weights (−63..63, ONNX Runtime's reduce_range): exact with the fastest integer instruction on CPUs without VNNI (AMD Zen 4), about one bit less precise.",
        };
        var report = new Option<bool>("--report") { Description = "Per-layer signal-to-quantization-noise ratio and top-1 agreement with the float model, on other images of the data (its test part when it has one)." };
        var reportImages = CliOptions.Number<int>("--report-images", "Images of the report (default 500).", 1, 100_000);
        var resize = CliOptions.Number<int>("--resize", "Shorter side after resizing, before the center crop (default: the export's own, else input size × 256/224).");
        var threads = CliOptions.Threads("every core");
        var output = new Option<string>("--output", "-o") { Description = "The QDQ ONNX file to write.", Required = true };
        var format = FormatOption.Create(OutputFormat.Table, OutputFormat.Json, OutputFormat.Markdown, OutputFormat.Csv);
        foreach (var o in new Option[] { calibration, weights, images, method, percentile, perChannel, reduceRange, report, reportImages, resize, threads, output, format })
            command.Options.Add(o);

        command.SetAction(p =>
        {
            var name = p.GetValue(model.Model)!;
            var path = OutputPath.File(p.GetValue(output)!, "--output", "model.int8.onnx");
            var graph = ModelWeights.Load(model, p, p.GetValue(weights), stderr, batch: null, noteRandom: true);
            var options = new QuantizeOptions
            {
                Method = method.Get(p), PerChannel = p.GetValue(perChannel), ReduceRange = p.GetValue(reduceRange),
                Percentile = p.GetValue(percentile) ?? 99.999,
            };
            var threadCount = p.GetValue(threads) ?? Environment.ProcessorCount;
            var quantizer = Try(() => new PostTrainingQuantizer(graph, options));
            var pipeline = new ImagePipeline(new Preprocess(Preprocessing(graph, name, p.GetValue(resize))));
            var dataPath = p.GetValue(calibration)!;
            var set = DataSource.Open(dataPath, test: false, strict: false);
            var calibrationSet = set.Sample(Math.Min(p.GetValue(images) ?? 256, set.Count));
            var batches = Batches(calibrationSet, pipeline, threadCount);
            var progress = new ProgressReporter(stderr);
            var steps = batches.Count * (quantizer.NeedsHistograms ? 2 : 1);
            progress.Run("calibrating", steps, tick => Try(() => quantizer.Calibrate(batches, threadCount, (_, _) => tick(null))));
            var quantized = Try(quantizer.Build);
            if (ModelSource.IsOnnxFile(name))
            {
                // A training export's class names and classify --resize travel with the model, or evaluate and classify
                // would prepare its images differently from the calibration.
                var metadata = new Dictionary<string, string>(quantized.Metadata, StringComparer.Ordinal);
                foreach (var (key, value) in ModelExport.ReadMetadata(name))
                    if (key.StartsWith("lightnets.", StringComparison.Ordinal)) metadata[key] = value;
                quantized = quantized.With(metadata: metadata);
            }
            var bytes = OnnxExporter.Export(quantized, new OnnxExportOptions { Opset = 13 }).ToByteArray();
            File.WriteAllBytes(path, bytes);
            stdout.WriteLine($"wrote {path}: {graph.Name} in int8 QDQ ({QdqSummary(quantized)}), {bytes.Length / 1e6:0.00} MB; " +
                             $"calibrated on {calibrationSet.Count:N0} images of {dataPath} ({Describe(options)})");
            if (!p.GetValue(report)) return 0;

            var test = DataSource.Open(dataPath, test: true, strict: false);
            var reportSet = test.Sample(Math.Min(p.GetValue(reportImages) ?? 500, test.Count), seed: 1);
            QuantizationReport result = null!;
            var reportBatches = Batches(reportSet, pipeline, threadCount);
            progress.Run("measuring", 1, tick =>
            {
                result = QuantizationReport.Measure(quantizer.Float, quantized, reportBatches, threadCount);
                tick(null);
            });
            QuantizeReportWriter.Write(stdout, format.Get(p), name, result);
            return 0;
        });
        return command;
    }

    private static string Describe(QuantizeOptions o) =>
        $"{o.Method.ToString().ToLowerInvariant()}{(o.Method == CalibrationMethod.Percentile ? $" {o.Percentile:G6}" : "")}, weights {(o.PerChannel ? "per channel" : "per tensor")}{(o.ReduceRange ? ", 7-bit" : "")}";

    private static string QdqSummary(Graph g) =>
        $"{g.Nodes.Count(n => n.Op is FakeQuantizeOp)} activation quantizers, {g.Nodes.Count(n => n.Op is Conv2dOp { WeightQuant: not null } or GemmOp { WeightQuant: not null })} int8 layers";

    /// <summary>classify's preprocessing for the model's input size (a training export's own --resize from its metadata).</summary>
    private static Preprocessing Preprocessing(Graph graph, string name, int? resize)
    {
        var input = graph.Input.Shape;
        if (input.Rank != 4 || input.C != 3 || input.H != input.W)
            throw new CliUsageException($"quantize calibrates on square RGB images (N×3×S×S) prepared as classify does; this model takes {ModelSource.Inputs(graph)}");
        var preprocessing = LightNets.Imaging.Preprocessing.ForInput(input.H);
        var metadata = ModelSource.IsOnnxFile(name) ? ModelExport.ReadMetadata(name) : new Dictionary<string, string>();
        if (resize is { } r) preprocessing = preprocessing with { ResizeShorter = r };
        else if (metadata.TryGetValue(ModelExport.ClassifyResizeKey, out var saved) && int.TryParse(saved, out var own)) preprocessing = preprocessing with { ResizeShorter = own };
        if (preprocessing.ResizeShorter < preprocessing.Crop)
            throw new CliUsageException($"--resize {preprocessing.ResizeShorter} is below the model's input size {preprocessing.Crop}; give at least {preprocessing.Crop}");
        return preprocessing;
    }

    /// <summary>The images as N×C×H×W batches of up to 32 (the unreadable ones left out).</summary>
    private static List<Tensor> Batches(IImageDataset set, ImagePipeline pipeline, int threads)
    {
        const int BatchSize = 32;
        using var loader = new DataLoader(set, pipeline, new LoaderOptions
        {
            BatchSize = Math.Min(BatchSize, set.Count), Shuffle = false, Workers = Math.Max(1, threads - 1), Seed = 0,
        });
        var shape = loader.Shape;
        var batches = new List<Tensor>();
        foreach (var b in loader.Epoch(0))
        {
            var n = b.Count;
            batches.Add(new Tensor(new Shape(n, shape.Channels, shape.Height, shape.Width), b.ImageValues.ToArray()));
        }
        return batches;
    }

    private static T Try<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (QuantizationException e)
        {
            throw new CliUsageException(e.Message);
        }
    }

    private static void Try(Action action) => Try(() =>
    {
        action();
        return 0;
    });
}
