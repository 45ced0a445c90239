using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>Softmax over the channels of each pixel (the classes of each image): exp(x − max) / Σ exp(x − max).</summary>
internal sealed class SoftmaxStep(string name, IReadOnlyList<Node> nodes, TensorView input, TensorView output) : Step(name, nodes)
{
    public override string Describe() => "softmax";

    public override IEnumerable<TensorView> Operands() => [input, output];

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var pixels = input.Batch * input.Height * input.Width;
        var src = ctx.Base(input);
        var dst = ctx.Base(output);
        for (var p = 0; p < pixels; p++)
            Elementwise.Softmax(src + (long)p * input.PixelStride, dst + (long)p * output.PixelStride, input.Channels, ctx.Isa);
    }
}
