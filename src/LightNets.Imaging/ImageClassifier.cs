using LightNets.Graphs;
using LightNets.Runtime;

namespace LightNets.Imaging;

/// <summary>Settings of an <see cref="ImageClassifier"/>.</summary>
public sealed record ClassifierOptions
{
    /// <summary>Preprocessing; null: the ImageNet recipe for the model's input size (<see cref="Preprocessing.ForInput"/>).</summary>
    public Preprocessing? Preprocessing { get; init; }

    /// <summary>Class names; null: the ImageNet-1k names for a 1000-class model, none otherwise.</summary>
    public Labels? Labels { get; init; }

    /// <summary>Images per inference (default 8); the last batch holds the rest.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Threads of the runtime; 0: every core.</summary>
    public int Threads { get; init; }

    /// <summary>The largest width × height decoded (default <see cref="ImageDecoder.DefaultMaxPixels"/>).</summary>
    public long MaxPixels { get; init; } = ImageDecoder.DefaultMaxPixels;
}

/// <summary>One of the top classes of an image: class index, its name (null without labels), softmax probability and logit.</summary>
public readonly record struct Prediction(int Index, string? Label, float Probability, float Logit);

/// <summary>The outcome for one image: the top classes, or why the image could not be classified.</summary>
public sealed record ImageResult(string Path, IReadOnlyList<Prediction> Top, string? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Classifies image files with a LightNets graph (a zoo model with trained weights, or an imported torchvision/timm
/// ONNX model) on the compiled runtime: decode, preprocess as torchvision does, batch, run, softmax, top-k.
/// A file that cannot be read or decoded gets an error result and the others are still classified.
/// <code>
/// using var classifier = new ImageClassifier(OnnxImporter.Load("mobilenet_v3_small.onnx"));
/// foreach (var p in classifier.Classify("cat.jpg", top: 5)) Console.WriteLine($"{p.Label} {p.Probability:P1}");
/// </code>
/// Not thread-safe (it reuses its buffers); use one per thread.
/// </summary>
public sealed class ImageClassifier : IDisposable
{
    private readonly Graph _graph;
    private readonly Dictionary<int, InferenceSession> _sessions = [];
    private readonly ImageDecoder _decoder;
    private readonly ImagePreprocessor _preprocessor;
    private readonly float[] _input;
    private readonly float[] _logits;
    private readonly int _threads;

    /// <param name="graph">A classifier: one N×3×S×S input, one N×classes output.</param>
    /// <param name="options">Preprocessing, labels, batch size, threads, pixel limit.</param>
    /// <exception cref="ArgumentException">The graph is not an image classifier, or the options do not fit it.</exception>
    /// <exception cref="WorkingMemoryException">The batch's buffers alone would exceed a session's working-memory limit.</exception>
    public ImageClassifier(Graph graph, ClassifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        options ??= new ClassifierOptions();
        if (graph.Inputs.Count != 1 || graph.Outputs.Count != 1)
            throw new ArgumentException($"an image classifier has one input and one output; '{graph.Name}' has {graph.Inputs.Count} and {graph.Outputs.Count}");
        var input = graph.Input.Shape;
        if (input.Rank != 4 || input.C != 3 || input.H != input.W)
            throw new ArgumentException($"an image classifier takes N×3×S×S RGB images; '{graph.Name}' takes {input}");
        var output = graph.ShapeOf(graph.Output);
        if (output.Rank != 2)
            throw new ArgumentException($"an image classifier outputs N×classes scores; '{graph.Name}' outputs {output}");
        if (options.BatchSize < 1) throw new ArgumentException($"the batch size must be 1 or more, got {options.BatchSize}");

        Preprocessing = options.Preprocessing ?? Preprocessing.ForInput(input.H);
        if (Preprocessing.Crop != input.H)
            throw new ArgumentException($"the crop ({Preprocessing.Crop}) must be the model's input size ({input.H}×{input.W})");
        Classes = output[1];
        Labels = options.Labels ?? (Classes == 1000 ? Labels.ImageNet : null);
        if (Labels is not null && Labels.Count != Classes)
            throw new ArgumentException($"{Labels.Count} labels for a model with {Classes} classes");

        _graph = graph;
        _threads = options.Threads;
        BatchSize = options.BatchSize;
        _decoder = new ImageDecoder(options.MaxPixels);
        _preprocessor = new ImagePreprocessor(Preprocessing);
        RequireBufferWithinLimit(graph, BatchSize, _preprocessor.OutputLength, Classes);
        _input = new float[BatchSize * _preprocessor.OutputLength];
        _logits = new float[BatchSize * Classes];
    }

    /// <summary>
    /// Refuses, before allocating, a batch whose input and logit buffers alone exceed the working memory a session may
    /// use (<see cref="SessionOptions.DefaultMaxArenaBytes"/>): its activations, larger still, could never run.
    /// </summary>
    /// <exception cref="WorkingMemoryException">The batch is too large; the message gives the largest that fits.</exception>
    private static void RequireBufferWithinLimit(Graph graph, int batch, int perImage, int classes)
    {
        var perImageBytes = ((long)perImage + classes) * sizeof(float);
        var limit = SessionOptions.DefaultMaxArenaBytes;
        if (batch * perImageBytes <= limit) return;
        var shape = graph.Input.Shape;
        throw new WorkingMemoryException(
            $"a batch of {batch:N0} images of {shape.C}×{shape.H}×{shape.W} needs {batch * perImageBytes / (double)(1L << 30):0.##} GiB for its input and " +
            $"outputs alone, more than a session's {limit >> 30} GiB of working memory (SessionOptions.DefaultMaxArenaBytes): use a batch of at most {limit / perImageBytes:N0}");
    }

    public Preprocessing Preprocessing { get; }
    public Labels? Labels { get; }
    public int Classes { get; }
    public int BatchSize { get; }

    /// <summary>The top <paramref name="top"/> classes of one image.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ImageDecodeException">Not a decodable image, or over the pixel limit.</exception>
    public IReadOnlyList<Prediction> Classify(string path, int top = 5)
    {
        using var image = _decoder.Decode(path);
        _preprocessor.Run(image, _input.AsSpan(0, _preprocessor.OutputLength));
        Session(1).Run(_input.AsSpan(0, _preprocessor.OutputLength), _logits.AsSpan(0, Classes));
        return Top(_logits.AsSpan(0, Classes), top);
    }

    /// <summary>
    /// Classifies every file, <see cref="BatchSize"/> images per inference. Results come back in the order of
    /// <paramref name="paths"/>; <paramref name="onResult"/> (e.g. a progress bar) sees each as it is finished.
    /// </summary>
    public IReadOnlyList<ImageResult> Classify(IReadOnlyList<string> paths, int top = 5, Action<ImageResult>? onResult = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var results = new ImageResult[paths.Count];
        var batch = new int[BatchSize]; // positions in paths of the images now in _input
        var filled = 0;
        var per = _preprocessor.OutputLength;

        void Finish(int i, ImageResult r)
        {
            results[i] = r;
            onResult?.Invoke(r);
        }

        void Flush()
        {
            if (filled == 0) return;
            Session(filled).Run(_input.AsSpan(0, filled * per), _logits.AsSpan(0, filled * Classes));
            for (var b = 0; b < filled; b++)
                Finish(batch[b], new ImageResult(paths[batch[b]], Top(_logits.AsSpan(b * Classes, Classes), top), null));
            filled = 0;
        }

        for (var i = 0; i < paths.Count; i++)
        {
            try
            {
                using var image = _decoder.Decode(paths[i]);
                _preprocessor.Run(image, _input.AsSpan(filled * per, per));
                batch[filled++] = i;
            }
            catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException)
            {
                var reason = e switch
                {
                    ImageDecodeException d => d.Reason,
                    FileNotFoundException when Directory.Exists(paths[i]) => "a directory, not an image file",
                    FileNotFoundException => "no such file",
                    _ => e.Message,
                };
                Finish(i, new ImageResult(paths[i], [], reason));
                continue;
            }
            if (filled == BatchSize) Flush();
        }
        Flush();
        return results;
    }

    /// <summary>Softmax (in double, shifted by the maximum) and the <paramref name="k"/> largest, most probable first.</summary>
    public IReadOnlyList<Prediction> Top(ReadOnlySpan<float> logits, int k)
    {
        k = Math.Min(k, logits.Length);
        var max = float.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        var sum = 0.0;
        foreach (var v in logits) sum += Math.Exp(v - max);

        // Insertion into a k-long list: k is small, and ties keep the lower index first like a stable sort.
        var best = new List<int>(k + 1);
        for (var i = 0; i < logits.Length; i++)
        {
            if (best.Count == k && logits[i] <= logits[best[^1]]) continue;
            var at = best.Count;
            while (at > 0 && logits[i] > logits[best[at - 1]]) at--;
            best.Insert(at, i);
            if (best.Count > k) best.RemoveAt(k);
        }
        var result = new Prediction[best.Count];
        for (var r = 0; r < best.Count; r++)
        {
            var i = best[r];
            result[r] = new Prediction(i, Labels?[i], (float)(Math.Exp(logits[i] - max) / sum), logits[i]);
        }
        return result;
    }

    /// <summary>A compiled session for <paramref name="batch"/> images, built on first use (the last batch may be smaller).</summary>
    private InferenceSession Session(int batch)
    {
        if (!_sessions.TryGetValue(batch, out var session))
        {
            var graph = _graph.Input.Shape.N == batch ? _graph : _graph.WithBatch(batch);
            _sessions[batch] = session = new InferenceSession(graph, new SessionOptions { Threads = _threads });
        }
        return session;
    }

    public void Dispose()
    {
        foreach (var s in _sessions.Values) s.Dispose();
        _sessions.Clear();
    }
}
