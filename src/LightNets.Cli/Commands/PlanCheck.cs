using LightNets.Cli.Output;
using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Cli.Commands;

/// <summary>
/// What bench and compare run before they time anything: the compiled session's output on the input they will time,
/// against an oracle, element by element (<see cref="OutputCheck"/>). A fast wrong answer is not a result.
/// </summary>
internal static class PlanCheck
{
    /// <summary>The outcome and what it compared, for the report line.</summary>
    public sealed record Outcome(string Oracle, string Scope, OutputCheck.Result Result)
    {
        public string Line => $"check: compiled runtime vs {Oracle}{Scope}: {OutputCheck.Describe(Result)}";
    }

    /// <summary>
    /// Against the reference interpreter. With a batch, the first and the last image are checked, each run alone in the
    /// reference (the graph's ops treat images independently): two reference runs at most, whatever the batch, and a
    /// wrong batch stride still shows in the last image.
    /// </summary>
    /// <param name="model">The model's name, for the message.</param>
    /// <param name="graph">The graph the session compiled.</param>
    /// <param name="input">The input the session ran.</param>
    /// <param name="output">The session's output for <paramref name="input"/>.</param>
    /// <exception cref="OutputMismatchException">An element is outside the tolerance.</exception>
    public static Outcome AgainstReference(string model, Graph graph, Tensor input, ReadOnlySpan<float> output)
    {
        var batch = input.Shape.N;
        int[] images = batch == 1 ? [0] : [0, batch - 1];
        var single = batch == 1 ? graph : graph.WithBatch(1);
        var perImageIn = (int)(input.Length / batch);
        var perImageOut = output.Length / batch;
        var expected = new float[images.Length * perImageOut];
        var actual = new float[expected.Length];
        for (var k = 0; k < images.Length; k++)
        {
            var image = new Tensor(single.Input.Shape, input.Data.AsSpan(images[k] * perImageIn, perImageIn).ToArray());
            ReferenceInterpreter.Run(single, image).Data.CopyTo(expected, k * perImageOut);
            output.Slice(images[k] * perImageOut, perImageOut).CopyTo(actual.AsSpan(k * perImageOut));
        }
        var result = OutputCheck.Compare(expected, actual);
        var imageShape = single.ShapeOf(single.Output);
        OutputCheck.Require(result, flat =>
        {
            // Position in the batch's output: element (flat mod one image's outputs) of the k-th image checked.
            var index = OutputCheck.Index(imageShape, flat % perImageOut);
            if (index.Length > 0) index[0] = images[flat / perImageOut];
            return index;
        }, "the compiled runtime", "the reference interpreter", model);
        var scope = batch == 1 ? "" : $" (images 1 and {batch} of the batch)";
        return new Outcome("reference interpreter", scope, result);
    }

    /// <summary>Against ONNX Runtime's output for the same input (whole output), when it runs beside LightNets anyway.</summary>
    /// <exception cref="OutputMismatchException">An element is outside the tolerance.</exception>
    public static Outcome AgainstOnnxRuntime(string model, Shape outputShape, ReadOnlySpan<float> ort, ReadOnlySpan<float> output)
    {
        var result = OutputCheck.Compare(ort, output);
        OutputCheck.Require(result, flat => OutputCheck.Index(outputShape, flat), "the compiled runtime", "ONNX Runtime", model);
        return new Outcome("ONNX Runtime", "", result);
    }
}
