using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Tests.Graphs;

public class GraphValidationTests
{
    private static Dictionary<string, Tensor> Weights(params (string Name, int[] Dims)[] items) =>
        items.ToDictionary(i => i.Name, i => Tensor.Zeros(i.Dims));

    [Fact]
    public void Conv_shape_follows_the_window_formula()
    {
        var b = new GraphBuilder("t");
        var x = b.Input("x", Shape.Nchw(1, 3, 224, 224));
        var y = b.Conv2d(x, 32, kernel: 3, stride: 2);
        Assert.Equal(Shape.Nchw(1, 32, 112, 112), y.Shape);
        var z = b.Conv2d(y, 32, new Conv2dOp(3, 3, 2, 2, new Padding2d(0, 0, 1, 1)));
        Assert.Equal(Shape.Nchw(1, 32, 56, 56), z.Shape);
    }

    [Fact]
    public void Groups_that_do_not_divide_the_channels_are_rejected_with_names()
    {
        var w = Weights(("w", [30, 12, 1, 1]));
        var node = new Node("gconv", new Conv2dOp(1, 1, 1, 1, Padding2d.None, Groups: 4), ["x", "w"], ["y"]);
        var ex = Assert.Throws<GraphValidationException>(() =>
            new Graph("t", [new Value("x", Shape.Nchw(1, 24, 8, 8))], ["y"], [node], w));
        Assert.Contains("gconv", ex.Message);
        Assert.Contains("'w'", ex.Message);
        Assert.Contains("not divisible by groups 4", ex.Message);
    }

    [Fact]
    public void Mismatched_concat_is_rejected()
    {
        var b = new GraphBuilder("t");
        var x = b.Input("x", Shape.Nchw(1, 8, 8, 8));
        var y = b.MaxPool(x, 3, 2, 1);
        var ex = Assert.Throws<GraphValidationException>(() => b.Concat([x, y], name: "cat"));
        Assert.Contains("'cat'", ex.Message);
        Assert.Contains("differ in dimension 2", ex.Message);
    }

    [Fact]
    public void Dangling_input_is_rejected()
    {
        var node = new Node("relu", new ReluOp(), ["missing"], ["y"]);
        var ex = Assert.Throws<GraphValidationException>(() =>
            new Graph("t", [new Value("x", Shape.Nchw(1, 1, 1, 1))], ["y"], [node], new Dictionary<string, Tensor>()));
        Assert.Contains("'relu'", ex.Message);
        Assert.Contains("'missing'", ex.Message);
        Assert.Contains("dangling", ex.Message);
    }

    [Fact]
    public void Cycle_is_rejected()
    {
        var a = new Node("a", new AddOp(), ["x", "b_out"], ["a_out"]);
        var b = new Node("b", new ReluOp(), ["a_out"], ["b_out"]);
        var ex = Assert.Throws<GraphValidationException>(() =>
            new Graph("t", [new Value("x", Shape.Nchw(1, 1, 1, 1))], ["b_out"], [a, b], new Dictionary<string, Tensor>()));
        Assert.Contains("cycle", ex.Message);
        Assert.Contains("'a'", ex.Message);
        Assert.Contains("'b'", ex.Message);
    }

    [Fact]
    public void Nodes_given_out_of_order_are_sorted()
    {
        var relu = new Node("relu", new ReluOp(), ["h"], ["y"]);
        var sig = new Node("sig", new SigmoidOp(), ["x"], ["h"]);
        var g = new Graph("t", [new Value("x", Shape.Nchw(2, 3, 4, 4))], ["y"], [relu, sig], new Dictionary<string, Tensor>());
        Assert.Equal(["sig", "relu"], g.Nodes.Select(n => n.Name));
        Assert.Equal(Shape.Nchw(2, 3, 4, 4), g.ShapeOf("y"));
    }
}
