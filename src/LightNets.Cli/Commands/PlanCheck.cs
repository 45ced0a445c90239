using LightNets.Cli.Output;
using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Cli.Commands;

/// <summary>
/// What bench and compare run before they time anything: the compiled session's outputs on the inputs they will time,
/// against an oracle, element by element and output by output (<see cref="OutputCheck"/>). A fast wrong answer is not
/// a result.
/// </summary>
internal static class PlanCheck
{
    /// <summary>One output's comparison.</summary>
    public sealed record OutputOutcome(string Name, Shape Shape, OutputCheck.Result Result);

    /// <summary>The outcome and what it compared, for the report.</summary>
    public sealed record Outcome(string Oracle, string Scope, IReadOnlyList<OutputOutcome> Outputs)
    {
        public bool Ok => Outputs.All(o => o.Result.Ok);

        /// <summary>The comparison with the largest difference relative to its output's max |ref| (a single output's own).</summary>
        public OutputCheck.Result Result => Outputs.MaxBy(o => o.Result.RelativeToMax)!.Result;

        /// <summary>One line, or one per output when there are several (each named).</summary>
        public string Line => Outputs.Count == 1
            ? $"check: compiled runtime vs {Oracle}{Scope}: {OutputCheck.Describe(Outputs[0].Result)}"
            : string.Join(Environment.NewLine, Outputs.Select(o =>
                $"check: compiled runtime vs {Oracle}{Scope}, output '{o.Name}' {Fmt.Shape(o.Shape)}: {OutputCheck.Describe(o.Result)}"));
    }

    /// <summary>
    /// Against the reference interpreter. With a batch, the first and the last image are checked first, each run alone
    /// in the reference: two reference runs at most, whatever the batch, and a wrong batch stride still shows in the
    /// last image. The zoo's networks treat images independently, but an imported graph may not (a per-image vector
    /// broadcast along another tensor's batch), so a per-image difference is settled on the whole batch before it is
    /// called a mismatch; so is a graph whose outputs do not all have the batch as their first dimension.
    /// </summary>
    /// <param name="model">The model's name, for the message.</param>
    /// <param name="graph">The graph the session compiled.</param>
    /// <param name="inputs">The inputs the session ran, in the order of <see cref="Graph.Inputs"/>.</param>
    /// <param name="outputs">The session's outputs for <paramref name="inputs"/>, in the order of <see cref="Graph.Outputs"/>.</param>
    /// <exception cref="OutputMismatchException">An element is outside the tolerance.</exception>
    public static Outcome AgainstReference(string model, Graph graph, IReadOnlyList<Tensor> inputs, IReadOnlyList<float[]> outputs)
    {
        var batch = inputs[0].Shape[0];
        if (batch > 1 && PerImageGraph(graph, batch) is { } single)
        {
            var perImage = PerImage(graph, single, inputs, outputs, batch);
            if (perImage.Ok) return perImage;
        }

        var expected = ReferenceInterpreter.Run(graph, graph.Inputs.Select((input, i) => (input.Name, inputs[i])).ToDictionary(p => p.Name, p => p.Item2));
        var results = new List<OutputOutcome>();
        for (var j = 0; j < graph.Outputs.Count; j++)
        {
            var (name, shape) = (graph.Outputs[j], graph.ShapeOf(graph.Outputs[j]));
            var result = OutputCheck.Compare(expected[name].Data, outputs[j], IsQuantized(graph));
            OutputCheck.Require(result, flat => OutputCheck.Index(shape, flat), "the compiled runtime", "the reference interpreter", model, Label(graph, name));
            results.Add(new OutputOutcome(name, shape, result));
        }
        return new Outcome("reference interpreter", batch == 1 ? "" : " (whole batch)", results);
    }

