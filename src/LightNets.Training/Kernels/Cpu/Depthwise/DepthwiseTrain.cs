using System.Runtime.Intrinsics;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Threading;

namespace LightNets.Training.Kernels.Cpu.Depthwise;

/// <summary>
/// Depthwise convolution (Groups = Cin = Cout) in training, on NHWC batches and PyTorch's [C, 1, KH, KW] weights,
/// packed per call tap-major into scratch (<see cref="DwConv.PackWeights(ReadOnlySpan{float}, int, int, int, Span{float})"/>:
/// one vector load per tap and channel block). Every loop runs over channel vectors, the last block masked:
/// <list type="bullet">
/// <item>forward (f32-dwconv-train-fwd): the inference kernels (<see cref="DwConv"/>, register-tiled for 3- and 5-wide
/// windows) image by image when the dilation is 1, else a direct loop (<see cref="DepthwiseLoops.Forward{TV, TS}"/>);</item>
/// <item>backward-data (f32-dwconv-train-bwd-data): the transposed convolution as a gather per input pixel over the taps
/// that read it, in the reference's order, so the result is bit-identical to it;</item>
/// <item>backward-weight (f32-dwconv-train-bwd-weight): per output row, each row of taps accumulated in registers over
/// the row's pixels, added into a per-part tap-major partial; the sum over rows is cut into segments fixed by the
/// shape, so the result is the same for every thread count.</item>
/// </list>
/// Work items are created once and reused; one call at a time per instance.
/// </summary>
internal sealed unsafe class DepthwiseTrain
{
    private readonly ForwardWork _forward = new();
    private readonly DataWork _data = new();
    private readonly WeightWork _weight = new();

    /// <summary>Floats of packed weights: KH·KW taps of C rounded up to 16.</summary>
    public static long PackedFloats(in ConvShape s) => Partition.Align((long)s.KH * s.KW * DwConv.PackedChannels(s.Cin));

    public static void Pack(in ConvShape s, float* w, float* packed) =>
        DwConv.PackWeights(new ReadOnlySpan<float>(w, s.Cin * s.KH * s.KW), s.Cin, s.KH, s.KW,
            new Span<float>(packed, s.KH * s.KW * DwConv.PackedChannels(s.Cin)));

    public static long ForwardScratch(in ConvShape s) => PackedFloats(s);

    public void Forward(TrainContext ctx, in ConvShape s, float* x, float* w, float* bias, float* y, float* scratch)
    {
        Pack(s, w, scratch);
        var f = _forward;
        f.S = s;
        f.X = x;
        f.Packed = scratch;
        f.Bias = bias;
        f.Y = y;
        f.Isa = ctx.Isa;
        var rows = s.N * s.OutH;
        ctx.Run(f, Partition.Parts(s.OutputLength * s.KH * s.KW, ctx.Threads, rows));
    }

    /// <summary>Scratch of <see cref="BackwardData"/>: packed weights and, per input row and column, the taps that read it.</summary>
    public static long BackwardDataScratch(in ConvShape s) =>
        PackedFloats(s) + Partition.Align((long)s.H * (1 + 2 * s.KH)) + Partition.Align((long)s.W * (1 + 2 * s.KW));

    public void BackwardData(TrainContext ctx, in ConvShape s, float* dy, float* w, float* dx, float* scratch)
    {
        Pack(s, w, scratch);
        var rowTaps = (int*)(scratch + PackedFloats(s));
        var colTaps = rowTaps + Partition.Align((long)s.H * (1 + 2 * s.KH));
        TapTable(s.H, s.KH, s.StrideH, s.PadTop, s.DilationH, s.OutH, rowTaps);
        TapTable(s.W, s.KW, s.StrideW, s.PadLeft, s.DilationW, s.OutW, colTaps);
        var d = _data;
        d.S = s;
        d.Dy = dy;
        d.Packed = scratch;
        d.Dx = dx;
        d.RowTaps = rowTaps;
        d.ColTaps = colTaps;
        d.Isa = ctx.Isa;
        ctx.Run(d, Partition.Parts(s.InputLength * s.KH * s.KW, ctx.Threads, s.N * s.H));
    }

