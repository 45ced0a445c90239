using System.CommandLine;
using System.Globalization;
using Google.Protobuf;
using LightNets.Cli.Engines;
using LightNets.Cli.Output;
using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Cli.Commands;

/// <summary><c>lightnets run MODEL|FILE.onnx --input x.npy</c>: one inference, top-5 per image, optional .npy output.</summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout)
    {
        var model = new ModelSelection(batch: false);
        var input = new Option<FileInfo>("--input", "-i")
        {
            Description = "Input tensor: float32 .npy (C order), or raw float32 with --shape. Its first dimension is the batch.", Required = true,
        };
        var shape = new Option<string?>("--shape") { Description = "Shape N,C,H,W of a raw float32 input file." };
        var output = new Option<string?>("--output", "-o") { Description = "Write the output tensor as .npy (its directory must exist; checked first)." };
        var engine = new ChoiceOption<Engine>("--engine",
            "lightnets (the compiled SIMD runtime), reference (the plain-loop interpreter, the oracle) or onnxruntime.", Engine.LightNets);
        var threads = CliOptions.Threads("every core; lightnets and onnxruntime engines");
        var top = CliOptions.Top();
        var command = new ModelCommand("run",
            "Run a zoo model or an ONNX file on an input tensor with the compiled runtime (or --engine reference|onnxruntime); print the top classes and write the output.", model)
        {
            input, shape, output, engine, threads, top,
        };
        command.SetAction(p =>
        {
            var outPath = p.GetValue(output) is { } o ? OutputPath.File(o, "--output", "output.npy") : null;
            var x = ReadInput(p.GetValue(input)!.FullName, p.GetValue(shape));
            if (x.Shape.Rank != 4)
                throw new InputShapeException($"the input must be N×C×H×W, got {x.Shape}");
            var graph = ModelSource.Load(model, p, x.Shape.N);
            var expected = graph.Input.Shape;
            if (expected != x.Shape)
                throw new InputShapeException($"input '{graph.Input.Name}' expects {expected} but {p.GetValue(input)!.Name} holds {x.Shape}");

            var t = p.GetValue(threads) ?? Environment.ProcessorCount;
            var y = engine.Get(p) switch
            {
                Engine.OnnxRuntime => RunOnnxRuntime(p.GetValue(model.Model)!, graph, x, t),
                Engine.Reference => ReferenceInterpreter.Run(graph, x),
                _ => RunLightNets(graph, x, t),
            };
            if (outPath is not null) Npy.Write(outPath, y);
            PrintTop(stdout, y, p.GetValue(top) ?? 5);
            return 0;
        });
        return command;
    }

    private static Tensor RunOnnxRuntime(string model, Graph graph, Tensor x, int threads)
    {
        var bytes = ModelSource.IsOnnxFile(model)
            ? File.ReadAllBytes(model)
            : OnnxExporter.Export(graph, new OnnxExportOptions { Opset = 17 }).ToByteArray();
        using var ort = new OnnxRuntimeEngine(bytes, threads);
        return ort.Run(x);
    }

    private static Tensor RunLightNets(Graph graph, Tensor x, int threads)
    {
        using var session = new InferenceSession(graph, new SessionOptions { Threads = threads });
        return session.Run(x);
    }

    internal static Tensor ReadInput(string path, string? shape)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no such input file: {path}");
        if (shape is null)
            return Npy.Read(path);
        var dims = shape.Split(',', StringSplitOptions.TrimEntries).Select(d =>
            int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v
                : throw new CliUsageException($"--shape needs positive integers like 1,3,224,224, got '{shape}'")).ToArray();
        var s = new Shape(dims);
        var bytes = new FileInfo(path).Length;
        if (bytes != s.ElementCount * 4)
            throw new InputShapeException($"{path} holds {bytes} bytes but --shape {shape} needs {s.ElementCount * 4} (float32)");
        var data = new float[s.ElementCount];
        using (var f = File.OpenRead(path)) f.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        return new Tensor(s, data);
    }

    private static void PrintTop(TextWriter stdout, Tensor y, int k)
    {
        if (y.Shape.Rank != 2)
        {
            stdout.WriteLine($"output {y.Shape}");
            return;
        }
        var classes = y.Shape[1];
        var table = new TextTable(null, [new("image", true), new("rank", true), new("class", true), new("logit", true), new("softmax", true)]);
        for (var n = 0; n < y.Shape.N; n++)
        {
            var row = y.Data.AsSpan(n * classes, classes).ToArray();
            var max = row.Max();
            var sum = 0.0;
            foreach (var v in row) sum += Math.Exp(v - max);
            var order = Enumerable.Range(0, classes).OrderByDescending(i => row[i]).Take(Math.Min(k, classes)).ToArray();
            for (var r = 0; r < order.Length; r++)
            {
                var logit = row[order[r]];
                table.Add(n.ToString(), (r + 1).ToString(), order[r].ToString(), Fmt.Num(logit, "0.0000"), Fmt.Num(Math.Exp(logit - max) / sum, "0.0000"));
            }
        }
        table.Write(stdout, OutputFormat.Table);
    }
}
