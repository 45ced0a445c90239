using System.Runtime.CompilerServices;
using LightNets.Training.Engine;
using LightNets.Training.Kernels.Cpu.Conv;
using LightNets.Training.Kernels.Cpu.Depthwise;
using LightNets.Training.Kernels.Cpu.Gemm;
using LightNets.Training.Kernels.Cpu.Norm;

namespace LightNets.Training.Kernels.Cpu;

/// <summary>
/// The fast float32 training kernels: the SIMD twins of <see cref="Reference.TrainReference"/>, same semantics and argument
/// order, each running on the context's ISA tier and threads. Results are deterministic and do not depend on the thread
/// count: work is split by rules that either leave every output's arithmetic unchanged or, for sums over pixels, depend
/// on the shape alone (<see cref="Partition"/>). Nothing is allocated per call once a context has made its first
/// call of each kind: the parallel work items live in a <see cref="Workspace"/> per context, scratch comes from
/// <see cref="TrainContext.Scratch"/>.
/// <para>
/// One instance serves any number of contexts (<see cref="Instance"/>); a context runs one call at a time, as it runs one
/// training step at a time.
/// </para>
/// </summary>
public sealed unsafe partial class CpuTrainKernels : ITrainKernels
{
    private readonly ConditionalWeakTable<TrainContext, Workspace> _workspaces = new();

    public static CpuTrainKernels Instance { get; } = new();

    public string Name => "cpu";

    private Workspace For(TrainContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        return _workspaces.GetValue(ctx, static _ => new Workspace());
    }

    /// <summary>A 1×1 convolution at stride 1 without padding: a GEMM straight over the NHWC pixels.</summary>
    private static bool IsPointwise(in ConvShape s) =>
        s.KH == 1 && s.KW == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadTop == 0 && s.PadLeft == 0 && s.OutH == s.H && s.OutW == s.W;

    private static void CheckConv(in ConvShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> output, string outputName)
    {
        s.Validate();
        KernelArgs.Length(input, s.InputLength, "x");
        KernelArgs.Length(weight, s.WeightLength, "w");
        KernelArgs.Length(output, s.OutputLength, outputName);
    }

