using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;

namespace LightNets.Runtime.Plan.Steps.Int8;

/// <summary>One int8 1×1 convolution stage of an <see cref="Int8FusedDepthwiseStep"/>: its groups and requantizing epilogue.</summary>
internal sealed record Int8PointwiseStage(Int8GemmGroup[] Groups, Requantize Epilogue, string Description)
{
    public long MacsPerPixel => Groups.Sum(g => (long)g.Weights.K * g.Weights.N);
}

/// <summary>
/// The uint8 twin of <see cref="FusedDepthwiseStep"/>: an int8 depthwise convolution with the int8 1×1 convolutions
/// around it, in bands of output rows whose codes stay in L2. The optional expansion writes the input rows a band
/// needs into the thread's scratch (keeping the k − s rows the next band shares), the depthwise convolution writes the
/// band's codes, and the optional projection (with the residual add) reads them at once. Every stage requantizes onto
/// the grid the separate steps would write, so the result is byte-equal to running them one after another.
/// </summary>
internal sealed class Int8FusedDepthwiseStep : BandedDepthwiseStep
{
    private readonly QuantizedView _input;   // the expansion's input, or the depthwise input when there is none
    private readonly QuantizedView _output;
    private readonly QuantizedView? _residual;
    private readonly Int8PointwiseStage? _expand, _project;
    private readonly int _expandZero, _dwZero;  // zero points of the expansion's codes and of the depthwise codes
    private readonly DwConvShape _shape;
    private readonly int[] _dwWeights;
    private readonly Requantize _dwEpilogue;
    private readonly string _description;
    private readonly int _bandRows, _bandsPerImage, _maxParts, _stride;
    private readonly long _eBytes, _dBytes, _work;

    public Int8FusedDepthwiseStep(string name, IReadOnlyList<Node> nodes, QuantizedView input, QuantizedView output, QuantizedView? residual,
        Int8PointwiseStage? expand, int expandZero, DwConvShape shape, sbyte[] dwCodes, Requantize dwEpilogue, int dwZero, string dwDescription,
        Int8PointwiseStage? project, int threads) : base(name, nodes)
    {
        (_input, _output, _residual, _expand, _project, _expandZero, _dwZero, _shape) = (input, output, residual, expand, project, expandZero, dwZero, shape);
        _dwWeights = Int8DwConv.PackWeights(dwCodes, shape.C, shape.KH, shape.KW);
        _dwEpilogue = dwEpilogue;
        _description = string.Join(" → ", new[] { expand?.Description, dwDescription, project?.Description }.Where(d => d is not null));
        _stride = Padded(shape.C);
        _work = Work(shape, expand?.MacsPerPixel ?? 0, project?.MacsPerPixel ?? 0, output.View.Batch);
        (_bandRows, _bandsPerImage) = Banding(shape, expand is not null, project is not null, _stride, sizeof(byte), _work, output.View.Batch, threads);
        _eBytes = expand is null ? 0 : CacheLines((long)ExpansionRows(shape, _bandRows) * shape.W * _stride);
        _dBytes = project is null ? 0 : CacheLines((long)_bandRows * shape.OW * _stride);
        _maxParts = MaxParts(threads);
    }

    /// <summary>How much of the expansion row bands on <paramref name="threads"/> threads recompute (see <see cref="BandedDepthwiseStep"/>).</summary>
    public static double ExpansionRecompute(in DwConvShape shape, long expandMacsPerPixel, int batch, int threads)
    {
        var work = Work(shape, expandMacsPerPixel, 0, batch);
        return ExpansionRecompute(shape, Banding(shape, true, false, Padded(shape.C), sizeof(byte), work, batch, threads), work, batch, threads);
    }

    /// <summary>Bytes between scratch pixels: the channels, plus a cache line where rows would be a multiple of 4 KiB apart.</summary>
    private static int Padded(int c) => c % 1024 == 0 ? c + 64 : c;

    private static long CacheLines(long bytes) => (bytes + 63) & ~63L;

    public override string Describe() => _description;

    public override IEnumerable<TensorView> Operands()
    {
        yield return _input.View;
        yield return _output.View;
        if (_residual is not null) yield return _residual.View;
    }

    public override long ScratchFloats => QuantizedMemory.Floats(_maxParts * (_eBytes + _dBytes) + 64);

    private int Bands => _output.View.Batch * _bandsPerImage;

    public override int Parts(int threads) => PartsFor(_work, threads, Math.Min(Bands, _maxParts));

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Bands, part, parts);
        var arena = (byte*)(ctx.Arena + ScratchOffset);
        var e = arena + (-(nint)arena & 63) + part * (_eBytes + _dBytes);
        var d = e + _eBytes;
        var rowBytes = (long)_shape.W * _stride;
        var window = new ExpansionWindow();
        fixed (int* dw = _dwWeights)
        {
            for (var b = start; b < end; b++)
            {
                var n = b / _bandsPerImage;
                var r0 = b % _bandsPerImage * _bandRows;
                var rows = Math.Min(_bandRows, _shape.OH - r0);

                byte* dwIn;
                int dwInStride, dwInZero;
                if (_expand is null)
                {
                    dwIn = QuantizedMemory.Base(ctx, _input.View, n);
                    (dwInStride, dwInZero) = (_input.View.PixelStride, _input.ZeroPoint);
                }
                else
                {
                    var (first, last) = BandInputRows(_shape, r0, rows);
                    var (from, top) = window.Advance(n, first, last, e, rowBytes, _eBytes);
                    if (last > from)
                    {
                        var input = QuantizedMemory.Base(ctx, _input.View, n) + (long)from * _shape.W * _input.View.PixelStride;
                        Pointwise(_expand, input, _input.View.PixelStride, _input.ZeroPoint, e + (from - top) * rowBytes, _stride, null, 0, (last - from) * _shape.W);
                    }
                    // The kernel addresses input row y at dwIn + y·W·stride: shift E so that row `top` lands at its start.
                    dwIn = e - top * rowBytes;
                    (dwInStride, dwInZero) = (_stride, _expandZero);
                }

                var first0 = (long)r0 * _shape.OW;
                var output = QuantizedMemory.Base(ctx, _output.View, n);
                if (_project is null)
                {
                    Int8DwConv.Run(_shape, dwIn, dwInStride, dwInZero, dw, _dwEpilogue, 0, output, _output.View.PixelStride, r0, r0 + rows, ctx.Isa);
                    continue;
                }
                Int8DwConv.Run(_shape, dwIn, dwInStride, dwInZero, dw, _dwEpilogue, 0, d - first0 * _stride, _stride, r0, r0 + rows, ctx.Isa);
                var residual = _residual is null ? null : QuantizedMemory.Base(ctx, _residual.View, n) + first0 * _residual.View.PixelStride;
                Pointwise(_project, d, _stride, _dwZero, output + first0 * _output.View.PixelStride, _output.View.PixelStride,
                    residual, _residual?.View.PixelStride ?? 0, rows * _shape.OW);
            }
        }
    }

    private static unsafe void Pointwise(Int8PointwiseStage stage, byte* a, int lda, int zeroPoint, byte* c, int ldc, byte* r, int ldr, int rows)
    {
        foreach (var g in stage.Groups)
        {
            var args = new Int8GemmArgs
            {
                A = a + g.KOffset, Lda = lda, ZeroPointA = zeroPoint, C = c + g.NOffset, Ldc = ldc, Channel = g.NOffset,
                Residual = r == null ? null : r + g.NOffset, Ldr = ldr,
            };
            Int8Gemm.Run(g.Weights, args, stage.Epilogue, 0, rows, g.Weights.Isa);
        }
    }
}
