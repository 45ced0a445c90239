using LightNets.Graphs;
using LightNets.Models;

namespace LightNets.Benchmarks;

/// <summary>Kernel shapes taken from the zoo's models (not invented): every 1×1 convolution of a model as (M, K, N).</summary>
public static class ModelShapes
{
    public static IEnumerable<(string Layer, int M, int K, int N)> Pointwise(string model)
    {
        var g = ModelZoo.Build(model);
        foreach (var node in g.Nodes)
        {
            if (node.Op is not Conv2dOp { KernelH: 1, KernelW: 1, Groups: 1 }) continue;
            var input = g.ShapeOf(node.Inputs[0]);
            var output = g.ShapeOf(node.Outputs[0]);
            yield return (node.Name, output.N * output.H * output.W, input.C, output.C);
        }
    }

    public static IEnumerable<(string Layer, int H, int W, int C, int K, int Stride)> Depthwise(string model)
    {
        var g = ModelZoo.Build(model);
        foreach (var node in g.Nodes)
        {
            if (node.Op is not Conv2dOp conv || conv.Groups == 1 || conv.Groups != g.ShapeOf(node.Inputs[0]).C) continue;
            var input = g.ShapeOf(node.Inputs[0]);
            yield return (node.Name, input.H, input.W, input.C, conv.KernelH, conv.StrideH);
        }
    }
}