    public void ConvForward(TrainContext ctx, in ConvShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y)
    {
        CheckConv(s, x, w, y, nameof(y));
        KernelArgs.Optional(bias, s.Cout, nameof(bias));
        var ws = For(ctx);
        fixed (float* px = x)
        fixed (float* pw = w)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            var b = bias.IsEmpty ? null : pb;
            var m = s.N * s.OutH * s.OutW;
            int cpg = s.CinPerGroup, opg = s.CoutPerGroup;
            if (s.IsDepthwise)
            {
                ws.Depthwise.Forward(ctx, s, px, pw, b, py, ctx.ScratchOf(DepthwiseTrain.ForwardScratch(s)));
                return;
            }
            if (IsPointwise(s))
            {
                var scratch = ctx.ScratchOf(TrainGemm.ProductScratch(cpg, opg, ctx.Isa));
                for (var g = 0; g < s.Groups; g++)
                {
                    ws.Gemm.Product(ctx, BLayout.OutputMajor, m, opg, cpg, px + g * cpg, s.Cin, pw + g * opg * cpg, cpg,
                        b == null ? null : b + g * opg, py + g * opg, s.Cout, accumulate: false, scratch);
                }
                return;
            }
            if (StemConv.Fits(s))
            {
                ws.Stem.Forward(ctx, s, px, pw, b, py, ctx.ScratchOf(StemConv.ForwardScratch(s)));
                return;
            }
            var kc = Im2Col.Columns(s);
            var plan = new TrainGemm.ProductPlan(m, opg, kc, ctx.Isa, ctx.Threads, sourceColumns: kc);
            var cols = ctx.ScratchOf(plan.ScratchFloats);
            for (var g = 0; g < s.Groups; g++)
            {
                ws.Im2Col.Set(s, px, null, g);
                ws.Gemm.Product(ctx, plan, BLayout.OutputMajor, null, 0, ws.Im2Col, pw + (nint)g * opg * kc, kc,
                    b == null ? null : b + g * opg, py + g * opg, s.Cout, accumulate: false, sink: null, cols);
            }
        }
    }

    public void ConvBackwardData(TrainContext ctx, in ConvShape s, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx)
    {
        CheckConv(s, dx, w, dy, nameof(dy));
        var ws = For(ctx);
        fixed (float* pdy = dy)
        fixed (float* pw = w)
        fixed (float* pdx = dx)
        {
            var m = s.N * s.OutH * s.OutW;
            int cpg = s.CinPerGroup, opg = s.CoutPerGroup;
            if (s.IsDepthwise)
            {
                ws.Depthwise.BackwardData(ctx, s, pdy, pw, pdx, ctx.ScratchOf(DepthwiseTrain.BackwardDataScratch(s)));
                return;
            }
            if (IsPointwise(s))
            {
                var scratch = ctx.ScratchOf(TrainGemm.ProductScratch(opg, cpg, ctx.Isa));
                for (var g = 0; g < s.Groups; g++)
                {
                    ws.Gemm.Product(ctx, BLayout.RowMajor, m, cpg, opg, pdy + g * opg, s.Cout, pw + g * opg * cpg, cpg, null,
                        pdx + g * cpg, s.Cin, accumulate: false, scratch);
                }
                return;
            }
            // Column gradients dcols = dy·W, added back into dx (col2im); parts take whole images, whose dx do not overlap.
            dx.Clear();
            var kc = Im2Col.Columns(s);
            var plan = new TrainGemm.ProductPlan(m, kc, opg, ctx.Isa, ctx.Threads, sink: true, rowGrain: s.OutH * s.OutW);
            var scratchCols = ctx.ScratchOf(plan.ScratchFloats);
            for (var g = 0; g < s.Groups; g++)
            {
                ws.Im2Col.Set(s, null, pdx, g);
                ws.Gemm.Product(ctx, plan, BLayout.RowMajor, pdy + g * opg, s.Cout, null, pw + (nint)g * opg * kc, kc, null, null, 0,
                    accumulate: false, sink: ws.Im2Col, scratchCols);
            }
        }
    }

    public void ConvBackwardWeight(TrainContext ctx, in ConvShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias)
    {
        CheckConv(s, x, dw, dy, nameof(dy));
        KernelArgs.Optional<float>(dbias, s.Cout, nameof(dbias));
        var ws = For(ctx);
        fixed (float* px = x)
        fixed (float* pdy = dy)
        fixed (float* pdw = dw)
        fixed (float* pdb = dbias)
        {
            var m = s.N * s.OutH * s.OutW;
            int cpg = s.CinPerGroup, opg = s.CoutPerGroup;
            if (s.IsDepthwise)
            {
                var plan = new DepthwiseTrain.WeightPlan(s, ctx.Threads);
                ws.Depthwise.BackwardWeight(ctx, s, plan, px, pdy, pdw, ctx.ScratchOf(plan.ScratchFloats));
            }
            else if (IsPointwise(s))
            {
                var plan = new TrainGemm.ReductionPlan(m, opg, cpg, ctx.Isa, ctx.Threads);
                var scratch = ctx.ScratchOf(plan.ScratchFloats);
                for (var g = 0; g < s.Groups; g++)
                    ws.Gemm.Reduction(ctx, plan, pdy + g * opg, s.Cout, px + g * cpg, s.Cin, null, pdw + g * opg * cpg, cpg, scratch);
            }
            else if (StemConv.Fits(s))
                ws.Stem.BackwardWeight(ctx, s, px, pdy, pdw, ctx.ScratchOf(StemConv.WeightScratch(s)));
            else
            {
                var kc = Im2Col.Columns(s);
                var plan = new TrainGemm.ReductionPlan(m, opg, kc, ctx.Isa, ctx.Threads, source: true);
                var scratch = ctx.ScratchOf(plan.ScratchFloats);
                for (var g = 0; g < s.Groups; g++)
                {
                    ws.Im2Col.Set(s, px, null, g);
                    ws.Gemm.Reduction(ctx, plan, pdy + g * opg, s.Cout, null, 0, ws.Im2Col, pdw + (nint)g * opg * kc, kc, scratch);
                }
            }
            if (!dbias.IsEmpty) ws.Sums.ColumnSums(ctx, m, s.Cout, pdy, pdb);
        }
    }

    public void LinearForward(TrainContext ctx, int n, int inF, int outF, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y)
    {
        CheckLinear(n, inF, outF, x, w, y, nameof(y));
        KernelArgs.Optional(b, outF, nameof(b));
        var ws = For(ctx);
        fixed (float* px = x)
        fixed (float* pw = w)
        fixed (float* pb = b)
        fixed (float* py = y)
            ws.Gemm.Product(ctx, BLayout.OutputMajor, n, outF, inF, px, inF, pw, inF, b.IsEmpty ? null : pb, py, outF, accumulate: false,
                ctx.ScratchOf(TrainGemm.ProductScratch(inF, outF, ctx.Isa)));
    }

    public void LinearBackward(TrainContext ctx, int n, int inF, int outF, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> dw, Span<float> db)
    {
        CheckLinear(n, inF, outF, x, w, dy, nameof(dy));
        KernelArgs.Optional<float>(dx, (long)n * inF, nameof(dx));
        KernelArgs.Length<float>(dw, (long)outF * inF, nameof(dw));
        KernelArgs.Optional<float>(db, outF, nameof(db));
        var ws = For(ctx);
        fixed (float* px = x)
        fixed (float* pw = w)
        fixed (float* pdy = dy)
        fixed (float* pdx = dx)
        fixed (float* pdw = dw)
        fixed (float* pdb = db)
        {
            if (!dx.IsEmpty)
                ws.Gemm.Product(ctx, BLayout.RowMajor, n, inF, outF, pdy, outF, pw, inF, null, pdx, inF, accumulate: false,
                    ctx.ScratchOf(TrainGemm.ProductScratch(outF, inF, ctx.Isa)));
            var plan = new TrainGemm.ReductionPlan(n, outF, inF, ctx.Isa, ctx.Threads);
            ws.Gemm.Reduction(ctx, plan, pdy, outF, px, inF, null, pdw, inF, ctx.ScratchOf(plan.ScratchFloats));
            if (!db.IsEmpty) ws.Sums.ColumnSums(ctx, n, outF, pdy, pdb);
        }
    }

    private static void CheckLinear(int n, int inF, int outF, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> output, string outputName)
    {
        KernelArgs.Positive(n, nameof(n));
        KernelArgs.Positive(inF, nameof(inF));
        KernelArgs.Positive(outF, nameof(outF));
        KernelArgs.Length(x, (long)n * inF, nameof(x));
        KernelArgs.Length(w, (long)outF * inF, nameof(w));
        KernelArgs.Length(output, (long)n * outF, outputName);
    }

    /// <summary>The parallel work items of one context, made on its first call and reused by every call after.</summary>
    private sealed class Workspace
    {
        public TrainGemm Gemm { get; } = new();
        public Im2Col Im2Col { get; } = new();
        public StemConv Stem { get; } = new();
        public DepthwiseTrain Depthwise { get; } = new();
        public ChannelSums Sums { get; } = new();
        public ChannelAffine Affine { get; } = new();
        public Elementwise.ActivationKernels Activations { get; } = new();
        public Elementwise.ChannelKernels Channels { get; } = new();
        public Elementwise.PoolKernels Pools { get; } = new();
        public Elementwise.SoftmaxLoss Loss { get; } = new();
    }
}
