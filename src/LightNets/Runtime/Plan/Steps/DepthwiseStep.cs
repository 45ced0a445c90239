using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>A depthwise convolution over NHWC with fused bias (folded BN) and activation; rows split across threads.</summary>
internal sealed class DepthwiseStep : Step
{
    private readonly TensorView _input;
    private readonly TensorView _output;
    private readonly DwConvShape _shape;
    private readonly float[] _weights;
    private readonly float[] _bias;
    private readonly FusedActivation _act;
    private readonly string _description;

    public DepthwiseStep(string name, IReadOnlyList<Node> nodes, string description, TensorView input, TensorView output,
        Conv2dOp op, float[] weights, float[] bias, FusedActivation act) : base(name, nodes)
    {
        _input = input;
        _output = output;
        _description = description;
        _act = act;
        _shape = new DwConvShape(input.Height, input.Width, input.Channels, op.KernelH, op.KernelW, op.StrideH, op.StrideW,
            op.Padding.Top, op.Padding.Left, output.Height, output.Width);
        _weights = DwConv.PackWeights(weights, input.Channels, op.KernelH, op.KernelW);
        _bias = new float[DwConv.PackedChannels(input.Channels)];
        bias.CopyTo(_bias, 0);
    }

    public override string Describe() => _description;

    public override IEnumerable<TensorView> Operands() => [_input, _output];

    private int Rows => _output.Batch * _output.Height;

    public override int Parts(int threads) =>
        PartsFor((long)Rows * _output.Width * _output.Channels * _shape.KH * _shape.KW, threads, Rows);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        fixed (float* w = _weights)
        fixed (float* b = _bias)
        {
            for (var n = 0; n < _output.Batch; n++)
            {
                var rowStart = Math.Max(start - n * _output.Height, 0);
                var rowEnd = Math.Min(end - n * _output.Height, _output.Height);
                if (rowEnd <= rowStart) continue;
                DwConv.Run(_shape, ctx.Base(_input, n), _input.PixelStride, w, b, ctx.Base(_output, n), _output.PixelStride,
                    rowStart, rowEnd, _act, ctx.Isa);
            }
        }
    }
}
