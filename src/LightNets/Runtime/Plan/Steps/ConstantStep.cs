using LightNets.Runtime.Compiler;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>
/// Writes an initializer into its arena view, every run: a constant that an op reads as data through a view (an
/// imported graph's constant feature map fed to a Concat, a convolution or a pool). Rare, and small; the element-wise
/// ops read their constants in place instead. The constant is NCHW row-major, the view any layout of the same shape.
/// </summary>
internal sealed class ConstantStep(string name, float[] nchw, TensorView target) : Step(name, [])
{
    public override string Describe() => $"load constant ({nchw.Length} floats)";

    public override IEnumerable<TensorView> Operands() => [target];

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var t = target;
        var dst = ctx.Base(t);
        var i = 0;
        for (var n = 0; n < t.Batch; n++)
            for (var c = 0; c < t.Channels; c++)
                for (var y = 0; y < t.Height; y++)
                    for (var x = 0; x < t.Width; x++)
                        dst[n * t.BatchStride + y * t.RowStride + (long)x * t.PixelStride + (long)t.Physical(c) * t.ChannelStride] = nchw[i++];
    }
}