    /// <summary>
    /// For each input index i &lt; size, the window taps that read it as (tap k, output o) pairs in increasing o:
    /// entry i holds its count then the pairs (1 + 2·taps ints).
    /// </summary>
    private static void TapTable(int size, int taps, int stride, int pad, int dilation, int outSize, int* table)
    {
        var entry = 1 + 2 * taps;
        for (var i = 0; i < size; i++)
        {
            var e = table + i * entry;
            var count = 0;
            // o = (i + pad − k·dilation) / stride grows as k falls: walk k downwards for increasing o.
            for (var k = taps - 1; k >= 0; k--)
            {
                var t = i + pad - k * dilation;
                if (t < 0 || t % stride != 0 || t / stride >= outSize) continue;
                e[1 + 2 * count] = k;
                e[2 + 2 * count] = t / stride;
                count++;
            }
            e[0] = count;
        }
    }

    /// <summary>How <see cref="BackwardWeight"/> cuts the sum over output rows: segments fixed by the shape × channel groups.</summary>
    public readonly struct WeightPlan
    {
        public WeightPlan(in ConvShape s, int threads)
        {
            Cp = DwConv.PackedChannels(s.Cin);
            Blocks = Cp / 16;
            Taps = s.KH * s.KW;
            Segments = Partition.ReductionSegments((long)s.N * s.OutH * s.OutW, 16 / Math.Max(1, Blocks));
            Groups = Math.Clamp((Partition.Parts(s.OutputLength * Taps, threads, int.MaxValue) + Segments - 1) / Segments, 1, Blocks);
            ScratchFloats = Partition.Align((long)Segments * Taps * Cp);
        }

        public int Cp { get; }
        public int Blocks { get; }
        public int Taps { get; }
        public int Segments { get; }
        public int Groups { get; }
        public long ScratchFloats { get; }
    }

    /// <summary>dw[c, 0, ky, kx] = Σ over pixels of dy·x (overwritten).</summary>
    public void BackwardWeight(TrainContext ctx, in ConvShape s, in WeightPlan plan, float* x, float* dy, float* dw, float* scratch)
    {
        var wk = _weight;
        wk.S = s;
        wk.Plan = plan;
        wk.X = x;
        wk.Dy = dy;
        wk.Partials = scratch;
        wk.Isa = ctx.Isa;
        ctx.Run(wk, plan.Segments * plan.Groups);
        // Sum the segments in order and transpose tap-major to [C, KH·KW].
        var stride = (nint)plan.Taps * plan.Cp;
        for (var c = 0; c < s.Cin; c++)
        {
            for (var t = 0; t < plan.Taps; t++)
            {
                var p = scratch + (nint)t * plan.Cp + c;
                var sum = p[0];
                for (var seg = 1; seg < plan.Segments; seg++) sum += p[seg * stride];
                dw[c * plan.Taps + t] = sum;
            }
        }
    }

    private sealed class ForwardWork : IParallelWork
    {
        public ConvShape S;
        public float* X;
        public float* Packed;
        public float* Bias;
        public float* Y;
        public Isa Isa;

