using LightNets.Graphs;
using LightNets.Runtime.Compiler;

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
        {
            var s = src + (long)p * input.PixelStride;
            var d = dst + (long)p * output.PixelStride;
            var max = float.NegativeInfinity;
            for (var c = 0; c < input.Channels; c++) max = MathF.Max(max, s[c]);
            var sum = 0f;
            for (var c = 0; c < input.Channels; c++)
            {
                d[c] = MathF.Exp(s[c] - max);
                sum += d[c];
            }
            var inv = 1f / sum;
            for (var c = 0; c < input.Channels; c++) d[c] *= inv;
        }
    }
}