    /// <summary>Against ONNX Runtime's outputs for the same inputs (every element), when it runs beside LightNets anyway.</summary>
    /// <param name="model">The model's name, for the message.</param>
    /// <param name="outputs">Each output: its name, shape, ONNX Runtime's values and the compiled runtime's.</param>
    /// <exception cref="OutputMismatchException">An element is outside the tolerance.</exception>
    /// <param name="quantized">A QDQ model: compared within <see cref="OutputCheck.QuantizedTolerance"/>.</param>
    public static Outcome AgainstOnnxRuntime(string model, IReadOnlyList<(string Name, Shape Shape, float[] Ort, float[] Ours)> outputs, bool quantized = false)
    {
        var results = new List<OutputOutcome>();
        foreach (var (name, shape, ort, ours) in outputs)
        {
            var result = OutputCheck.Compare(ort, ours, quantized);
            OutputCheck.Require(result, flat => OutputCheck.Index(shape, flat), "the compiled runtime", "ONNX Runtime", model, outputs.Count == 1 ? null : name);
            results.Add(new OutputOutcome(name, shape, result));
        }
        return new Outcome("ONNX Runtime", "", results);
    }

    /// <summary>
    /// The graph for one image, when every input and output has the batch as its first dimension and keeps the rest of
    /// its shape for one image; else null (the whole batch is checked).
    /// </summary>
    private static Graph? PerImageGraph(Graph graph, int batch)
    {
        if (graph.Inputs.Any(i => i.Shape[0] != batch) || graph.Outputs.Any(o => graph.ShapeOf(o)[0] != batch)) return null;
        Graph single;
        try
        {
            single = graph.WithBatch(1);
        }
        catch (LightNetsException)
        {
            return null; // a graph whose constants fix the batch (a Reshape to it, say) has no one-image form
        }
        return graph.Outputs.All(o => single.ShapeOf(o).ElementCount * batch == graph.ShapeOf(o).ElementCount) ? single : null;
    }

    /// <summary>The first and last image, each run alone in the reference, against the same images of the batch's outputs.</summary>
    private static Outcome PerImage(Graph graph, Graph single, IReadOnlyList<Tensor> inputs, IReadOnlyList<float[]> outputs, int batch)
    {
        int[] images = [0, batch - 1];
        var expected = graph.Outputs.Select(o => new float[images.Length * single.ShapeOf(o).ElementCount]).ToArray();
        var actual = graph.Outputs.Select(o => new float[images.Length * single.ShapeOf(o).ElementCount]).ToArray();
        for (var k = 0; k < images.Length; k++)
        {
            var feed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (var i = 0; i < graph.Inputs.Count; i++)
            {
                var shape = single.Inputs[i].Shape;
                var per = (int)shape.ElementCount;
                feed[single.Inputs[i].Name] = new Tensor(shape, inputs[i].Data.AsSpan(images[k] * per, per).ToArray());
            }
            var result = ReferenceInterpreter.Run(single, feed);
            for (var j = 0; j < graph.Outputs.Count; j++)
            {
                var per = expected[j].Length / images.Length;
                result[graph.Outputs[j]].Data.CopyTo(expected[j], k * per);
                outputs[j].AsSpan(images[k] * per, per).CopyTo(actual[j].AsSpan(k * per));
            }
        }
        var results = graph.Outputs.Select((o, j) => new OutputOutcome(o, graph.ShapeOf(o), OutputCheck.Compare(expected[j], actual[j], IsQuantized(graph)))).ToArray();
        return new Outcome("reference interpreter", $" (images 1 and {batch} of the batch)", results);
    }

    /// <summary>An output's name in a mismatch message: only when there are several to tell apart.</summary>
    /// <summary>A QDQ model, which the compiled runtime runs on int8 kernels (see <see cref="OutputCheck.QuantizedTolerance"/>).</summary>
    public static bool IsQuantized(Graph graph) => graph.Nodes.Any(n => n.Op is FakeQuantizeOp);

    private static string? Label(Graph graph, string output) => graph.Outputs.Count == 1 ? null : output;
}