        public void Execute(int part, int parts)
        {
            var s = S;
            var (start, end) = Partition.Share(s.N * s.OutH, part, parts);
            var dw = new DwConvShape(s.H, s.W, s.Cin, s.KH, s.KW, s.StrideH, s.StrideW, s.PadTop, s.PadLeft, s.OutH, s.OutW);
            var imageIn = (nint)s.H * s.W * s.Cin;
            var imageOut = (nint)s.OutH * s.OutW * s.Cin;
            for (var row = start; row < end;)
            {
                var n = row / s.OutH;
                var oy = row - n * s.OutH;
                var stop = Math.Min(end - n * s.OutH, s.OutH);
                if (s.DilationH == 1 && s.DilationW == 1)
                    DwConv.Run(dw, X + n * imageIn, s.Cin, Packed, Bias, Y + n * imageOut, s.Cin, oy, stop, FusedActivation.None, Isa);
                else
                {
                    switch (Isa)
                    {
                        case Isa.V512: DepthwiseLoops.Forward<Vector512<float>, Simd512>(s, X + n * imageIn, Packed, Bias, Y + n * imageOut, oy, stop); break;
                        case Isa.V256: DepthwiseLoops.Forward<Vector256<float>, Simd256>(s, X + n * imageIn, Packed, Bias, Y + n * imageOut, oy, stop); break;
                        case Isa.V128: DepthwiseLoops.Forward<Vector128<float>, Simd128>(s, X + n * imageIn, Packed, Bias, Y + n * imageOut, oy, stop); break;
                        default: DepthwiseLoops.Forward<float, SimdScalar>(s, X + n * imageIn, Packed, Bias, Y + n * imageOut, oy, stop); break;
                    }
                }
                row = n * s.OutH + stop;
            }
        }
    }

    private sealed class DataWork : IParallelWork
    {
        public ConvShape S;
        public float* Dy;
        public float* Packed;
        public float* Dx;
        public int* RowTaps;
        public int* ColTaps;
        public Isa Isa;

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Share(S.N * S.H, part, parts);
            switch (Isa)
            {
                case Isa.V512: DepthwiseLoops.BackwardData<Vector512<float>, Simd512>(S, Dy, Packed, Dx, RowTaps, ColTaps, start, end); break;
                case Isa.V256: DepthwiseLoops.BackwardData<Vector256<float>, Simd256>(S, Dy, Packed, Dx, RowTaps, ColTaps, start, end); break;
                case Isa.V128: DepthwiseLoops.BackwardData<Vector128<float>, Simd128>(S, Dy, Packed, Dx, RowTaps, ColTaps, start, end); break;
                default: DepthwiseLoops.BackwardData<float, SimdScalar>(S, Dy, Packed, Dx, RowTaps, ColTaps, start, end); break;
            }
        }
    }

    private sealed class WeightWork : IParallelWork
    {
        public ConvShape S;
        public WeightPlan Plan;
        public float* X;
        public float* Dy;
        public float* Partials;
        public Isa Isa;

        public void Execute(int part, int parts)
        {
            var plan = Plan;
            var segment = part / plan.Groups;
            var (rowStart, rowEnd) = Partition.Share(S.N * S.OutH, segment, plan.Segments);
            var (b0, b1) = Partition.Share(plan.Blocks, part % plan.Groups, plan.Groups);
            var partial = Partials + (nint)segment * plan.Taps * plan.Cp;
            for (var t = 0; t < plan.Taps; t++) new Span<float>(partial + (nint)t * plan.Cp + b0 * 16, (b1 - b0) * 16).Clear();
            int c0 = b0 * 16, c1 = Math.Min(S.Cin, b1 * 16);
            if (c0 >= c1) return;
            switch (Isa)
            {
                case Isa.V512: DepthwiseLoops.BackwardWeight<Vector512<float>, Simd512>(S, X, Dy, partial, plan.Cp, rowStart, rowEnd, c0, c1); break;
                case Isa.V256: DepthwiseLoops.BackwardWeight<Vector256<float>, Simd256>(S, X, Dy, partial, plan.Cp, rowStart, rowEnd, c0, c1); break;
                case Isa.V128: DepthwiseLoops.BackwardWeight<Vector128<float>, Simd128>(S, X, Dy, partial, plan.Cp, rowStart, rowEnd, c0, c1); break;
                default: DepthwiseLoops.BackwardWeight<float, SimdScalar>(S, X, Dy, partial, plan.Cp, rowStart, rowEnd, c0, c1); break;
            }
        }
    }
}
