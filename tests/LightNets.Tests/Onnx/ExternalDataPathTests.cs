using Google.Protobuf;
using LightNets.Models;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Tests.Robustness;
using Onnx;

namespace LightNets.Tests.Onnx;

/// <summary>
/// A hostile model's external-data "location" must not read anything outside the model's directory, whatever links
/// the directory holds (to directories or files, nested, relative, chained), nor block or read without end on
/// something that is not a regular file. Links whose real target stays inside the directory keep working.
/// </summary>
public sealed class ExternalDataPathTests : IDisposable
{
    /// <summary>What the model may read (the model's directory holds w.bin with these).</summary>
    private static readonly float[] Weights = [1f, 2f, 3f, 4f];

    /// <summary>What lies outside it, in sandbox/outside/secret.bin; no test may ever see these values.</summary>
    private static readonly float[] Secret = [1111f, 2222f, 3333f, 4444f];

    private readonly string _sandbox = Directory.CreateTempSubdirectory("lightnets-external-").FullName;

    public ExternalDataPathTests()
    {
        Directory.CreateDirectory(ModelDir);
        Directory.CreateDirectory(Outside);
        File.WriteAllBytes(Path.Combine(ModelDir, "w.bin"), Bytes(Weights));
        File.WriteAllBytes(Path.Combine(Outside, "secret.bin"), Bytes(Secret));
    }

    public void Dispose() => Directory.Delete(_sandbox, recursive: true);

    private string ModelDir => Path.Combine(_sandbox, "model");
    private string Outside => Path.Combine(_sandbox, "outside");
    private string In(string relative) => Path.Combine(ModelDir, relative);

    private static byte[] Bytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    private void Link(string relative, string target) => File.CreateSymbolicLink(In(relative), target);

