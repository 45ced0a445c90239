using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>
/// Max or average pooling over NHWC (<see cref="Pool"/>): the ShuffleNets' 3×3/2 stem max pool and ShuffleNetV1's
/// average-pool shortcut, which writes straight into its slice of the concat buffer. Rows split across threads.
/// </summary>
internal sealed class PoolStep(string name, IReadOnlyList<Node> nodes, PoolOp op, TensorView input, TensorView output) : Step(name, nodes)
{
    private readonly PoolShape _shape = new(input.Height, input.Width, input.Channels, op.KernelH, op.KernelW, op.StrideH, op.StrideW,
        op.Padding.Top, op.Padding.Left, op.Padding.Bottom, op.Padding.Right, output.Height, output.Width);

    public override string Describe() => $"{(op is MaxPoolOp ? "maxpool" : "avgpool")} {op.KernelH}×{op.KernelW}/{op.StrideH}";

    public override IEnumerable<TensorView> Operands() => [input, output];

    private int Rows => output.Batch * output.Height;

    public override int Parts(int threads) =>
        PartsFor((long)Rows * output.Width * output.Channels * op.KernelH * op.KernelW, threads, Rows);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        for (var n = 0; n < output.Batch; n++)
        {
            var rowStart = Math.Max(start - n * output.Height, 0);
            var rowEnd = Math.Min(end - n * output.Height, output.Height);
            if (rowEnd <= rowStart) continue;
            if (op is AveragePoolOp avg)
                Pool.Average(_shape, avg.CountIncludePad, ctx.Base(input, n), input.PixelStride, ctx.Base(output, n), output.PixelStride, rowStart, rowEnd, ctx.Isa);
            else
                Pool.Max(_shape, ctx.Base(input, n), input.PixelStride, ctx.Base(output, n), output.PixelStride, rowStart, rowEnd, ctx.Isa);
        }
    }
}
