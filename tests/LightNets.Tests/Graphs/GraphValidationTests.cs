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

    /// <summary>What the compiled runtime cannot hold is refused when the graph is built, so that every graph runs on both engines.</summary>
    [Fact]
    public void Values_above_rank_four_are_rejected()
    {
        var none = new Dictionary<string, Tensor>();
        var input = Assert.Throws<GraphValidationException>(() => new Graph("t", [new Value("x", new Shape(1, 2, 3, 4, 5))], ["x"], [], none));
        Assert.Contains("graph input 'x' has rank 5 ([1×2×3×4×5]); LightNets takes inputs of rank 1 to 4", input.Message);
        Assert.Throws<GraphValidationException>(() => new Graph("t", [new Value("x", new Shape())], ["x"], [], none));

        var add = new Node("add", new AddOp(), ["x", "c"], ["y"]);
        var c = new Dictionary<string, Tensor> { ["c"] = Tensor.Zeros(2, 1, 1, 1, 1) };
        var output = Assert.Throws<GraphValidationException>(() => new Graph("t", [new Value("x", Shape.Nchw(1, 3, 4, 4))], ["y"], [add], c));
        Assert.Contains("node 'add' (Add) produces 'y' of rank 5", output.Message);
    }

    [Fact]
    public void Weights_and_statistics_must_be_initializers()
    {
        var conv = new Node("conv", Conv2dOp.Square(1), ["x", "w"], ["y"]);
        var ex = Assert.Throws<GraphValidationException>(() => new Graph("t",
            [new Value("x", Shape.Nchw(1, 2, 4, 4)), new Value("w", Shape.Nchw(3, 2, 1, 1))], ["y"], [conv], new Dictionary<string, Tensor>()));
        Assert.Contains("node 'conv' (Conv2d) reads input 1 'w' from a graph input or a computed value", ex.Message);

        var relu = new Node("relu", new ReluOp(), ["m"], ["mean"]);
        var bn = new Node("bn", new BatchNormOp(1e-5f), ["x", "s", "b", "mean", "v"], ["y"]);
        var stats = Weights(("s", [2]), ("b", [2]), ("m", [2]), ("v", [2]));
        var bnEx = Assert.Throws<GraphValidationException>(() => new Graph("t", [new Value("x", Shape.Nchw(1, 2, 4, 4))], ["y"], [relu, bn], stats));
        Assert.Contains("'bn' (BatchNorm) reads input 3 'mean'", bnEx.Message);
    }

    [Fact]
    public void Softmax_needs_a_channel_axis()
    {
        var softmax = new Node("softmax", new SoftmaxOp(), ["x"], ["y"]);
        var ex = Assert.Throws<GraphValidationException>(() => new Graph("t", [new Value("x", new Shape(5))], ["y"], [softmax], new Dictionary<string, Tensor>()));
        Assert.Contains("normalizes over the channels (axis 1)", ex.Message);
    }

    [Fact]
    public void Single_input_and_output_accessors_name_the_choices()
    {
        var g = new Graph("two", [new Value("a", new Shape(1, 2)), new Value("b", new Shape(1, 3))], ["a", "b"], [], new Dictionary<string, Tensor>());
        Assert.Contains("graph 'two' has 2 inputs ('a' [1×2], 'b' [1×3])", Assert.Throws<InputNameException>(() => g.Input).Message);
        Assert.Contains("graph 'two' has 2 outputs ('a' [1×2], 'b' [1×3])", Assert.Throws<OutputNameException>(() => g.Output).Message);
    }
}
