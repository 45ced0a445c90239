using System.Runtime.Intrinsics;
using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>Global average pooling NHWC → N×C: per channel, the sum over H·W pixels times 1/(H·W).</summary>
internal sealed class GlobalPoolStep(string name, IReadOnlyList<Node> nodes, TensorView input, TensorView output) : Step(name, nodes)
{
    public override string Describe() => "global avgpool";

    public override IEnumerable<TensorView> Operands() => [input, output];

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var pixels = input.Height * input.Width;
        var inv = 1f / pixels;
        var channels = input.Channels;
        for (var n = 0; n < input.Batch; n++)
        {
            var src = ctx.Base(input, n);
            var dst = ctx.Base(output, n);
            var c = 0;
            if (ctx.Isa == Isa.V512)
            {
                for (; c + 16 <= channels; c += 16)
                {
                    var acc = Vector512<float>.Zero;
                    for (var p = 0; p < pixels; p++) acc += Vector512.Load(src + (long)p * input.PixelStride + c);
                    (acc * inv).Store(dst + c);
                }
            }
            if (ctx.Isa >= Isa.V256)
            {
                for (; c + 8 <= channels; c += 8)
                {
                    var acc = Vector256<float>.Zero;
                    for (var p = 0; p < pixels; p++) acc += Vector256.Load(src + (long)p * input.PixelStride + c);
                    (acc * inv).Store(dst + c);
                }
            }
            for (; c < channels; c++)
            {
                var acc = 0f;
                for (var p = 0; p < pixels; p++) acc += src[(long)p * input.PixelStride + c];
                dst[c] = acc * inv;
            }
        }
    }
}
