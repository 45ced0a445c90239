using Google.Protobuf;
using LightNets.Graphs;
using LightNets.Imaging;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Tests.Imaging;
using LightNets.Tests.Onnx;

namespace LightNets.Tests.Robustness;

/// <summary>
/// Damaged inputs, made by seeded mutations of the committed fixtures: every outcome must be a result or a
/// <see cref="LightNetsException"/> (a clear, specific error), never another exception, a crash or a hang. A small,
/// fixed slice of the fuzzing that found a codec crash (a BMP's pixel offset ~4 GiB past its end) and an arena
/// overflow (a 2³¹-wide input); each case names its mutation, so a failure can be replayed. A model that imports must
/// also run on both engines, with every output, or be refused with a LightNetsException; where both run, they agree.
/// </summary>
public sealed class MutationSweepTests : IDisposable
{
    private const int CasesPerFixture = 40;

    private static readonly long[] Awkward = [-1, 0, 1, 2, 3, 7, 1000, 1 << 20, int.MaxValue, long.MaxValue];

    private static readonly string[] Ops =
        ["Conv", "Relu", "Add", "Concat", "Reshape", "Transpose", "Gemm", "GlobalAveragePool", "MaxPool", "Split", "Slice", "Gather", "Clip", "Shape", "Flatten"];

