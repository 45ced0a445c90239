using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>Global average pooling NHWC → N×C (<see cref="Pool.GlobalAverage"/>).</summary>
internal sealed class GlobalPoolStep(string name, IReadOnlyList<Node> nodes, TensorView input, TensorView output) : Step(name, nodes)
{
    public override string Describe() => "global avgpool";

    public override IEnumerable<TensorView> Operands() => [input, output];

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        // One image at a time: the output of image n is its own C-float row (N×1×1×C).
        for (var n = 0; n < input.Batch; n++)
            Pool.GlobalAverage(ctx.Base(input, n), 1, input.BatchStride, input.Height * input.Width, input.Channels, input.PixelStride, ctx.Base(output, n), ctx.Isa);
    }
}
