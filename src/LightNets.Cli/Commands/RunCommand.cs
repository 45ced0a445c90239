using System.CommandLine;
using LightNets.Cli.Engines;
using LightNets.Cli.Output;
using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Cli.Commands;

/// <summary>
/// <c>lightnets run MODEL|FILE.onnx --input x.npy</c>: one inference of a model with any number of inputs and outputs;
/// the top classes of the class scores, a summary line per other output, and the outputs written as .npy.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new ModelSelection(batch: false);
        var input = new Option<string[]>("--input", "-i")
        {
            Description = "An input tensor: float32 .npy (C order), or raw float32 with --shape; its first dimension is the batch. " +
                          "FILE for a model with one input; NAME=FILE (repeated; the name ends at the first '=') for each input of a model with several.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var shape = new Option<string?>("--shape") { Description = "Shape of a raw float32 input file, e.g. 1,3,224,224 (one --input)." };
        var output = new Option<string[]>("--output", "-o")
        {
            Description = "Write outputs as .npy: FILE for a model with one output; DIR for a model with several (each as DIR/<name>.npy, " +
                          "names made safe file names; created if missing); NAME=FILE (repeatable) for one output. Checked before the run.",
            Arity = ArgumentArity.OneOrMore,
        };
        var scores = new Option<string?>("--scores")
        {
            Description = "The output whose top classes are printed (N×classes); default: the first such output. Every other output gets a summary line.",
        };
        var engine = new ChoiceOption<Engine>("--engine",
            "lightnets (the compiled SIMD runtime), reference (the plain-loop interpreter, the oracle) or onnxruntime.", Engine.LightNets);
        var threads = CliOptions.Threads("every core; lightnets and onnxruntime engines");
        var top = CliOptions.Top();
        var weights = ModelWeights.Create();
        var command = new ModelCommand("run",
            "Run a zoo model or an ONNX file on its input tensors with the compiled runtime (or --engine reference|onnxruntime); print the top classes and write the outputs.", model)
        {
            input, shape, output, scores, engine, threads, top, weights,
        };
        command.SetAction(p =>
        {
            var name = p.GetValue(model.Model)!;
            // Outputs and --scores are checked against the model (its own batch) before any input is read or anything runs.
            var graph = ModelWeights.Load(model, p, p.GetValue(weights), stderr, batch: null);
            var destinations = p.GetValue(output) is { } o ? RunOutputs.Resolve(o, graph) : [];
            var ranked = RunReport.Scores(graph, p.GetValue(scores));
            // Names and all but the batch checked on the model as it is; then the model takes the inputs' batch (an ONNX
            // file is imported again, as its shape subgraphs fold for the batch) and the shapes are checked whole.
            var given = RunInputs.Read(p.GetValue(input)!, p.GetValue(shape));
            given.Match(graph, anyBatch: true);
            if (given.Batch is { } b && graph.Inputs.Any(i => i.Shape[0] != b))
                graph = ModelSource.IsOnnxFile(name) ? ModelSource.Load(model, p, b) : graph.WithBatch(b);
            var feed = given.Match(graph);

            var t = p.GetValue(threads) ?? Environment.ProcessorCount;
            var results = engine.Get(p) switch
            {
                Engine.OnnxRuntime => RunOnnxRuntime(name, graph, feed, t),
                Engine.Reference => ReferenceInterpreter.Run(graph, feed),
                _ => RunLightNets(graph, feed, t),
            };
            foreach (var (outputName, path) in destinations)
            {
                Npy.Write(path, results[outputName]);
                stderr.WriteLine($"run: wrote '{outputName}' {Fmt.Shape(results[outputName].Shape)} to {path}");
            }
            RunReport.Write(stdout, graph.Outputs.Distinct().Select(n => (n, results[n])).ToArray(), ranked, p.GetValue(top) ?? 5);
            return 0;
        });
        return command;
    }

    private static IReadOnlyDictionary<string, Tensor> RunOnnxRuntime(string model, Graph graph, Dictionary<string, Tensor> feed, int threads)
    {
        using var ort = new OnnxRuntimeEngine(ModelSource.OnnxRuntimeModel(model, graph), threads);
        return ort.Run(feed, graph.Outputs);
    }

    private static IReadOnlyDictionary<string, Tensor> RunLightNets(Graph graph, Dictionary<string, Tensor> feed, int threads)
    {
        using var session = new InferenceSession(graph, new SessionOptions { Threads = threads });
        return session.Run(feed);
    }
}