    /// <summary>
    /// model/model.onnx: y = x + w with w (1×1×2×2) in external data at <paramref name="location"/>; with
    /// <paramref name="empty"/>, w has no elements (nothing to read) and y = Relu(x).
    /// </summary>
    private string Model(string location, bool empty = false)
    {
        var b = new OnnxProtoBuilder().Input("x", 1, 1, 2, 2).Output("y");
        var w = new TensorProto { Name = "w", DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
        w.Dims.Add(empty ? [0] : [1, 1, 2, 2]);
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        b.Graph.Initializer.Add(w);
        b.Node(empty ? "Relu" : "Add", empty ? ["x"] : ["x", "w"], ["y"]);
        var path = In("model.onnx");
        File.WriteAllBytes(path, b.Bytes());
        return path;
    }

    /// <summary>Loading must fail with an OnnxFormatException (within the hang limit) whose message has <paramref name="expected"/>.</summary>
    private OnnxFormatException Refused(string location, string expected, bool empty = false, params string[] fifos)
    {
        var path = Model(location, empty);
        var e = SpecialFiles.Throws<OnnxFormatException>(() => OnnxImporter.Load(path), fifos);
        Assert.StartsWith($"model.onnx: initializer 'w' refers to external file '{location}'", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("1111", e.Message);
        return e;
    }

    /// <summary>Loads, and both engines compute x + w with w = <see cref="Weights"/>.</summary>
    private void Loads(string location)
    {
        var graph = OnnxImporter.Load(Model(location));
        var x = Tensor.Zeros(1, 1, 2, 2);
        Assert.Equal(Weights, ReferenceInterpreter.Run(graph, x).Data);
        using var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        Assert.Equal(Weights, session.Run(x).Data);
    }

    [Fact]
    public void A_directory_link_to_outside()
    {
        Link("d", Outside);
        Refused("d/secret.bin", $"which lies outside the model's directory '{ModelDir}': the link 'd' points to '{Outside}'");
    }

    [Fact]
    public void A_directory_link_to_etc()
    {
        Link("d", "/etc");
        Refused("d/passwd", "which lies outside the model's directory");
        Refused("d/hostname", "which lies outside the model's directory", empty: true);
    }

    [Fact]
    public void A_nested_directory_link_with_a_relative_target()
    {
        Directory.CreateDirectory(In("a"));
        Link("a/b", "../../outside");
        Refused("a/b/secret.bin", "the link 'a/b' points to '../../outside'");
    }

    [Fact]
    public void A_relative_directory_link()
    {
        Link("d", "../outside");
        Refused("d/secret.bin", "which lies outside the model's directory");
    }

    [Fact]
    public void A_chain_of_links_that_ends_outside()
    {
        // l1 → l2 (inside, relative) → sub/l3 (inside) → outside (absolute).
        Directory.CreateDirectory(In("sub"));
        Link("l1", "l2");
        Link("l2", "sub/l3");
        Link("sub/l3", Outside);
        Refused("l1/secret.bin", $"the link 'sub/l3' points to '{Outside}'");
    }

    [Fact]
    public void A_file_link_through_a_directory_link_to_outside()
    {
        // The file link's own target, model/d/secret.bin, looks inside; only resolving d shows where it leads.
        Link("d", Outside);
        Link("w2.bin", In("d/secret.bin"));
        Refused("w2.bin", "which lies outside the model's directory");
    }

    [Fact]
    public void A_file_link_to_outside()
    {
        Link("w2.bin", Path.Combine(Outside, "secret.bin"));
        Refused("w2.bin", $"the link 'w2.bin' points to '{Path.Combine(Outside, "secret.bin")}'");
    }

    [Fact]
    public void Links_whose_real_target_stays_inside_are_followed()
    {
        Directory.CreateDirectory(In("data"));
        File.Copy(In("w.bin"), In("data/real.bin"));
        Link("relative.bin", "data/real.bin");
        Link("absolute.bin", In("data/real.bin"));
        Link("dl", "data");
        Link("up", "data/../data");
        Link("chain.bin", "relative.bin");
        foreach (var location in new[] { "relative.bin", "absolute.bin", "dl/real.bin", "up/real.bin", "chain.bin", "data/../w.bin", "./dl/../w.bin" })
            Loads(location);
    }

    [Fact]
    public void A_model_directory_reached_through_a_link_resolves_inside_its_real_path()
    {
        // The model's own directory is a link (as /tmp is on macOS); its real path is the one checked against.
        Directory.CreateSymbolicLink(Path.Combine(_sandbox, "alias"), ModelDir);
        Model("w.bin");
        var graph = OnnxImporter.Load(Path.Combine(_sandbox, "alias", "model.onnx"));
        Assert.Equal(Weights, ReferenceInterpreter.Run(graph, Tensor.Zeros(1, 1, 2, 2)).Data);
        Link("d", "../outside");
        Model("d/secret.bin");
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Load(Path.Combine(_sandbox, "alias", "model.onnx")));
        Assert.Contains("outside the model's directory", e.Message);
    }

    [Theory]
    [InlineData("../outside/secret.bin")]
    [InlineData("sub/../../outside/secret.bin")]
    [InlineData("../model/../outside/secret.bin")]
    public void Dot_dot_that_leaves_the_directory(string location)
    {
        Directory.CreateDirectory(In("sub"));
        Refused(location, "which lies outside the model's directory");
    }

    [Fact]
    public void Dot_dot_after_a_directory_link_is_taken_from_the_link_target()
    {
        // As the kernel does: d/.. is d's target's parent (outside), not the model's directory.
        Directory.CreateDirectory(Path.Combine(Outside, "inner"));
        Link("d", Path.Combine(Outside, "inner"));
        Refused("d/../secret.bin", "which lies outside the model's directory");
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("/dev/zero")]
    public void An_absolute_location(string location) =>
        Refused(location, "an absolute path; external data must be relative to the model's directory");

    [Fact]
    public void An_absolute_location_to_the_secret() =>
        Refused(Path.Combine(Outside, "secret.bin"), "an absolute path");

    [Fact]
    public void Dev_zero_as_a_link_target()
    {
        Link("z", "/dev/zero");
        Link("dev", "/dev");
        Refused("z", "which lies outside the model's directory");
        Refused("z", "which lies outside the model's directory", empty: true);
        Refused("dev/zero", "which lies outside the model's directory", empty: true);
    }

    [Fact]
    public void A_fifo_is_refused_without_being_opened()
    {
        var fifo = SpecialFiles.Fifo(In("fifo"));
        Refused("fifo", "is empty or not a regular file", fifos: fifo);
        Refused("fifo", "is empty or not a regular file", empty: true, fifos: fifo);
        Link("to-fifo", "fifo");
        Refused("to-fifo", "is empty or not a regular file", empty: true, fifos: fifo);
    }

    [Theory]
    [InlineData("w.bin/")]
    [InlineData("sub/")]
    [InlineData("d/")]
    public void A_trailing_slash(string location)
    {
        Directory.CreateDirectory(In("sub"));
        Link("d", Outside);
        Refused(location, "which ends in a directory separator; external data must name a file");
    }

    [Theory]
    [InlineData("w.bin/.")]
    [InlineData("w.bin/x")]
    [InlineData("w.bin/../w.bin")]
    [InlineData("file-link/x")]
    public void A_file_used_as_a_directory(string location)
    {
        Link("file-link", "w.bin");
        Refused(location, "'w.bin' is a file, not a directory");
    }

    [Theory]
    [InlineData("sub")]
    [InlineData(".")]
    [InlineData("sub/..")]
    public void A_location_naming_a_directory(string location)
    {
        Directory.CreateDirectory(In("sub"));
        Refused(location, "is a directory, not a file");
    }

    [Fact]
    public void A_directory_link_named_as_the_file()
    {
        Link("d", Outside);
        Directory.CreateDirectory(In("sub"));
        Link("sd", "sub");
        Refused("d", "which lies outside the model's directory");
        Refused("sd", "is a directory, not a file");
    }

    [Fact]
    public void A_link_loop()
    {
        Link("l1", "l2");
        Link("l2", "l1");
        Refused("l1", "which goes through more than 40 symbolic links (a loop?)");
    }

    [Fact]
    public void A_dangling_link_and_a_missing_file()
    {
        Link("gone", "nothing.bin");
        Refused("gone", "does not exist");
        Refused("nothing.bin", "does not exist");
        Refused("nowhere/w.bin", "does not exist");
    }

    [Fact]
    public void An_empty_file()
    {
        File.WriteAllBytes(In("empty.bin"), []);
        Refused("empty.bin", "is empty or not a regular file");
    }

    [Fact]
    public void A_missing_model_directory()
    {
        var b = new OnnxProtoBuilder().Input("x", 1, 1, 2, 2).Output("y");
        var w = new TensorProto { Name = "w", DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
        w.Dims.Add([1, 1, 2, 2]);
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" });
        b.Graph.Initializer.Add(w);
        b.Node("Add", ["x", "w"], ["y"]);
        var missing = Path.Combine(_sandbox, "missing");
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(b.Model, missing));
        Assert.Contains($"the model's directory '{missing}' does not exist", e.Message);
    }

    [Fact]
    public void Weights_loaded_into_a_zoo_model_go_through_the_same_check()
    {
        // --weights: the file's initializers are read by the importer, so an escape fails there, before any matching.
        Link("d", Outside);
        var path = Model("d/secret.bin");
        var zoo = ModelZoo.Build("mobilenetv2_100", new ModelOptions { Width = 0.25, Classes = 10, Resolution = 32 });
        var e = Assert.Throws<OnnxFormatException>(() => OnnxWeights.LoadInto(zoo, path));
        Assert.Contains("which lies outside the model's directory", e.Message);
    }

    [Fact]
    public void A_model_file_that_is_a_link_is_read_through_it()
    {
        // The link's own size (its target's name) is not the model's size.
        var real = Model("w.bin");
        File.Move(real, In("real.onnx"));
        Link("model.onnx", "real.onnx");
        var graph = OnnxImporter.Load(In("model.onnx"));
        Assert.Equal(Weights, ReferenceInterpreter.Run(graph, Tensor.Zeros(1, 1, 2, 2)).Data);
    }

    [Fact]
    public void A_model_file_that_is_a_fifo_or_a_device_is_refused_unread()
    {
        var fifo = SpecialFiles.Fifo(In("fifo.onnx"));
        Link("to-fifo.onnx", "fifo.onnx");
        Link("zero.onnx", "/dev/zero");
        foreach (var name in new[] { "fifo.onnx", "to-fifo.onnx", "zero.onnx" })
        {
            var e = SpecialFiles.Throws<OnnxFormatException>(() => OnnxImporter.Load(In(name)), fifo);
            Assert.Equal($"{name}: the file is empty or not a regular file (a pipe or a device); an ONNX model is a regular file", e.Message);
        }
    }
}
