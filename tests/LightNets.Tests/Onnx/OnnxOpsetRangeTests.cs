using LightNets.Graphs;
using LightNets.Onnx;
using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Tests.Runtime;
using static LightNets.Tests.Onnx.OnnxProtoBuilder;

namespace LightNets.Tests.Onnx;

/// <summary>
/// The ops whose inputs or attributes changed at the ends of the imported opset range (10, and 18–21): each imported
/// the way that opset defines it, checked against ONNX Runtime on the same file.
/// </summary>
public class OnnxOpsetRangeTests
{
    private static Graph ImportMatchesOnnxRuntime(OnnxProtoBuilder b, params int[] dims)
    {
        var input = new Rng(7).NormalTensor(dims);
        foreach (ref var v in input.Span) v *= 4; // past the clip bounds
        var expected = b.RunOnnxRuntime(input);
        var graph = OnnxImporter.Import(b.Model, null);
        var actual = ReferenceInterpreter.Run(graph, input);
        Assert.Equal(expected.Shape, actual.Shape);
        ReferenceAssert.Close(expected.Data, actual.Data, 1e-5f);
        return graph;
    }

    [Fact]
    public void Opset_10_Clip_takes_its_bounds_from_attributes()
    {
        var b = new OnnxProtoBuilder(10).Input("x", 1, 2, 3, 3).Output("y");
        b.Node("Clip", ["x"], ["r6"], Attr("min", 0f), Attr("max", 6f));
        b.Node("Clip", ["r6"], ["y"], Attr("max", 5f));
        var g = ImportMatchesOnnxRuntime(b, 1, 2, 3, 3);
        Assert.True(((ClipOp)g.Nodes[0].Op).IsRelu6);
        Assert.Equal(new ClipOp(float.NegativeInfinity, 5f), g.Nodes[1].Op);
    }

    [Theory]
    [InlineData(18)]
    [InlineData(21)]
    public void From_opset_18_ReduceMean_takes_its_axes_as_an_input(int opset)
    {
        var b = new OnnxProtoBuilder(opset).Input("x", 2, 3, 4, 5).Output("y");
        b.Ints("axes", 2, -1);
        b.Node("ReduceMean", ["x", "axes"], ["y"], Attr("keepdims", 0L));
        Assert.Equal([OpKind.GlobalAveragePool, OpKind.Flatten], ImportMatchesOnnxRuntime(b, 2, 3, 4, 5).Nodes.Select(n => n.Kind));
    }

    [Fact]
    public void From_opset_18_Split_may_state_its_number_of_outputs()
    {
        var b = new OnnxProtoBuilder(18).Input("x", 1, 4, 3, 3).Output("y");
        b.Node("Split", ["x"], ["a", "b"], Attr("axis", 1L), Attr("num_outputs", 2L));
        b.Node("Concat", ["b", "a"], ["y"], Attr("axis", 1L));
        Assert.Equal(new SplitOp([2, 2]), ImportMatchesOnnxRuntime(b, 1, 4, 3, 3).Nodes[0].Op);

        var wrong = new OnnxProtoBuilder(18).Input("x", 1, 4, 3, 3).Output("a");
        wrong.Node("Split", ["x"], ["a", "b"], Attr("axis", 1L), Attr("num_outputs", 3L));
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(wrong.Model, null));
        Assert.Contains("has num_outputs 3 but 2 outputs", ex.Message);
    }
}
