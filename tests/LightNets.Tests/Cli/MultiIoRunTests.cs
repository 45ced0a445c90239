using LightNets.Onnx;
using LightNets.Tensors;
using LightNets.Tests.Onnx;

namespace LightNets.Tests.Cli;

/// <summary>
/// <c>lightnets run</c> on graphs with several inputs and outputs: inputs by name, every output written (a directory,
/// or a file per name) and equal to the reference interpreter's, on each engine; and every way to get it wrong.
/// </summary>
public sealed class MultiIoRunTests : IDisposable
{
    private readonly MultiIoModels _models = new();

    public void Dispose() => _models.Dispose();

    public static TheoryData<string, string> OddNamesAndEngines()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in OddGraphImportTests.Cases.Keys)
            foreach (var engine in new[] { "lightnets", "reference", "onnxruntime" })
                data.Add(name, engine);
        return data;
    }

    /// <summary>
    /// Every odd graph runs on every engine: its inputs given by name, its outputs written (into a directory when there
    /// are several, else to the file given), each equal to the reference interpreter's.
    /// </summary>
    [Theory]
    [MemberData(nameof(OddNamesAndEngines))]
    public void Every_odd_graph_runs_and_writes_every_output(string name, string engine)
    {
        var file = _models.Odd(name);
        var graph = OnnxImporter.Load(file);
        var (inputs, files) = _models.Inputs(graph);
        var expected = MultiIoModels.Reference(file, inputs);
        var several = graph.Outputs.Distinct().Count() > 1;
        var output = Path.Combine(_models.Dir, several ? "out" : "y.npy");

        var r = CliRunner.Run(["run", file, .. MultiIoModels.InputArgs(files), "--output", output, "--engine", engine, "--threads", "1"]);
        Assert.True(r.ExitCode == 0, $"{name} on {engine}: {r.Stderr}");
        foreach (var o in graph.Outputs.Distinct())
        {
            var written = Npy.Read(several ? Path.Combine(output, o + ".npy") : output);
            MultiIoModels.Close(expected[o], written, $"{name} on {engine}, output '{o}'");
        }
    }

    [Theory]
    [InlineData("lightnets")]
    [InlineData("reference")]
    [InlineData("onnxruntime")]
    public void Named_outputs_go_to_their_files_and_the_scores_get_the_top_table(string engine)
    {
        var file = _models.Write("classifier", MultiIoModels.Classifier(false, "features", "logits"));
        var graph = OnnxImporter.Load(file);
        var (inputs, files) = _models.Inputs(graph);
        var expected = MultiIoModels.Reference(file, inputs);
        var logits = Path.Combine(_models.Dir, "l.npy");
        var r = CliRunner.Run("run", file, "--input", files["image"], "--output", $"logits={logits}", "--engine", engine, "--top", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        MultiIoModels.Close(expected["logits"], Npy.Read(logits), engine);
        Assert.False(File.Exists(Path.Combine(_models.Dir, "features.npy")));

        // The top table is the logits' (the first N×classes output), not the features'.
        var top = expected["logits"].Data.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(3).Select(p => p.i).ToArray();
        var rows = r.Stdout.Split('\n').Where(l => l.Contains("│") || l.Contains('|')).ToArray();
        Assert.Contains("softmax", r.Stdout);
        Assert.Contains($"output 'features' 1×16×8×8: min ", r.Stdout);
        var features = expected["features"].Data;
        Assert.Contains($"max {features.Max().ToString("G5", System.Globalization.CultureInfo.InvariantCulture)} mean", r.Stdout);
        var classes = r.Stdout.Split('\n').Select(l => l.Split(['│', '|', ' '], StringSplitOptions.RemoveEmptyEntries))
            .Where(c => c.Length == 5 && c[0] == "0" && int.TryParse(c[1], out _)).Select(c => int.Parse(c[2])).ToArray();
        Assert.Equal(top, classes);
    }

    [Fact]
    public void Scores_picks_the_output_of_the_top_table()
    {
        var file = _models.Write("two_heads", MultiIoModels.Classifier(true, "logits", "aux", "features"));
        var graph = OnnxImporter.Load(file);
        var (_, files) = _models.Inputs(graph);
        var r = CliRunner.Run("run", file, "--input", files["image"], "--scores", "aux", "--top", "10");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("'aux' 1×3: top 3", r.Stdout); // three classes: --top 10 gives three rows
        Assert.Contains("output 'logits' 1×5: min ", r.Stdout);

        Expect("--scores 'features' is 1×16×8×8, not N×classes scores; the N×classes outputs are 'logits' 1×5, 'aux' 1×3",
            "run", file, "--input", files["image"], "--scores", "features");
        Expect("--scores: the model has no output 'nope'; its outputs are 'logits' 1×5, 'aux' 1×3, 'features' 1×16×8×8",
            "run", file, "--input", files["image"], "--scores", "nope");
    }

    [Fact]
    public void Output_names_become_safe_file_names_inside_the_directory()
    {
        // Names a TensorFlow export or a hostile file could hold: separators, parent references, absolute paths, dots.
        string[] names = ["model/dense/BiasAdd:0", "../../escape", "/etc/passwd", "..", ".hidden", "a\\b", "Logits", "logits", "spaced name", "特征",
            new string('n', 300)];
        var b = new OnnxProtoBuilder().Input("x", 1, 2, 3, 3);
        foreach (var n in names) b.Output(n);
        foreach (var n in names) b.Node("Relu", ["x"], [n]);
        var file = _models.Write("hostile", b);
        var graph = OnnxImporter.Load(file);
        var (inputs, files) = _models.Inputs(graph);
        var outDir = Path.Combine(_models.Dir, "deep", "out");
        var r = CliRunner.Run(["run", file, .. MultiIoModels.InputArgs(files), "--output", outDir]);
        Assert.True(r.ExitCode == 0, r.Stderr);

        var written = Directory.GetFiles(outDir);
        Assert.Equal(names.Length, written.Length);
        Assert.All(written, w => Assert.EndsWith(".npy", w));
        Assert.All(written, w => Assert.False(Path.GetFileName(w).StartsWith('.'), w));
        // Nothing anywhere else: the temporary directory holds the model, its input, and deep/out only.
        Assert.Equal(["deep", "hostile.onnx", "input0.npy"], Directory.GetFileSystemEntries(_models.Dir).Select(Path.GetFileName).Order());
        Assert.Equal(["out"], Directory.GetFileSystemEntries(Path.Combine(_models.Dir, "deep")).Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(outDir, "model_dense_BiasAdd_0.npy")));
        Assert.True(File.Exists(Path.Combine(outDir, new string('n', 200) + ".npy"))); // a long name is cut, within 255 bytes
        // Each name is listed on stderr with the file that holds it.
        foreach (var n in names) Assert.Contains($"'{n}'", r.Stderr);
        var relu = new Tensor(inputs["x"].Shape, inputs["x"].Data.Select(v => Math.Max(v, 0f)).ToArray());
        Assert.All(written, w => MultiIoModels.Close(relu, Npy.Read(w), w));
    }

    [Fact]
    public void A_directory_and_named_files_combine()
    {
        var file = _models.Odd("two_inputs_two_outputs");
        var (inputs, files) = _models.Inputs(OnnxImporter.Load(file));
        var expected = MultiIoModels.Reference(file, inputs);
        var dir = Path.Combine(_models.Dir, "d");
        var gated = Path.Combine(_models.Dir, "g.npy");
        var r = CliRunner.Run(["run", file, .. MultiIoModels.InputArgs(files), "--output", dir, "--output", $"gated={gated}"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["y.npy"], Directory.GetFiles(dir).Select(Path.GetFileName));
        MultiIoModels.Close(expected["y"], Npy.Read(Path.Combine(dir, "y.npy")), "y");
        MultiIoModels.Close(expected["gated"], Npy.Read(gated), "gated");
    }

    [Fact]
    public void Every_mistake_is_one_line_naming_the_inputs_or_outputs()
    {
        var file = _models.Odd("two_inputs_two_outputs");
        var graph = OnnxImporter.Load(file);
        var (_, files) = _models.Inputs(graph);
        var (x, z) = (files["x"], files["z"]);
        var both = MultiIoModels.InputArgs(files);
        var there = Path.Combine(_models.Dir, "y.npy");

        Expect("the model has 2 inputs, 'x' 1×4×6×6, 'z' 1×4×6×6: give each as --input NAME=FILE.npy", "run", file, "--input", x);
        Expect("the model has 2 inputs, 'x' 1×4×6×6, 'z' 1×4×6×6: give each as --input NAME=FILE.npy", "run", file, "--input", x, "--input", z);
        Expect("input 'z' 1×4×6×6 is not given (--input z=FILE.npy)", "run", file, "--input", $"x={x}");
        Expect("--input 'w': the model has no input 'w'; its inputs are 'x' 1×4×6×6, 'z' 1×4×6×6", ["run", file, .. both, "--input", $"w={x}"]);
        Expect("--input 'x' is given twice", ["run", file, .. both, "--input", $"x={x}"]);
        Expect("--input '=", "run", file, "--input", $"={x}");
        Expect("--input z=: the file name after '=' is empty", "run", file, "--input", $"x={x}", "--input", "z=");
        Expect("no such input file", "run", file, "--input", $"x={x}", "--input", $"z={x}.missing");
        Expect("--shape describes one raw float32 input", ["run", file, .. both, "--shape", "1,4,6,6"]);

        var wrong = Path.Combine(_models.Dir, "wrong.npy");
        Npy.Write(wrong, new Rng(1).NormalTensor(1, 4, 5, 6));
        Expect("input 'z' expects 1×4×6×6 but wrong.npy holds 1×4×5×6", "run", file, "--input", $"x={x}", "--input", $"z={wrong}");

        Expect("--output 'w': the model has no output 'w'; its outputs are 'y' 1×8×6×6, 'gated' 1×4×6×6", ["run", file, .. both, "--output", $"w={there}"]);
        Expect("--output 'y' is given twice", ["run", file, .. both, "--output", $"y={there}", "--output", $"y={there}2"]);
        Expect("--output: 'y' and 'gated' would both be written to", ["run", file, .. both, "--output", $"y={there}", "--output", $"gated={there}"]);
        Expect("--output takes one directory", ["run", file, .. both, "--output", Path.Combine(_models.Dir, "a"), "--output", Path.Combine(_models.Dir, "b")]);
        Expect("--output y.npy: the model has 2 outputs, 'y' 1×8×6×6, 'gated' 1×4×6×6: give a directory for all of them, or NAME=FILE.npy for each",
            ["run", file, .. both, "--output", "y.npy"]);
        var afile = Path.Combine(_models.Dir, "afile");
        File.WriteAllText(afile, "");
        Expect("is a file; give a directory", ["run", file, .. both, "--output", afile]);
        Assert.False(Directory.Exists(Path.Combine(_models.Dir, "a")) || Directory.Exists(Path.Combine(_models.Dir, "b")));
    }

    private static void Expect(string message, params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.True(r.ExitCode != 0, $"expected a failure for: {string.Join(" ", args)}");
        Assert.StartsWith("lightnets: error: ", r.Stderr);
        Assert.Contains(message, r.Stderr);
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
