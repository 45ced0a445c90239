using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>
/// A depthwise convolution and the 1×1 convolution that reads it, fused in bands of rows: the depthwise output of a
/// band (a few rows, sized to stay in L2) goes to the thread's scratch and the 1×1 GEMM consumes it at once, so the
/// depthwise output never makes the round trip to memory. This is MobileNetV1's every layer, MobileNetV2/V3's
/// depthwise → projection, ShuffleNet's depthwise → 1×1 (grouped in V1). Epilogues as in <see cref="GemmStep"/>.
/// </summary>
internal sealed class DepthwisePointwiseStep : Step
{
    /// <summary>
    /// Most bytes of a band's depthwise output: inside a 1 MiB L2 beside a share of the weights. Bands are as few as
    /// that allows (each band re-reads the 1×1 weights, which for the 7×7 and 14×14 layers are the bigger operand),
    /// but at least one per thread when the layer is worth splitting.
    /// </summary>
    private const long BandBytes = 512 * 1024;

    private readonly TensorView _input;
    private readonly TensorView _output;
    private readonly TensorView? _residual;
    private readonly DwConvShape _shape;
    private readonly float[] _dwWeights;
    private readonly float[] _dwBias;
    private readonly FusedActivation _dwAct;
    private readonly GemmGroup[] _groups;
    private readonly FusedActivation _act;
    private readonly string _description;
    private readonly int _bandRows;
    private readonly int _bandStride; // floats per pixel in the band buffer
    private readonly int _bandsPerImage;
    private readonly int _maxParts;
    private readonly long _work;
    private readonly int _tile;

    public DepthwisePointwiseStep(string name, IReadOnlyList<Node> nodes, string description, TensorView input, TensorView output,
        TensorView? residual, DwConvShape shape, float[] dwWeights, float[] dwBias, FusedActivation dwAct,
        GemmGroup[] groups, FusedActivation act, int threads, Isa isa) : base(name, nodes)
    {
        _input = input;
        _output = output;
        _residual = residual;
        _shape = shape;
        _dwWeights = DwConv.PackWeights(dwWeights, shape.C, shape.KH, shape.KW);
        _dwBias = new float[DwConv.PackedChannels(shape.C)];
        dwBias.CopyTo(_dwBias, 0);
        _dwAct = dwAct;
        _groups = groups;
        _act = act;
        _description = description;
        _tile = GemmKernel.TileRows(isa);
        _bandStride = shape.C % 256 == 0 ? shape.C + 16 : shape.C;
        _work = (long)output.Batch * shape.OH * shape.OW * (shape.C * shape.KH * shape.KW + groups.Sum(g => (long)g.Weights.K * g.Weights.N));
        var imageBytes = (long)shape.OH * shape.OW * _bandStride * sizeof(float);
        var bands = (int)Math.Max((imageBytes + BandBytes - 1) / BandBytes, PartsFor(_work, threads, shape.OH) / output.Batch);
        _bandRows = (shape.OH + Math.Clamp(bands, 1, shape.OH) - 1) / Math.Clamp(bands, 1, shape.OH);
        _bandsPerImage = (shape.OH + _bandRows - 1) / _bandRows;
        _maxParts = Math.Max(1, 2 * threads);
    }

    public override string Describe() => _description;

    public override IEnumerable<TensorView> Operands()
    {
        yield return _input;
        yield return _output;
        if (_residual is not null) yield return _residual;
    }

    private long BandBufferFloats => (long)_bandRows * _shape.OW * _bandStride;

    public override long ScratchFloats => _maxParts * BandBufferFloats;

    private int Bands => _output.Batch * _bandsPerImage;

    public override int Parts(int threads) => PartsFor(_work, threads, Math.Min(Bands, _maxParts));

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Bands, part, parts);
        var band = ctx.Arena + ScratchOffset + part * BandBufferFloats;
        var pixelsPerRow = _shape.OW;
        fixed (float* dw = _dwWeights)
        fixed (float* dwBias = _dwBias)
        {
            for (var b = start; b < end; b++)
            {
                var n = b / _bandsPerImage;
                var r0 = b % _bandsPerImage * _bandRows;
                var rows = Math.Min(_bandRows, _shape.OH - r0);
                // The kernel addresses output row r at output + r·OW·stride: shift the band buffer so that row r0 lands at its start.
                DwConv.Run(_shape, ctx.Base(_input, n), _input.PixelStride, dw, dwBias, band - (long)r0 * pixelsPerRow * _bandStride, _bandStride,
                    r0, r0 + rows, _dwAct, ctx.Isa);
                var first = (long)r0 * pixelsPerRow;
                var c = ctx.Base(_output, n) + first * _output.PixelStride;
                var r = _residual is null ? null : ctx.Base(_residual, n) + first * _residual.PixelStride;
                foreach (var g in _groups)
                {
                    var w = g.Weights;
                    fixed (float* packed = w.Data)
                    fixed (float* bias = w.Bias)
                    fixed (int* index = g.KIndex)
                    {
                        var args = new GemmArgs
                        {
                            A = band + (index == null ? g.KOffset : 0), Lda = _bandStride, KIndex = index,
                            C = c + g.NOffset, Ldc = _output.PixelStride,
                            Residual = r == null ? null : r + g.NOffset, Ldr = _residual?.PixelStride ?? 0,
                            Activation = _act,
                        };
                        GemmKernel.Run(PanelSet.Of(w, packed, bias), args, 0, rows * pixelsPerRow, 0, w.Panels, ctx.Isa);
                    }
                }
            }
        }
    }
}