    private readonly string _dir = Directory.CreateTempSubdirectory("lightnets-mutations").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Attributes, initializer dims and data, input dims, op types and wiring of the torchvision exports.</summary>
    [Theory]
    [MemberData(nameof(OnnxFixtures.All), MemberType = typeof(OnnxFixtures))]
    public void Onnx_models_with_damaged_structure(string fixture)
    {
        var original = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxFixtures.Model(fixture)));
        var rng = new Random(fixture.Length * 7919);
        var failures = new List<string>();
        var ran = 0;
        for (var i = 0; i < CasesPerFixture; i++)
        {
            var model = original.Clone();
            var what = string.Join("; ", Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => MutateStructure(model.Graph, rng)));
            Check(failures, what, () => ran += RunOnBothEngines(OnnxImporter.Import(model, OnnxFixtures.Directory), what, failures));
        }
        Assert.True(failures.Count == 0, $"{fixture}:\n{string.Join("\n", failures)}");
        // The sweep must reach the engines, not only the importer's refusals.
        Assert.True(ran >= CasesPerFixture / 10, $"{fixture}: only {ran} of {CasesPerFixture} mutated models imported and ran on both engines");
    }

    /// <summary>
    /// Only the graph's interface rewired: outputs added or replaced by intermediates (which later nodes also read),
    /// inputs or initializers; inputs added, unused or read by a node. Most of these import, and all of those must run.
    /// </summary>
    [Theory]
    [MemberData(nameof(OnnxFixtures.All), MemberType = typeof(OnnxFixtures))]
    public void Onnx_models_with_rewired_inputs_and_outputs(string fixture)
    {
        var original = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxFixtures.Model(fixture)));
        var rng = new Random(fixture.Length * 31337);
        var failures = new List<string>();
        var ran = 0;
        for (var i = 0; i < CasesPerFixture; i++)
        {
            var model = original.Clone();
            var what = string.Join("; ", Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => MutateStructure(model.Graph, rng, InterfaceMutations)));
            Check(failures, what, () => ran += RunOnBothEngines(OnnxImporter.Import(model, OnnxFixtures.Directory), what, failures));
        }
        Assert.True(failures.Count == 0, $"{fixture}:\n{string.Join("\n", failures)}");
        Assert.True(ran >= CasesPerFixture / 2, $"{fixture}: only {ran} of {CasesPerFixture} rewired models imported and ran on both engines");
    }

    /// <summary>Flipped, truncated and overwritten bytes of the files (protobuf tags, lengths, raw tensor data).</summary>
    [Theory]
    [MemberData(nameof(OnnxFixtures.All), MemberType = typeof(OnnxFixtures))]
    public void Onnx_files_with_damaged_bytes(string fixture)
    {
        // Beside a copy of the fixtures, so that the external-data fixture finds its weights file.
        foreach (var file in Directory.GetFiles(OnnxFixtures.Directory, fixture + "*"))
            File.Copy(file, Path.Combine(_dir, Path.GetFileName(file)), overwrite: true);
        var original = File.ReadAllBytes(OnnxFixtures.Model(fixture));
        var rng = new Random(fixture.Length * 104729);
        var failures = new List<string>();
        var path = Path.Combine(_dir, fixture + ".onnx");
        for (var i = 0; i < CasesPerFixture; i++)
        {
            var (bytes, what) = MutateBytes(original, rng);
            File.WriteAllBytes(path, bytes);
            Check(failures, what, () => RunOnBothEngines(OnnxImporter.Load(path), what, failures));
        }
        Assert.True(failures.Count == 0, $"{fixture}:\n{string.Join("\n", failures)}");
    }

    [Theory]
    [MemberData(nameof(ImagingFixtures.Names), MemberType = typeof(ImagingFixtures))]
    public void Images_with_damaged_bytes(string fixture)
    {
        var original = File.ReadAllBytes(ImagingFixtures.Get(fixture).Path);
        var rng = new Random(fixture.Length * 15485863);
        var decoder = new ImageDecoder();
        var failures = new List<string>();
        for (var i = 0; i < CasesPerFixture * 2; i++)
        {
            var (bytes, what) = MutateBytes(original, rng);
            Check(failures, what, () => decoder.Decode(bytes, fixture).Dispose());
        }
        Assert.True(failures.Count == 0, $"{fixture}:\n{string.Join("\n", failures)}");
    }

    [Fact]
    public void Npy_files_with_damaged_headers_and_data()
    {
        var original = File.ReadAllBytes(Path.Combine(OnnxFixtures.Directory, OnnxFixtures.Names[0] + ".input.npy"));
        var rng = new Random(42);
        var failures = new List<string>();
        for (var i = 0; i < CasesPerFixture * 5; i++)
        {
            var (bytes, what) = MutateBytes(original, rng);
            // Header characters that still parse as a dict, so that shapes and dtypes get damaged, not only the syntax.
            if (bytes.Length > 12 && rng.Next(2) == 0)
            {
                var p = 10 + rng.Next(Math.Min(100, bytes.Length - 10));
                const string dictCharacters = "0123456789(),' :<>f4u8i";
                bytes[p] = (byte)dictCharacters[rng.Next(dictCharacters.Length)];
                what += $"; header byte {p}";
            }
            Check(failures, what, () => Npy.Read(new MemoryStream(bytes), "x.npy"));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// An imported graph, on the compiled session (every output) and, when it is small enough to be quick, on the
    /// reference interpreter: each may refuse it with a LightNetsException (too much memory, say), nothing else. When
    /// both run, every finite output agrees. Returns 1 when both ran.
    /// </summary>
    private static int RunOnBothEngines(Graph graph, string what, List<string> failures)
    {
        IReadOnlyDictionary<string, Tensor> fast;
        Dictionary<string, Tensor> inputs;
        // A modest limit: a mutated input size the size of a poster is refused (clearly) rather than run for seconds.
        using (var session = new InferenceSession(graph, new SessionOptions { Threads = 1, MaxArenaBytes = 256 << 20, GuardBuffers = true }))
        {
            // An input too large to be worth filling here (it feeds nothing big, or the session would have refused it).
            if (graph.Inputs.Sum(i => i.Shape.ElementCount) > 16 << 20) return 0;
            inputs = Inputs(graph);
            fast = session.Run(inputs);
        }
        // The reference interpreter allocates per node and runs plain loops: only small (unmutated-size) inputs.
        if (graph.Inputs.Sum(i => i.Shape.ElementCount) > 3 * 128 * 128) return 0;
        var reference = ReferenceInterpreter.Run(graph, inputs);
        foreach (var (name, expected) in reference)
        {
            var actual = fast[name];
            if (expected.Shape != actual.Shape) failures.Add($"[{what}] output '{name}': {actual.Shape} vs the reference's {expected.Shape}");
            else if (expected.Data.Concat(actual.Data).All(float.IsFinite))
            {
                var scale = Math.Max(1f, expected.Data.Max(MathF.Abs));
                var diff = expected.Data.Zip(actual.Data, (e, a) => MathF.Abs(e - a)).Max();
                if (diff > 1e-3f * scale) failures.Add($"[{what}] output '{name}': |fast − reference| {diff:g3} > 1e-3 × {scale:g3}");
            }
        }
        return 1;
    }

    /// <summary>Deterministic inputs for every graph input (a ramp: the same for both engines, not all zeros).</summary>
    private static Dictionary<string, Tensor> Inputs(Graph graph) => graph.Inputs.ToDictionary(
        i => i.Name, i => new Tensor(i.Shape, Enumerable.Range(0, (int)i.Shape.ElementCount).Select(k => (k % 17 - 8) / 8f).ToArray()));

    private static void Check(List<string> failures, string what, Action action)
    {
        try { action(); }
        catch (LightNetsException) { }
        catch (FileNotFoundException) { } // a damaged external-data reference naming another file
        catch (Exception e) { failures.Add($"[{what}] {e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
    }

    private static string AnyValue(global::Onnx.GraphProto g, Random rng) => rng.Next(4) switch
    {
        0 => g.Input[rng.Next(g.Input.Count)].Name,
        1 when g.Initializer.Count > 0 => g.Initializer[rng.Next(g.Initializer.Count)].Name,
        _ => g.Node[rng.Next(g.Node.Count)].Output[0],
    };

    private static (byte[] Bytes, string What) MutateBytes(byte[] original, Random rng)
    {
        var b = (byte[])original.Clone();
        switch (rng.Next(4))
        {
            case 0:
            {
                var n = 1 + rng.Next(8);
                for (var j = 0; j < n; j++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
                return (b, $"{n} random bytes");
            }
            case 1:
            {
                var length = rng.Next(1, b.Length);
                return (b[..length], $"truncated to {length}");
            }
            case 2:
            {
                // Headers hold the lengths, offsets and dimensions: damage them most.
                var p = rng.Next(Math.Min(64, b.Length));
                b[p] = (byte)rng.Next(256);
                b[Math.Min(b.Length - 1, p + 1)] = 0xFF;
                return (b, $"header bytes {p}, {p + 1}");
            }
            default:
            {
                var p = rng.Next(b.Length);
                for (var j = p; j < Math.Min(b.Length, p + 16); j++) b[j] = 0xFF;
                return (b, $"0xFF × 16 at {p}");
            }
        }
    }

    /// <summary>The mutations of <see cref="MutateStructure"/> that change only which values are inputs and outputs.</summary>
    private static readonly int[] InterfaceMutations = [7, 8, 9];

    private static string MutateStructure(global::Onnx.GraphProto g, Random rng, int[]? kinds = null)
    {
        var value = Awkward[rng.Next(Awkward.Length)];
        switch (kinds is null ? rng.Next(10) : kinds[rng.Next(kinds.Length)])
        {
            case 0:
            {
                var node = g.Node[rng.Next(g.Node.Count)];
                if (node.Attribute.Count == 0) return "none";
                var a = node.Attribute[rng.Next(node.Attribute.Count)];
                if (a.Ints.Count > 0) a.Ints[rng.Next(a.Ints.Count)] = value;
                else a.I = value;
                return $"{node.OpType}.{a.Name} = {value}";
            }
            case 1:
            {
                var t = g.Initializer[rng.Next(g.Initializer.Count)];
                if (t.Dims.Count == 0) return "none";
                t.Dims[rng.Next(t.Dims.Count)] = value;
                return $"initializer {t.Name} dim = {value}";
            }
            case 2:
            {
                var t = g.Initializer[rng.Next(g.Initializer.Count)];
                if (t.RawData.Length > 0) t.RawData = ByteString.CopyFrom(t.RawData.Span[..rng.Next(t.RawData.Length)]);
                else t.DataType = rng.Next(17);
                return $"initializer {t.Name} data cut or retyped";
            }
            case 3:
            {
                var k = rng.Next(g.Node.Count);
                var op = g.Node[k].OpType;
                g.Node.RemoveAt(k);
                return $"node {k} ({op}) removed";
            }
            case 4:
            {
                var node = g.Node[rng.Next(g.Node.Count)];
                if (node.Input.Count == 0) return "none";
                var source = rng.Next(3) == 0 ? "no_such_value" : g.Node[rng.Next(g.Node.Count)].Output[0];
                node.Input[rng.Next(node.Input.Count)] = source;
                return $"{node.OpType} reads {source}";
            }
            case 5:
            {
                var dims = g.Input[0].Type.TensorType.Shape.Dim;
                var k = rng.Next(dims.Count);
                dims[k].DimValue = value;
                return $"input dim {k} = {value}";
            }
            case 7:
            {
                // Another output: an intermediate value (read by later nodes too), a graph input or an initializer.
                var source = AnyValue(g, rng);
                g.Output.Add(new global::Onnx.ValueInfoProto { Name = source });
                return $"output += {source}";
            }
            case 8:
            {
                var source = AnyValue(g, rng);
                g.Output[rng.Next(g.Output.Count)].Name = source;
                return $"an output := {source}";
            }
            case 9:
            {
                // Another input: unused, or replacing what a node reads (its shape is rarely right: a clear error then).
                var input = OnnxProtoBuilder.TensorInfo($"extra{g.Input.Count}", Enumerable.Range(0, 1 + rng.Next(4)).Select(_ => (object?)(long)(1 + rng.Next(8))).ToArray());
                g.Input.Add(input);
                if (rng.Next(2) == 0) return $"unused input {input.Name}";
                var node = g.Node[rng.Next(g.Node.Count)];
                if (node.Input.Count == 0) return $"unused input {input.Name}";
                node.Input[rng.Next(node.Input.Count)] = input.Name;
                return $"{node.OpType} reads new input {input.Name}";
            }
            default:
            {
                var node = g.Node[rng.Next(g.Node.Count)];
                var op = Ops[rng.Next(Ops.Length)];
                var was = node.OpType;
                node.OpType = op;
                return $"{was} → {op}";
            }
        }
    }
}
