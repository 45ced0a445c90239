using System.Runtime.Intrinsics;
using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>
/// Max or average pooling over NHWC, channel vectors per output pixel (the ShuffleNets' 3×3/2 stem max pool and
/// ShuffleNetV1's average-pool shortcut, which writes straight into its concat slice). Semantics as
/// <see cref="PoolOp"/>: padding never wins a max; an average divides by the window cells inside the padded input
/// (count_include_pad) or inside the input.
/// </summary>
internal sealed class PoolStep(string name, IReadOnlyList<Node> nodes, PoolOp op, TensorView input, TensorView output, FusedActivation act)
    : Step(name, nodes)
{
    public override string Describe() =>
        $"{(op is MaxPoolOp ? "maxpool" : "avgpool")} {op.KernelH}×{op.KernelW}/{op.StrideH}{(act == FusedActivation.None ? "" : " + act")}";

    public override IEnumerable<TensorView> Operands() => [input, output];

    private int Rows => output.Batch * output.Height;

    public override int Parts(int threads) => (long)Rows * output.Width * output.Channels * op.KernelH * op.KernelW < 1_000_000 ? 1 : Math.Min(threads, Rows);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        var isMax = op is MaxPoolOp;
        var includePad = op is AveragePoolOp { CountIncludePad: true };
        var c = input.Channels;
        for (var row = start; row < end; row++)
        {
            var n = row / output.Height;
            var oy = row % output.Height;
            var src = ctx.Base(input, n);
            var dst = ctx.Base(output, n) + oy * output.RowStride;
            var y0 = oy * op.StrideH - op.Padding.Top;
            var y1 = Math.Min(y0 + op.KernelH, input.Height + op.Padding.Bottom);
            var ya = Math.Max(y0, 0);
            var yb = Math.Min(y1, input.Height);
            for (var ox = 0; ox < output.Width; ox++)
            {
                var x0 = ox * op.StrideW - op.Padding.Left;
                var x1 = Math.Min(x0 + op.KernelW, input.Width + op.Padding.Right);
                var xa = Math.Max(x0, 0);
                var xb = Math.Min(x1, input.Width);
                var count = includePad ? (y1 - y0) * (x1 - x0) : (yb - ya) * (xb - xa);
                var inv = 1f / Math.Max(count, 1);
                var d = dst + (long)ox * output.PixelStride;
                var ch = 0;
                if (ctx.Isa == Isa.V512)
                {
                    for (; ch + 16 <= c; ch += 16)
                    {
                        var v = isMax ? Vector512.Create(float.NegativeInfinity) : Vector512<float>.Zero;
                        for (var y = ya; y < yb; y++)
                            for (var x = xa; x < xb; x++)
                            {
                                var s = Vector512.Load(src + y * input.RowStride + (long)x * input.PixelStride + ch);
                                v = isMax ? Vector512.Max(v, s) : v + s;
                            }
                        Activations.Apply(isMax ? v : v * inv, act).Store(d + ch);
                    }
                }
                if (ctx.Isa >= Isa.V256)
                {
                    for (; ch + 8 <= c; ch += 8)
                    {
                        var v = isMax ? Vector256.Create(float.NegativeInfinity) : Vector256<float>.Zero;
                        for (var y = ya; y < yb; y++)
                            for (var x = xa; x < xb; x++)
                            {
                                var s = Vector256.Load(src + y * input.RowStride + (long)x * input.PixelStride + ch);
                                v = isMax ? Vector256.Max(v, s) : v + s;
                            }
                        Activations.Apply(isMax ? v : v * inv, act).Store(d + ch);
                    }
                }
                for (; ch < c; ch++)
                {
                    var v = isMax ? float.NegativeInfinity : 0f;
                    for (var y = ya; y < yb; y++)
                        for (var x = xa; x < xb; x++)
                        {
                            var s = src[y * input.RowStride + (long)x * input.PixelStride + ch];
                            v = isMax ? MathF.Max(v, s) : v + s;
                        }
                    d[ch] = Activations.Apply(isMax ? v : v * inv, act);
                }
            }
        }
    }
}
