using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>One 1×1 convolution stage of a <see cref="FusedDepthwiseStep"/>: its groups and epilogue.</summary>
internal sealed record PointwiseStage(GemmGroup[] Groups, FusedActivation Activation, string Description)
{
    public long MacsPerPixel => Groups.Sum(g => (long)g.Weights.K * g.Weights.N);
}

/// <summary>
/// A depthwise convolution with the 1×1 convolutions around it, in bands of output rows so that the wide tensors
/// between them stay in L2 and never make the round trip to memory: an optional expansion (the 1×1 before: MobileNetV2/V3's
/// expand, ShuffleNet's first branch conv) computes just the input rows the band needs into the thread's scratch, keeping
/// the rows the next band shares (k − s of them) instead of recomputing them; the depthwise convolution writes the band;
/// an optional projection (the 1×1 after, with the residual add) consumes it at once. Without a projection the band is
/// written to the output (an SE block needs the whole depthwise output before its projection).
/// </summary>
internal sealed class FusedDepthwiseStep : BandedDepthwiseStep
{
    private readonly TensorView _input;   // the expansion's input, or the depthwise input when there is none
    private readonly TensorView _output;
    private readonly TensorView? _residual;
    private readonly PointwiseStage? _expand;
    private readonly PointwiseStage? _project;
    private readonly DwConvShape _shape;
    private readonly float[] _dwWeights;
    private readonly float[] _dwBias;
    private readonly FusedActivation _dwAct;
    private readonly string _description;
    private readonly int _bandRows, _bandsPerImage, _maxParts;
    private readonly int _eStride, _eRows, _dStride;
    private readonly long _work;

    public FusedDepthwiseStep(string name, IReadOnlyList<Node> nodes, TensorView input, TensorView output, TensorView? residual,
        PointwiseStage? expand, DwConvShape shape, float[] dwWeights, float[] dwBias, FusedActivation dwAct, string dwDescription,
        PointwiseStage? project, int threads) : base(name, nodes)
    {
        _input = input;
        _output = output;
        _residual = residual;
        _expand = expand;
        _project = project;
        _shape = shape;
        _dwWeights = DwConv.PackWeights(dwWeights, shape.C, shape.KH, shape.KW);
        _dwBias = new float[DwConv.PackedChannels(shape.C)];
        dwBias.CopyTo(_dwBias, 0);
        _dwAct = dwAct;
        _description = string.Join(" → ", new[] { expand?.Description, dwDescription, project?.Description }.Where(d => d is not null));
        _eStride = Padded(shape.C);
        _dStride = Padded(shape.C);
        _work = Work(shape, expand, project, output.Batch);
        (_bandRows, _bandsPerImage) = Banding(shape, expand, project, output.Batch, threads);
        _eRows = ExpansionRows(shape, _bandRows);
        _maxParts = MaxParts(threads);
    }

    private static long Work(in DwConvShape shape, PointwiseStage? expand, PointwiseStage? project, int batch) =>
        Work(shape, expand?.MacsPerPixel ?? 0, project?.MacsPerPixel ?? 0, batch);

    private static (int BandRows, int BandsPerImage) Banding(in DwConvShape shape, PointwiseStage? expand, PointwiseStage? project, int batch, int threads) =>
        Banding(shape, expand is not null, project is not null, Padded(shape.C), sizeof(float), Work(shape, expand, project, batch), batch, threads);

    /// <summary>How much of the expansion row bands on <paramref name="threads"/> threads recompute (see <see cref="BandedDepthwiseStep"/>).</summary>
    public static double ExpansionRecompute(in DwConvShape shape, PointwiseStage expand, PointwiseStage? project, int batch, int threads) =>
        ExpansionRecompute(shape, Banding(shape, expand, project, batch, threads), Work(shape, expand, project, batch), batch, threads);

    /// <summary>Pixel stride of scratch rows: channels, plus 16 floats where rows would be a multiple of 1 KiB apart.</summary>
    private static int Padded(int c) => c % 256 == 0 ? c + 16 : c;

    public override string Describe() => _description;

    public override IEnumerable<TensorView> Operands()
    {
        yield return _input;
        yield return _output;
        if (_residual is not null) yield return _residual;
    }

