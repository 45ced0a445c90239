using LightNets.Onnx;
using LightNets.Tensors;
using LightNets.Tests.Onnx;

namespace LightNets.Tests.Cli;

public sealed class RunAndExportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lightnets-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string file) => Path.Combine(OnnxFixtures.Directory, file);

    [Theory]
    [InlineData("lightnets")]
    [InlineData("reference")]
    [InlineData("onnxruntime")]
    public void Run_on_a_torchvision_fixture_matches_pytorch(string engine)
    {
        var output = Path.Combine(_dir, "y.npy");
        var r = CliRunner.Run("run", Fixture("shufflenet_v2_tiny_op13_dyn.onnx"), "--input", Fixture("shufflenet_v2_tiny_op13_dyn.input.npy"),
            "--output", output, "--engine", engine);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("softmax", r.Stdout);
        OnnxExportTests.AssertClose(Npy.Read(Fixture("shufflenet_v2_tiny_op13_dyn.output.npy")), Npy.Read(output), 1e-4, engine);
    }

    [Fact]
    public void Run_takes_raw_float32_with_a_shape()
    {
        var input = Npy.Read(Fixture("mobilenet_v2_025_op11_static.input.npy"));
        var raw = Path.Combine(_dir, "x.f32");
        File.WriteAllBytes(raw, System.Runtime.InteropServices.MemoryMarshal.AsBytes(input.Data.AsSpan()).ToArray());
        var output = Path.Combine(_dir, "y.npy");
        var r = CliRunner.Run("run", Fixture("mobilenet_v2_025_op11_static.onnx"), "--input", raw, "--shape", "1,3,48,48", "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        OnnxExportTests.AssertClose(Npy.Read(Fixture("mobilenet_v2_025_op11_static.output.npy")), Npy.Read(output), 1e-4, "raw");
    }

    [Fact]
    public void Run_on_a_zoo_model_with_both_engines_agrees()
    {
        var x = Path.Combine(_dir, "x.npy");
        Npy.Write(x, new Rng(4).NormalTensor(2, 3, 64, 64));
        var y1 = Path.Combine(_dir, "y1.npy");
        var y2 = Path.Combine(_dir, "y2.npy");
        Assert.Equal(0, CliRunner.Run("run", "mobilenet_v3_small", "--resolution", "64", "--seed", "3", "--input", x, "--output", y1).ExitCode);
        Assert.Equal(0, CliRunner.Run("run", "mobilenet_v3_small", "--resolution", "64", "--seed", "3", "--input", x, "--output", y2, "--engine", "onnxruntime").ExitCode);
        OnnxExportTests.AssertClose(Npy.Read(y1), Npy.Read(y2), 1e-4, "engines");
    }

    [Fact]
    public void Export_writes_a_model_onnxruntime_runs()
    {
        var path = Path.Combine(_dir, "m.onnx");
        var r = CliRunner.Run("export", "shufflenetv2_050", "-o", path, "--opset", "11", "--dynamic-batch", "--fold-bn", "--check", "--resolution", "96");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("check: ONNX Runtime vs reference interpreter", r.Stdout);
        Assert.Contains("(ok)", r.Stdout);
        var g = OnnxImporter.Load(path, new OnnxImportOptions { Batch = 2 });
        Assert.Equal(Shape.Nchw(2, 3, 96, 96), g.Input.Shape);
    }

    [Fact]
    public void Info_works_on_an_onnx_file()
    {
        var r = CliRunner.Run("info", Fixture("mobilenet_v2_025_op11_static.onnx"), "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"macs\": 1982736", r.Stdout);
    }

    [Fact]
    public void Bad_inputs_get_one_line_errors()
    {
        var wrongShape = Path.Combine(_dir, "w.npy");
        Npy.Write(wrongShape, new Rng(1).NormalTensor(1, 3, 32, 32));
        Expect("input 'input' expects 1×3×48×48", "run", Fixture("mobilenet_v2_025_op11_static.onnx"), "--input", wrongShape);

        var wrongRank = Path.Combine(_dir, "r.npy");
        Npy.Write(wrongRank, new Rng(1).NormalTensor(3, 48, 48));
        Expect("input 'input' must be N×3×48×48 (rank 4) but r.npy holds 3×48×48 (rank 3)", "run", Fixture("mobilenet_v2_025_op11_static.onnx"), "--input", wrongRank);

        var float64 = Path.Combine(_dir, "d.npy");
        File.WriteAllBytes(float64, [.. NpyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3, 48, 48), }"), .. new byte[8 * 3 * 48 * 48]]);
        Expect("expected float32 data ('<f4'), got dtype '<f8'", "run", Fixture("mobilenet_v2_025_op11_static.onnx"), "--input", float64);

        Expect("no such input file", "run", "mobilenet_v2", "--input", Path.Combine(_dir, "missing.npy"));
        Expect("no such ONNX file", "run", Path.Combine(_dir, "missing.onnx"), "--input", wrongShape);

        var garbage = Path.Combine(_dir, "g.onnx");
        File.WriteAllText(garbage, "this is not a model");
        Expect("not a valid ONNX model", "run", garbage, "--input", wrongShape);

        var truncated = Path.Combine(_dir, "t.onnx");
        var bytes = File.ReadAllBytes(Fixture("mobilenet_v2_025_op11_static.onnx"));
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        Expect("", "run", truncated, "--input", wrongShape);

        // A batch whose working memory is absurd: refused by the session's limit, not by a failed allocation.
        Expect("alone needs 512 GiB, more than the session's limit of 4 GiB of working memory", "bench", "mobilenetv1_025", "--batch", "4096", "--resolution", "4096", "--runs", "1");

        var raw = Path.Combine(_dir, "x.f32");
        File.WriteAllBytes(raw, new byte[100]);
        Expect("--shape 1,3,48,48 needs 27648", "run", Fixture("mobilenet_v2_025_op11_static.onnx"), "--input", raw, "--shape", "1,3,48,48");
        Expect("--shape needs positive integers", "run", Fixture("mobilenet_v2_025_op11_static.onnx"), "--input", raw, "--shape", "1,x");
        Expect("--opset must be 11 to 17", "export", "mobilenet_v2", "-o", Path.Combine(_dir, "o.onnx"), "--opset", "9");
        Expect("apply to zoo models, not to an ONNX file", "info", Fixture("mobilenet_v2_025_op11_static.onnx"), "--width", "0.5");
    }

    private static void Expect(string message, params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.NotEqual(0, r.ExitCode);
        Assert.StartsWith("lightnets: error: ", r.Stderr);
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    private static byte[] NpyHeader(string dict)
    {
        var h = System.Text.Encoding.Latin1.GetBytes(dict + "\n");
        return [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(h.Length & 0xFF), (byte)(h.Length >> 8), .. h];
    }
}
