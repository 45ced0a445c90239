using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Training.Data;
using LightNets.Training.Data.Transforms;

namespace LightNets.Training.Trainer;

/// <summary>
/// A classifier's scores on a labelled data set: top-1 and top-k accuracy, the mean cross-entropy (no smoothing), and
/// per class the images and the correct answers, with the confusion matrix when the class count is small enough to
/// print (at most <see cref="MaxConfusionClasses"/>).
/// </summary>
public sealed class EvaluationResult
{
    public const int MaxConfusionClasses = 1000;

    internal EvaluationResult(int classes, int topK)
    {
        Classes = classes;
        TopK = topK;
        PerClassImages = new long[classes];
        PerClassCorrect = new long[classes];
        Confusion = classes <= MaxConfusionClasses ? new long[(long)classes * classes] : null;
    }

    public int Classes { get; }

    /// <summary>k of the top-k accuracy: 5, or the class count when there are fewer.</summary>
    public int TopK { get; }

    /// <summary>Images scored.</summary>
    public long Images { get; internal set; }

    /// <summary>Images that could not be read and were left out (listed by the loader).</summary>
    public long Unreadable { get; internal set; }

    public long Top1Correct { get; internal set; }
    public long TopKCorrect { get; internal set; }

    /// <summary>Sum of the per-image losses; <see cref="Loss"/> is their mean.</summary>
    internal double LossSum { get; set; }

    public double Top1 => Images == 0 ? 0 : (double)Top1Correct / Images;
    public double TopKAccuracy => Images == 0 ? 0 : (double)TopKCorrect / Images;
    public double Loss => Images == 0 ? 0 : LossSum / Images;

    public long[] PerClassImages { get; }
    public long[] PerClassCorrect { get; }

    /// <summary>[true class × predicted class] counts, row-major; null for more than <see cref="MaxConfusionClasses"/> classes.</summary>
    public long[]? Confusion { get; }

    /// <summary>The accuracy on class <paramref name="c"/>'s images (NaN when it has none).</summary>
    public double ClassAccuracy(int c) => PerClassImages[c] == 0 ? double.NaN : (double)PerClassCorrect[c] / PerClassImages[c];

    internal void Add(ReadOnlySpan<float> logits, int label)
    {
        var best = 0;
        var max = logits[0];
        for (var k = 1; k < logits.Length; k++)
        {
            if (logits[k] > max)
            {
                max = logits[k];
                best = k;
            }
        }
        // Rank of the label: classes scoring strictly higher, or equal and earlier (the argmax's tie rule).
        var target = logits[label];
        var rank = 0;
        double sum = 0;
        for (var k = 0; k < logits.Length; k++)
        {
            if (logits[k] > target || logits[k] == target && k < label) rank++;
            sum += Math.Exp((double)logits[k] - max);
        }
        LossSum += Math.Log(sum) + max - target;
        Images++;
        PerClassImages[label]++;
        if (best == label)
        {
            Top1Correct++;
            PerClassCorrect[label]++;
        }
        if (rank < TopK) TopKCorrect++;
        if (Confusion is not null) Confusion[(long)label * Classes + best]++;
    }
}

/// <summary>Scores a model on a data set in evaluation mode with the compiled inference runtime.</summary>
/// <summary>One image <see cref="Evaluator.Run"/> scored: its prepared input (C×H×W), its label, the model's logits.</summary>
public delegate void ScoredImage(ReadOnlySpan<float> image, int label, ReadOnlySpan<float> logits);

public static class Evaluator
{
    /// <param name="graph">The model (BatchNorm with running statistics, dropout the identity); a trailing Softmax is ignored.</param>
    /// <param name="data">Labelled images; its labels must be below the model's class count.</param>
    /// <param name="pipeline">The evaluation transforms, giving the model's input shape.</param>
    /// <param name="batch">Images per inference.</param>
    /// <param name="threads">Threads of the runtime and of the loader's workers.</param>
    /// <param name="strict">An unreadable image is an error instead of being left out and counted.</param>
    /// <param name="progress">Called after each batch with (images done, images in all).</param>
    /// <param name="cancellation">Stops the evaluation between batches.</param>
    /// <param name="scored">Called for each image scored, with its prepared input, label and logits (to run it through another engine too).</param>
    /// <exception cref="DatasetException">The data does not fit the model (image shape, class count), or (strict) an image cannot be read.</exception>
    public static EvaluationResult Run(Graph graph, IImageDataset data, ImagePipeline pipeline, int batch, int threads, bool strict = false,
        Action<long, long>? progress = null, CancellationToken cancellation = default, ScoredImage? scored = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(pipeline);
        graph = Logits(graph);
        var classes = graph.ShapeOf(graph.Output)[1];
        if (data.ClassNames.Count > classes)
            throw new DatasetException($"the data has {data.ClassNames.Count} classes but the model scores {classes}: evaluate a model trained on these classes");
        batch = Math.Min(batch, data.Count);
        using var loader = new DataLoader(data, pipeline, new LoaderOptions
        {
            BatchSize = batch, Shuffle = false, Workers = Math.Max(1, threads - 1), Strict = strict, Seed = 0,
        });
        var shape = loader.Shape;
        var input = graph.Input.Shape;
        if (input.Rank != 4 || input.C != shape.Channels || input.H != shape.Height || input.W != shape.Width)
            throw new DatasetException($"the evaluation transforms give {shape} images but the model takes {input.C}×{input.H}×{input.W}");
        using var session = new InferenceSession(graph.WithBatch(batch), new SessionOptions { Threads = threads });
        var images = new float[(long)batch * shape.Length];
        var logits = new float[(long)batch * classes];
        var result = new EvaluationResult(classes, Math.Min(5, classes));
        long expected = 0;
        foreach (var b in loader.Epoch(0, cancellation: cancellation))
        {
            b.ImageValues.CopyTo(images);
            // The last batch may be short: the rest of the buffer keeps the images before, scored and ignored (in
            // evaluation mode images do not affect each other).
            session.Run(images, logits);
            for (var i = 0; i < b.Count; i++, expected++)
            {
                // Without shuffling, item i of the epoch is data set item i unless it could not be read and the loader
                // stood another in for it: that one is scored at its own place, not twice.
                if (b.Indices[i] != expected)
                {
                    result.Unreadable++;
                    continue;
                }
                result.Add(logits.AsSpan(i * classes, classes), b.Labels[i]);
                scored?.Invoke(images.AsSpan((int)(i * shape.Length), (int)shape.Length), b.Labels[i], logits.AsSpan(i * classes, classes));
            }
            progress?.Invoke(expected, data.Count);
        }
        return result;
    }

    /// <summary>The graph with its class scores as the output: a trailing Softmax is dropped (the loss wants logits).</summary>
    public static Graph Logits(Graph graph)
    {
        if (graph.Producer(graph.Output) is { Op: SoftmaxOp } softmax)
            return graph.With(graph.Nodes.Where(n => n != softmax), outputs: [softmax.Inputs[0]]);
        return graph;
    }
}