    private long EFloats => _expand is null ? 0 : (long)_eRows * _shape.W * _eStride;
    private long DFloats => _project is null ? 0 : (long)_bandRows * _shape.OW * _dStride;

    public override bool CanPrefetch => true;

    public override long ScratchFloats => _maxParts * (EFloats + DFloats);

    private int Bands => _output.Batch * _bandsPerImage;

    public override int Parts(int threads) => PartsFor(_work, threads, Math.Min(Bands, _maxParts));

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Bands, part, parts);
        var e = ctx.Arena + ScratchOffset + part * (EFloats + DFloats);
        var d = e + EFloats;
        var window = new ExpansionWindow();
        var (prefetch, prefetchBytes) = Prefetch.Share(part, parts);
        var perBand = end > start ? prefetchBytes / (end - start) : 0;
        fixed (float* dw = _dwWeights)
        fixed (float* dwBias = _dwBias)
        {
            for (var b = start; b < end; b++)
            {
                var n = b / _bandsPerImage;
                var r0 = b % _bandsPerImage * _bandRows;
                var rows = Math.Min(_bandRows, _shape.OH - r0);

                float* dwIn;
                int dwInStride;
                if (_expand is null)
                {
                    dwIn = ctx.Base(_input, n);
                    dwInStride = _input.PixelStride;
                }
                else
                {
                    // Input rows the band's windows touch, clipped to the image.
                    var (first, last) = BandInputRows(_shape, r0, rows);
                    var rowFloats = (long)_shape.W * _eStride;
                    var (from, top) = window.Advance(n, first, last, (byte*)e, rowFloats * sizeof(float), EFloats * sizeof(float));
                    if (last > from)
                        Pointwise(ctx, _expand, ctx.Base(_input, n) + (long)from * _shape.W * _input.PixelStride, _input.PixelStride,
                            e + (from - top) * rowFloats, _eStride, null, 0, (last - from) * _shape.W,
                            _project is null ? (byte*)prefetch + (b - start) * perBand : null, _project is null ? perBand : 0);
                    // The kernel addresses input row y at dwIn + y·W·stride: shift E so that row `top` lands at its start.
                    dwIn = e - top * rowFloats;
                    dwInStride = _eStride;
                }

                var first0 = (long)r0 * _shape.OW;
                if (_project is null)
                {
                    DwConv.Run(_shape, dwIn, dwInStride, dw, dwBias, ctx.Base(_output, n), _output.PixelStride, r0, r0 + rows, _dwAct, ctx.Isa);
                    continue;
                }
                DwConv.Run(_shape, dwIn, dwInStride, dw, dwBias, d - first0 * _dStride, _dStride, r0, r0 + rows, _dwAct, ctx.Isa);
                Pointwise(ctx, _project, d, _dStride, ctx.Base(_output, n) + first0 * _output.PixelStride, _output.PixelStride,
                    _residual is null ? null : ctx.Base(_residual, n) + first0 * _residual.PixelStride, _residual?.PixelStride ?? 0, rows * _shape.OW,
                    (byte*)prefetch + (b - start) * perBand, perBand);
            }
        }
    }

    private static unsafe void Pointwise(in RunContext ctx, PointwiseStage stage, float* a, int lda, float* c, int ldc, float* r, int ldr, int rows,
        byte* prefetch, long prefetchBytes)
    {
        foreach (var g in stage.Groups)
        {
            var w = g.Weights;
            fixed (float* packed = w.Data)
            fixed (float* bias = w.Bias)
            fixed (int* index = g.KIndex)
            {
                var args = new GemmArgs
                {
                    A = a + (index == null ? g.KOffset : 0), Lda = lda, KIndex = index,
                    C = c + g.NOffset, Ldc = ldc, Residual = r == null ? null : r + g.NOffset, Ldr = ldr,
                    Activation = stage.Activation, Prefetch = prefetch, PrefetchBytes = prefetchBytes,
                };
                prefetchBytes = 0;
                GemmKernel.Run(PanelSet.Of(w, packed, bias), args, 0, rows, 0, w.Panels, ctx.Isa);
            }
        }
    }
}
