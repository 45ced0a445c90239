using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>
/// Any other convolution, above all the 3×3/2 stem with C_in = 3, as GEMM rows of output pixels. For pixels whose
/// window lies inside the input, the micro-kernel reads the input directly through a K offset table (tap (ci, ky, kx)
/// at ci·channel stride + ky·row stride + kx·pixel stride from the window's corner; consecutive pixels of a row are a
/// fixed stride apart), so no im2col buffer is built; only the padded border is unfolded into scratch. The input may
/// be the caller's NCHW tensor, read through its strides: the model input needs no layout conversion.
/// <para>
/// The unfolded border multiplies its padding cells, as zeros, by their weights, which adds exactly nothing only while
/// every weight is finite: 0·∞ and 0·NaN are NaN, where the reference skips the padding. A layer with a NaN or ±∞
/// weight (a corrupt or diverged model) computes its border pixels tap by tap instead, skipping the padding.
/// </para>
/// </summary>
internal sealed class Im2ColConvStep : Step
{
    private const int RowsPerTile = 64;

    private readonly TensorView _input;
    private readonly TensorView _output;
    private readonly Conv2dOp _op;
    private readonly PackedMatrix[] _groups;
    private readonly int[][] _offsets;
    private readonly FusedActivation _activation;
    private readonly int _threads;
    private readonly int _kPerGroup;
    private readonly string _description;
    private readonly int _xa, _xb; // output columns whose windows are inside the input horizontally
    private readonly bool _finiteWeights;

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
        var cinPerGroup = input.Channels / op.Groups;
        _kPerGroup = cinPerGroup * op.KernelH * op.KernelW;
        _offsets = new int[op.Groups][];
        for (var g = 0; g < op.Groups; g++)
        {
            var table = new int[_kPerGroup];
            var i = 0;
            for (var ci = 0; ci < cinPerGroup; ci++)
                for (var ky = 0; ky < op.KernelH; ky++)
                    for (var kx = 0; kx < op.KernelW; kx++)
                        table[i++] = checked((int)((long)input.ChannelStride * input.Physical(g * cinPerGroup + ci)
                            + ky * op.DilationH * input.RowStride + (long)kx * op.DilationW * input.PixelStride));
            _offsets[g] = table;
        }
        (_xa, _xb) = Inside(output.Width, input.Width, op.StrideW, op.Padding.Left, op.KernelW, op.DilationW);
        _finiteWeights = groups.All(g => g.IsFinite);
    }

    /// <summary>The output positions [a, b) whose windows need no padding along one axis.</summary>
    private static (int, int) Inside(int outSize, int inSize, int stride, int pad, int kernel, int dilation)
    {
        var a = (pad + stride - 1) / stride;
        var b = 0;
        for (var o = outSize - 1; o >= 0; o--)
        {
            if (o * stride - pad + (kernel - 1) * dilation < inSize) { b = o + 1; break; }
        }
        return (Math.Min(a, outSize), Math.Max(Math.Min(b, outSize), Math.Min(a, outSize)));
    }

    public override string Describe() => _description;

    public override IEnumerable<TensorView> Operands() => [_input, _output];

    /// <summary>A tile of unfolded rows per part; <see cref="Parts"/> never cuts more parts than this holds.</summary>
    public override long ScratchFloats => (long)MaxParts * RowsPerTile * _kPerGroup;

    private int MaxParts => 2 * _threads;

    private int Rows => _output.Batch * _output.Height;

    public override int Parts(int threads) =>
        PartsFor((long)Rows * _output.Width * _kPerGroup * _output.Channels, threads, Math.Min(Rows, MaxParts));

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        var scratch = ctx.Arena + ScratchOffset + (long)part * RowsPerTile * _kPerGroup;
        var (ya, yb) = Inside(_output.Height, _input.Height, _op.StrideH, _op.Padding.Top, _op.KernelH, _op.DilationH);
        for (var row = start; row < end; row++)
        {
            var n = row / _output.Height;
            var oy = row % _output.Height;
            if (oy >= ya && oy < yb && _xb > _xa)
            {
                Border(ctx, scratch, n, oy, 0, _xa);
                Direct(ctx, n, oy, _xa, _xb);
                Border(ctx, scratch, n, oy, _xb, _output.Width);
            }
            else
            {
                Border(ctx, scratch, n, oy, 0, _output.Width);
            }
        }
    }

    /// <summary>Output pixels [x0, x1) of row oy whose windows are inside the input: A read in place through the offset table.</summary>
    private unsafe void Direct(in RunContext ctx, int n, int oy, int x0, int x1)
    {
        var iy = oy * _op.StrideH - _op.Padding.Top;
        var ix = x0 * _op.StrideW - _op.Padding.Left;
        var a = ctx.Base(_input, n) + iy * _input.RowStride + (long)ix * _input.PixelStride;
        for (var g = 0; g < _groups.Length; g++)
        {
            var w = _groups[g];
            fixed (float* packed = w.Data)
            fixed (float* bias = w.Bias)
            fixed (int* offsets = _offsets[g])
            {
                var args = new GemmArgs
                {
                    A = a, Lda = (nint)_op.StrideW * _input.PixelStride, KIndex = offsets,
                    C = OutputPixel(ctx, n, oy, x0) + g * w.N, Ldc = _output.PixelStride, Activation = _activation,
                };
                GemmKernel.Run(PanelSet.Of(w, packed, bias), args, 0, x1 - x0, 0, w.Panels, ctx.Isa);
            }
        }
    }

    /// <summary>Output pixels [x0, x1) of row oy whose windows reach into the padding.</summary>
    private unsafe void Border(in RunContext ctx, float* scratch, int n, int oy, int x0, int x1)
    {
        if (_finiteWeights) Unfolded(ctx, scratch, n, oy, x0, x1);
        else TapByTap(ctx, n, oy, x0, x1);
    }

    /// <summary>
    /// Output pixels [x0, x1) of row oy as the reference computes them: the in-bounds taps summed in (ci, ky, kx) order,
    /// the padding skipped, then the bias and the activation. Only for weights that are not all finite.
    /// </summary>
    private unsafe void TapByTap(in RunContext ctx, int n, int oy, int x0, int x1)
    {
        var v = _input;
        var op = _op;
        var image = ctx.Base(v, n);
        var channels = v.Channels / op.Groups;
        for (var ox = x0; ox < x1; ox++)
        {
            var output = OutputPixel(ctx, n, oy, ox);
            for (var g = 0; g < _groups.Length; g++)
            {
                var w = _groups[g];
                for (var co = 0; co < w.N; co++)
                {
                    var acc = 0f;
                    var k = 0;
                    for (var ci = 0; ci < channels; ci++)
                    {
                        var plane = image + (long)v.ChannelStride * v.Physical(g * channels + ci);
                        for (var ky = 0; ky < op.KernelH; ky++)
                        {
                            var iy = oy * op.StrideH - op.Padding.Top + ky * op.DilationH;
                            for (var kx = 0; kx < op.KernelW; kx++, k++)
                            {
                                var ix = ox * op.StrideW - op.Padding.Left + kx * op.DilationW;
                                if (iy >= 0 && iy < v.Height && ix >= 0 && ix < v.Width)
                                    acc += plane[iy * v.RowStride + ix * (long)v.PixelStride] * w.At(k, co);
                            }
                        }
                    }
                    output[g * w.N + co] = Activations.Apply(acc + w.Bias[co], _activation);
                }
            }
        }
    }

    /// <summary>Output pixels [x0, x1) of row oy through an im2col tile in scratch (the padded border).</summary>
    private unsafe void Unfolded(in RunContext ctx, float* scratch, int n, int oy, int x0, int x1)
    {
        for (var x = x0; x < x1; x += RowsPerTile)
        {
            var count = Math.Min(RowsPerTile, x1 - x);
            for (var g = 0; g < _groups.Length; g++)
            {
                Unfold(ctx.Base(_input, n), scratch, oy, x, count, g * (_input.Channels / _op.Groups));
                var w = _groups[g];
                fixed (float* packed = w.Data)
                fixed (float* bias = w.Bias)
                {
                    var args = new GemmArgs
                    {
                        A = scratch, Lda = _kPerGroup, C = OutputPixel(ctx, n, oy, x) + g * w.N, Ldc = _output.PixelStride,
                        Activation = _activation,
                    };
                    GemmKernel.Run(PanelSet.Of(w, packed, bias), args, 0, count, 0, w.Panels, ctx.Isa);
                }
            }
        }
    }

    private unsafe float* OutputPixel(in RunContext ctx, int n, int oy, int ox) =>
        ctx.Base(_output, n) + oy * _output.RowStride + (long)ox * _output.PixelStride;

    /// <summary>im2col row for each output pixel: column (ci, ky, kx) = input(ci, oy·s − pad + ky·d, ox·s − pad + kx·d) or 0.</summary>
    private unsafe void Unfold(float* image, float* dst, int oy, int ox0, int count, int channelStart)
    {
        var v = _input;
        var op = _op;
        var channels = v.Channels / op.Groups;
        for (var r = 0; r < count; r++)
        {
            var ox = ox0 + r;
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
