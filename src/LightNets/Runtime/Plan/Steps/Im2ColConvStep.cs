using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>
/// Any other convolution (the 3×3 stem with C_in = 3, dense k×k layers): a tile of output pixels is unfolded into
/// im2col rows [pixels × (C_in/g)·kh·kw] in the thread's scratch, then multiplied by the packed weights with the
/// same micro-kernels and epilogue as a 1×1 convolution. The input may be the caller's NCHW tensor: im2col reads it
/// through the view's strides, so the model input needs no layout conversion.
/// </summary>
internal sealed class Im2ColConvStep : Step
{
    private const int RowsPerTile = 64;

    private readonly TensorView _input;
    private readonly TensorView _output;
    private readonly Conv2dOp _op;
    private readonly PackedMatrix[] _groups;
    private readonly FusedActivation _activation;
    private readonly int _threads;
    private readonly int _kPerGroup;
    private readonly string _description;

    public Im2ColConvStep(string name, IReadOnlyList<Node> nodes, string description, TensorView input, TensorView output,
        Conv2dOp op, PackedMatrix[] groups, FusedActivation activation, int threads) : base(name, nodes)
    {
        _input = input;
        _output = output;
        _op = op;
        _groups = groups;
        _activation = activation;
        _threads = threads;
        _description = description;
        _kPerGroup = input.Channels / op.Groups * op.KernelH * op.KernelW;
    }

    public override string Describe() => _description;

    public override IEnumerable<TensorView> Operands() => [_input, _output];

    public override long ScratchFloats => (long)_threads * RowsPerTile * _kPerGroup;

    private int Pixels => _output.Batch * _output.Height * _output.Width;

    public override int Parts(int threads) =>
        (long)Pixels * _kPerGroup * _output.Channels < 2_000_000 ? 1 : Math.Min(threads, (Pixels + RowsPerTile - 1) / RowsPerTile);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Pixels, part, parts, RowsPerTile);
        var scratch = ctx.Arena + ScratchOffset + (long)part * RowsPerTile * _kPerGroup;
        var inBase = ctx.Base(_input);
        var outBase = ctx.Base(_output);
        var cinPerGroup = _input.Channels / _op.Groups;
        var coutPerGroup = _output.Channels / _op.Groups;
        var ohw = _output.Height * _output.Width;
        for (var row = start; row < end; row += RowsPerTile)
        {
            var rows = Math.Min(RowsPerTile, end - row);
            for (var g = 0; g < _groups.Length; g++)
            {
                Unfold(inBase, scratch, row, rows, g * cinPerGroup, cinPerGroup, ohw);
                var w = _groups[g];
                fixed (float* packed = w.Data)
                fixed (float* bias = w.Bias)
                {
                    var n = row / ohw; // rows of one tile may span images: C is addressed per row below
                    var args = new GemmArgs
                    {
                        A = scratch, Lda = _kPerGroup, C = OutputRow(outBase, row, ohw) + g * coutPerGroup,
                        Ldc = _output.PixelStride, Activation = _activation,
                    };
                    if (_output.IsPixelMatrix || (row % ohw) + rows <= ohw)
                    {
                        GemmKernel.Run(new PanelSet(packed, bias, w.K, w.N, w.PanelWidth), args, 0, rows, 0, w.Panels, ctx.Isa);
                    }
                    else
                    {
                        // The tile crosses an image boundary of a non-contiguous output: one call per image part.
                        var first = ohw - row % ohw;
                        GemmKernel.Run(new PanelSet(packed, bias, w.K, w.N, w.PanelWidth), args, 0, first, 0, w.Panels, ctx.Isa);
                        var rest = args with { A = scratch + (long)first * _kPerGroup, C = OutputRow(outBase, row + first, ohw) + g * coutPerGroup };
                        GemmKernel.Run(new PanelSet(packed, bias, w.K, w.N, w.PanelWidth), rest, 0, rows - first, 0, w.Panels, ctx.Isa);
                    }
                    _ = n;
                }
            }
        }
    }

    private unsafe float* OutputRow(float* outBase, int row, int ohw)
    {
        var n = row / ohw;
        var p = row % ohw;
        return outBase + n * _output.BatchStride + (p / _output.Width) * _output.RowStride + (p % _output.Width) * (long)_output.PixelStride;
    }

    /// <summary>im2col for output pixels [row, row + rows): column (ci, ky, kx) = input(ci, oy·s − pad + ky·d, …) or 0.</summary>
    private unsafe void Unfold(float* input, float* dst, int row, int rows, int channelStart, int channels, int ohw)
    {
        var v = _input;
        var op = _op;
        for (var r = 0; r < rows; r++)
        {
            var pixel = row + r;
            var n = pixel / ohw;
            var oy = pixel % ohw / _output.Width;
            var ox = pixel % ohw % _output.Width;
            var image = input + n * v.BatchStride;
            var d = dst + (long)r * _kPerGroup;
            for (var ci = 0; ci < channels; ci++)
            {
                var plane = image + (long)v.ChannelStride * v.Physical(channelStart + ci);
                for (var ky = 0; ky < op.KernelH; ky++)
                {
                    var iy = oy * op.StrideH - op.Padding.Top + ky * op.DilationH;
                    for (var kx = 0; kx < op.KernelW; kx++)
                    {
                        var ix = ox * op.StrideW - op.Padding.Left + kx * op.DilationW;
                        *d++ = iy >= 0 && iy < v.Height && ix >= 0 && ix < v.Width ? plane[iy * v.RowStride + ix * (long)v.PixelStride] : 0f;
                    }
                }
            }
        }
    }
}
