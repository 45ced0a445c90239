using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Tests.Onnx;
using static LightNets.Tests.Onnx.OnnxProtoBuilder;

namespace LightNets.Tests.Cli;

/// <summary>
/// ONNX files with several inputs or outputs for the CLI tests (the importer's odd graphs, and classifiers with more
/// than one head), their inputs as .npy files, and the reference interpreter's outputs to compare with.
/// </summary>
internal sealed class MultiIoModels : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("lightnets-cli-io-").FullName;

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    public static TheoryData<string> OddNames() => new(OddGraphImportTests.Cases.Keys);

    /// <summary>Writes the importer's odd graph <paramref name="name"/> as DIR/name.onnx.</summary>
    public string Odd(string name) => Write(name, OddGraphImportTests.Cases[name]());

    public string Write(string name, OnnxProtoBuilder b)
    {
        var path = Path.Combine(Dir, name + ".onnx");
        File.WriteAllBytes(path, b.Bytes());
        return path;
    }

    /// <summary>Seeded random tensors for every input of <paramref name="graph"/>, each written to its own .npy file.</summary>
    public (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Files) Inputs(Graph graph)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < graph.Inputs.Count; i++)
        {
            var input = graph.Inputs[i];
            tensors[input.Name] = new Rng((ulong)(40 + i)).NormalTensor(input.Shape.ToArray());
            files[input.Name] = Path.Combine(Dir, $"input{i}.npy");
            Npy.Write(files[input.Name], tensors[input.Name]);
        }
        return (tensors, files);
    }

    /// <summary>`--input NAME=FILE` for every input.</summary>
    public static string[] InputArgs(Dictionary<string, string> files) => [.. files.SelectMany(kv => new[] { "--input", $"{kv.Key}={kv.Value}" })];

    public static IReadOnlyDictionary<string, Tensor> Reference(string file, Dictionary<string, Tensor> inputs) =>
        ReferenceInterpreter.Run(OnnxImporter.Load(file), inputs);

    /// <summary>
    /// An 8×8 RGB image classifier with a conv trunk whose features are an output, and one or two FC heads:
    /// "logits" (5 classes) and, with <paramref name="aux"/>, "aux" (3 classes). Outputs in the order given.
    /// </summary>
    public static OnnxProtoBuilder Classifier(bool aux, params string[] outputs)
    {
        var b = new OnnxProtoBuilder().Input("image", 1, 3, 8, 8);
        foreach (var o in outputs) b.Output(o);
        b.Random("w", 16, 3, 3, 3);
        b.Random("bias", 16);
        b.Random("fc_w", 16, 5);
        b.Random("fc_b", 5);
        b.Node("Conv", ["image", "w", "bias"], ["conv"], Attr("pads", 1, 1, 1, 1));
        b.Node("Relu", ["conv"], ["features"]);
        b.Node("GlobalAveragePool", ["features"], ["pooled"]);
        b.Node("Flatten", ["pooled"], ["flat"]);
        b.Node("MatMul", ["flat", "fc_w"], ["mm"]);
        b.Node("Add", ["mm", "fc_b"], ["logits"]);
        if (aux)
        {
            b.Random("aux_w", 3, 16);
            b.Node("Gemm", ["flat", "aux_w"], ["aux"], Attr("transB", 1L));
        }
        return b;
    }

    /// <summary>|expected − actual| ≤ 1e-4·max(1, |expected|) element by element, and the same shape.</summary>
    public static void Close(Tensor expected, Tensor actual, string what)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        for (var i = 0; i < expected.Length; i++)
        {
            var (e, a) = (expected.Data[i], actual.Data[i]);
            Assert.True(Math.Abs(e - a) <= 1e-4f * Math.Max(1f, Math.Abs(e)), $"{what}: element {i} is {a}, expected {e}");
        }
    }
}
