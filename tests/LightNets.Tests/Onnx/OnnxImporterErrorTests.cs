using Google.Protobuf;
using LightNets.Onnx;
using Onnx;
using static LightNets.Tests.Onnx.OnnxProtoBuilder;

namespace LightNets.Tests.Onnx;

/// <summary>Broken, hostile or unsupported files: each fails with a specific exception and a message naming the cause.</summary>
public sealed class OnnxImporterErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lightnets-onnx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private T LoadFails<T>(string name, byte[] bytes, OnnxImportOptions? options = null) where T : Exception =>
        Assert.Throws<T>(() => OnnxImporter.Load(Write(name, bytes), options));

    /// <summary>x [1, 2, 4, 4] → Relu → y: a valid model to break.</summary>
    private static OnnxProtoBuilder Tiny(long opset = 13)
    {
        var b = new OnnxProtoBuilder(opset).Input("x", 1, 2, 4, 4).Output("y");
        b.Node("Relu", ["x"], ["y"]);
        return b;
    }

    [Fact]
    public void Missing_file()
    {
        Assert.Throws<FileNotFoundException>(() => OnnxImporter.Load(Path.Combine(_dir, "nothing.onnx")));
    }

    [Fact]
    public void Empty_file()
    {
        var ex = LoadFails<OnnxFormatException>("empty.onnx", []);
        Assert.Equal("empty.onnx: the file is empty or not a regular file (a pipe or a device); an ONNX model is a regular file", ex.Message);
    }

    [Fact]
    public void Garbage_bytes()
    {
        var bytes = Enumerable.Repeat((byte)0xFF, 64).ToArray();
        var ex = LoadFails<OnnxFormatException>("garbage.onnx", bytes);
        Assert.StartsWith("garbage.onnx: not a valid ONNX model (", ex.Message);
        Assert.IsType<InvalidProtocolBufferException>(ex.InnerException);
    }

    [Fact]
    public void Text_file()
    {
        var ex = LoadFails<OnnxFormatException>("model.onnx", "# not a model\nhello, world\n"u8.ToArray());
        Assert.StartsWith("model.onnx: not a valid ONNX model", ex.Message);
    }

    [Fact]
    public void Truncated_fixture()
    {
        var bytes = File.ReadAllBytes(OnnxFixtures.Model("mobilenet_v2_025_op11_static"));
        var ex = LoadFails<OnnxFormatException>("half.onnx", bytes[..(bytes.Length / 2)]);
        Assert.StartsWith("half.onnx: not a valid ONNX model (", ex.Message);
    }

    [Fact]
    public void Model_without_graph()
    {
        var model = new ModelProto { IrVersion = 8 };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 13 });
        var ex = LoadFails<OnnxFormatException>("nograph.onnx", model.ToByteArray());
        Assert.Equal("nograph.onnx: not a valid ONNX model: it contains no graph", ex.Message);
    }

    [Fact]
    public void File_over_the_size_limit()
    {
        var ex = LoadFails<OnnxFormatException>("big.onnx", Tiny().Bytes(), new OnnxImportOptions { MaxFileBytes = 16 });
        Assert.Contains("16-byte limit", ex.Message);
    }

    [Fact]
    public void Unsupported_op_names_op_node_opset_and_domain()
    {
        var b = new OnnxProtoBuilder(13).Input("x", 1, 2, 4, 4).Output("y");
        b.Node("Foo", ["x"], ["y"]).Name = "my_foo";
        var ex = Assert.Throws<UnsupportedOnnxOpException>(() => OnnxImporter.Import(b.Model, null));
        Assert.Equal("unsupported ONNX op 'Foo' (node 'my_foo', opset 13, domain 'ai.onnx')", ex.Message);
        Assert.Equal(("Foo", "my_foo", 13L, ""), (ex.OpType, ex.NodeName, ex.Opset, ex.Domain));
    }

    [Fact]
    public void Unsupported_use_of_a_known_op_says_why()
    {
        var b = new OnnxProtoBuilder(13).Input("x", 1, 2, 4, 4).Output("y");
        b.Node("Transpose", ["x"], ["y"], Attr("perm", 0, 2, 3, 1));
        var ex = Assert.Throws<UnsupportedOnnxOpException>(() => OnnxImporter.Import(b.Model, null));
        Assert.StartsWith("unsupported ONNX op 'Transpose' (node 'transpose0', opset 13, domain 'ai.onnx'): a transpose of [1×2×4×4] by [0, 2, 3, 1]", ex.Message);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(22)]
    public void Unsupported_opset(long opset)
    {
        var ex = LoadFails<OnnxFormatException>("old.onnx", Tiny(opset).Bytes());
        Assert.StartsWith($"old.onnx: opset {opset} of the default ONNX domain is not supported; LightNets imports opsets 10–21", ex.Message);
    }

    [Fact]
    public void Custom_domain()
    {
        var b = new OnnxProtoBuilder(13).Input("x", 1, 2, 4, 4).Output("y");
        b.Model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.example", Version = 2 });
        var node = b.Node("Relu", ["x"], ["y"]);
        node.Domain = "com.example";
        var ex = Assert.Throws<UnsupportedOnnxOpException>(() => OnnxImporter.Import(b.Model, null));
        Assert.Equal("com.example", ex.Domain);
        Assert.Equal(2, ex.Opset);
        Assert.StartsWith("unsupported ONNX op 'Relu' (node 'relu0', opset 2, domain 'com.example')", ex.Message);
    }

    [Fact]
    public void Dims_promising_far_more_data_than_present_allocate_nothing()
    {
        var b = Tiny();
        b.Float("w", [1000, 1000], [1f, 2f, 3f, 4f]);
        var bytes = b.Bytes();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = LoadFails<OnnxFormatException>("liar.onnx", bytes);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000, "the importer allocated for the promised size");
        Assert.Equal("liar.onnx: initializer 'w' declares dims [1000, 1000] = 1000000 elements (4000000 bytes) but its raw_data holds 16 bytes", ex.Message);
    }

    [Fact]
    public void Dims_beyond_any_array()
    {
        var b = Tiny();
        b.Float("w", [1_000_000, 1_000_000], [1f]);
        var ex = LoadFails<OnnxFormatException>("huge.onnx", b.Bytes());
        Assert.Contains("initializer 'w' has dims [1000000, 1000000] = 1000000000000 elements", ex.Message);
    }

    [Fact]
    public void Dims_whose_product_overflows()
    {
        var b = Tiny();
        b.Float("w", [1L << 40, 1L << 40], [1f]);
        var ex = LoadFails<OnnxFormatException>("overflow.onnx", b.Bytes());
        Assert.Contains("negative or whose product overflows", ex.Message);
    }

    [Fact]
    public void Typed_field_with_the_wrong_count()
    {
        var b = Tiny();
        b.Float("w", [2, 3], [1f, 2f], raw: false);
        var ex = LoadFails<OnnxFormatException>("typed.onnx", b.Bytes());
        Assert.Contains("initializer 'w' declares 6 elements but its float_data holds 2", ex.Message);
    }

    private static byte[] WithExternal(string location, long offset, long? length, long[] dims)
    {
        var b = Tiny();
        var t = new TensorProto { Name = "w", DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.Add(dims);
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
        if (length is { } l) t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = l.ToString() });
        b.Graph.Initializer.Add(t);
        return b.Bytes();
    }

    [Fact]
    public void External_data_outside_the_directory()
    {
        var ex = LoadFails<OnnxFormatException>("escape.onnx", WithExternal("../secret.bin", 0, null, [4]));
        Assert.Contains("initializer 'w' refers to external file '../secret.bin', which lies outside the model's directory", ex.Message);
    }

    [Fact]
    public void External_data_at_an_absolute_path()
    {
        var ex = LoadFails<OnnxFormatException>("absolute.onnx", WithExternal("/etc/passwd", 0, null, [4]));
        Assert.Contains("an absolute path", ex.Message);
    }

    [Fact]
    public void External_data_through_a_link_leading_outside()
    {
        if (OperatingSystem.IsWindows()) return; // creating links needs privileges there
        var outside = Directory.CreateTempSubdirectory("lightnets-onnx-outside-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(outside, "secret.bin"), new byte[16]);
            File.CreateSymbolicLink(Path.Combine(_dir, "w.bin"), Path.Combine(outside, "secret.bin"));
            var ex = LoadFails<OnnxFormatException>("link.onnx", WithExternal("w.bin", 0, null, [4]));
            Assert.Contains($"initializer 'w' refers to external file 'w.bin', which lies outside the model's directory '{_dir}': the link 'w.bin' points to '{Path.Combine(outside, "secret.bin")}'", ex.Message);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void External_data_past_the_end_of_its_file()
    {
        Write("w.bin", new byte[16]);
        var ex = LoadFails<OnnxFormatException>("past.onnx", WithExternal("w.bin", 8, null, [4]));
        Assert.Contains("initializer 'w' needs bytes [8, 24) of 'w.bin', past the end of that 16-byte file", ex.Message);
    }

    [Fact]
    public void External_data_length_disagreeing_with_dims()
    {
        Write("w.bin", new byte[64]);
        var ex = LoadFails<OnnxFormatException>("length.onnx", WithExternal("w.bin", 0, 12, [4]));
        Assert.Contains("initializer 'w' declares 16 bytes by its dims but its external data length is 12", ex.Message);
    }

    [Fact]
    public void External_data_without_a_base_directory()
    {
        var model = ModelProto.Parser.ParseFrom(WithExternal("w.bin", 0, null, [4]));
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(model, null));
        Assert.Contains("no base directory", ex.Message);
    }

    [Fact]
    public void Graph_with_a_cycle()
    {
        var b = new OnnxProtoBuilder().Input("x", 1, 2, 4, 4).Output("c");
        b.Node("Add", ["x", "b"], ["a"]);
        b.Node("Relu", ["a"], ["b"]);
        b.Node("Relu", ["b"], ["c"]);
        var ex = LoadFails<OnnxFormatException>("cycle.onnx", b.Bytes());
        Assert.Equal("cycle.onnx: the graph has a cycle: nodes 'add0' (Add), 'relu1' (Relu), 'relu2' (Relu) wait on each other's outputs", ex.Message);
    }

    [Fact]
    public void Graph_with_a_dangling_input()
    {
        var b = new OnnxProtoBuilder().Input("x", 1, 2, 4, 4).Output("y");
        b.Node("Add", ["x", "nowhere"], ["y"]);
        var ex = LoadFails<OnnxFormatException>("dangling.onnx", b.Bytes());
        Assert.Equal("dangling.onnx: node 'add0' (Add) reads 'nowhere', which no node produces and is neither a graph input nor an initializer (dangling input)", ex.Message);
    }

    [Fact]
    public void Output_produced_by_nothing()
    {
        var b = Tiny().Output("ghost");
        var ex = LoadFails<OnnxFormatException>("ghost.onnx", b.Bytes());
        Assert.Contains("graph output 'ghost' is produced by no node", ex.Message);
    }

    [Fact]
    public void Value_written_twice()
    {
        var b = Tiny();
        b.Node("Relu", ["x"], ["y"]);
        var ex = LoadFails<OnnxFormatException>("twice.onnx", b.Bytes());
        Assert.Contains("value 'y' is written by both 'relu0' (Relu) and 'relu1' (Relu)", ex.Message);
    }

    [Fact]
    public void Symbolic_spatial_dimension()
    {
        var b = new OnnxProtoBuilder().Input("x", "batch", 3, "height", 224).Output("y");
        b.Node("Relu", ["x"], ["y"]);
        var ex = LoadFails<OnnxFormatException>("symbolic.onnx", b.Bytes());
        Assert.Equal("symbolic.onnx: input 'x' has symbolic ('height') dimension 2; LightNets needs every dimension but the batch to be concrete (export with a fixed input size)", ex.Message);
    }

    [Fact]
    public void Unknown_channel_dimension()
    {
        var b = new OnnxProtoBuilder().Input("x", 1, null, 8, 8).Output("y");
        b.Node("Relu", ["x"], ["y"]);
        var ex = LoadFails<OnnxFormatException>("unknown.onnx", b.Bytes());
        Assert.Contains("input 'x' has unknown dimension 1", ex.Message);
    }

    [Fact]
    public void Input_of_rank_five()
    {
        // Several inputs import (see OddGraphImportTests); a rank the runtime cannot hold does not.
        var b = new OnnxProtoBuilder().Input("x", 1, 2, 3, 4, 5).Output("y");
        b.Node("Relu", ["x"], ["y"]);
        var ex = LoadFails<OnnxFormatException>("rank5.onnx", b.Bytes());
        Assert.Contains("input 'x' has rank 5; LightNets takes inputs of rank 1 to 4", ex.Message);
    }

    [Fact]
    public void Conv_weight_computed_from_the_input()
    {
        var b = new OnnxProtoBuilder().Input("x", 1, 1, 3, 3).Output("y");
        b.Node("Conv", ["x", "x"], ["y"]);
        var ex = LoadFails<OnnxFormatException>("dynamic-weight.onnx", b.Bytes());
        Assert.Contains("reads input 1 'x' from a graph input or a computed value; LightNets needs its weight and bias to be constants", ex.Message);
    }

    [Fact]
    public void Broadcast_to_rank_five()
    {
        var b = new OnnxProtoBuilder().Input("x", 1, 2, 3, 4).Output("y");
        b.Random("c", 2, 1, 1, 1, 1);
        b.Node("Add", ["x", "c"], ["y"]);
        var ex = LoadFails<OnnxFormatException>("rank5-add.onnx", b.Bytes());
        Assert.Contains("of rank 5 ([2×1×2×3×4]); LightNets holds tensors of rank 4 at most", ex.Message);
    }

    [Fact]
    public void Shape_rule_broken_inside_the_graph_is_a_format_error()
    {
        var b = new OnnxProtoBuilder().Input("x", 1, 2, 4, 4).Output("y");
        b.Random("w", 3, 5, 3, 3);
        b.Node("Conv", ["x", "w"], ["y"]).Name = "bad_conv";
        var ex = LoadFails<OnnxFormatException>("shapes.onnx", b.Bytes());
        Assert.StartsWith("shapes.onnx: node 'bad_conv' (Conv2d) has weight 'w' [3×5×3×3]", ex.Message);
        Assert.IsType<GraphValidationException>(ex.InnerException);
    }

    [Fact]
    public void Folding_refuses_huge_constants()
    {
        var b = new OnnxProtoBuilder().Input("x", 1, 2, 4, 4).Output("y");
        b.Ints("shape", 100_000, 100_000);
        b.Node("ConstantOfShape", ["shape"], ["big"]);
        b.Node("Add", ["x", "big"], ["y"]);
        var ex = LoadFails<OnnxFormatException>("fold.onnx", b.Bytes());
        Assert.Contains("would create a constant of shape [100000, 100000]", ex.Message);
    }
}
