using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Threading;
using LightNets.Training.Kernels.Cpu.Elementwise;

namespace LightNets.Training.Kernels.Cpu.Norm;

/// <summary>What <see cref="ChannelSums"/> sums per channel j over the rows r.</summary>
internal enum ChannelSumKind
{
    /// <summary>s1 = Σ a[r, j] (a bias gradient, BatchNorm's dβ).</summary>
    Sum,

    /// <summary>s1 = Σ d, s2 = Σ d² with d = a[r, j] − shift[j] (BatchNorm's mean and variance, shifted so the squares do not cancel).</summary>
    Moments,

    /// <summary>s1 = Σ a[r, j], s2 = Σ a[r, j]·(b[r, j] − shift[j]) (BatchNorm's backward: Σ dy and Σ dy·(x − mean)).</summary>
    Cross,

    /// <summary>
    /// <see cref="Cross"/> with a[r, j] replaced by g = a[r, j]·f′(y), y = (b[r, j] − m[j])·fs[j] + fb[j] (a fused
    /// BatchNorm + activation's backward: a is the activation's output gradient, b the BatchNorm input; g is computed
    /// exactly as the activation's backward pass computes it from the BatchNorm output).
    /// </summary>
    CrossActivated,
}

/// <summary>
/// Per-channel sums over the rows of an [rows, C] matrix (kernel id f32-channel-sums__&lt;isa&gt;), accumulated in double.
/// The rows are cut into segments fixed by the shape (<see cref="Partition.ReductionSegments"/>) and channel blocks into
/// groups; each part sums its segment 64 rows at a time in registers, adds the chunk into its partial, and the partials
/// are added in segment order: the same result for every thread count. One call at a time per instance.
/// </summary>
internal sealed unsafe class ChannelSums
{
    /// <summary>Rows summed in registers before they are added to a part's partial.</summary>
    private const int ChunkRows = 64;

    private readonly SumsWork _work = new();

    /// <summary>How a sum is cut and the scratch it needs (in floats: the partials are doubles).</summary>
    public readonly struct Plan
    {
        public Plan(long rows, int c, int threads)
        {
            Rows = rows;
            C = c;
            Cp = (c + 15) & ~15;
            Blocks = Cp / 16;
            Segments = Partition.ReductionSegments(rows, 16 / Blocks);
            Groups = Math.Clamp((Partition.Parts(rows * c, threads, int.MaxValue) + Segments - 1) / Segments, 1, Blocks);
            ScratchFloats = Partition.Align(4L * Segments * Cp);
        }

        public long Rows { get; }
        public int C { get; }
        public int Cp { get; }
        public int Blocks { get; }
        public int Segments { get; }
        public int Groups { get; }
        public long ScratchFloats { get; }
    }

    /// <summary>
    /// The sums of <paramref name="kind"/> into <paramref name="s1"/> and <paramref name="s2"/> (C doubles each; s2 unused
    /// for <see cref="ChannelSumKind.Sum"/>). <paramref name="shift"/> holds the plan's Cp doubles (C used, the rest any
    /// finite value). <paramref name="scratch"/> holds the plan's <see cref="Plan.ScratchFloats"/> floats, 64-byte aligned.
    /// </summary>
    public void Run(TrainContext ctx, in Plan plan, ChannelSumKind kind, float* a, float* b, double* shift, double* s1, double* s2, float* scratch)
    {
        if (kind == ChannelSumKind.CrossActivated) throw new ArgumentException("CrossActivated sums need the activation: call RunActivated", nameof(kind));
        RunCore(ctx, plan, kind, a, b, shift, s1, s2, scratch);
    }

    /// <summary>
    /// The <see cref="ChannelSumKind.CrossActivated"/> sums: a is dz, b is x, and <paramref name="mean"/>,
    /// <paramref name="forwardScale"/>, <paramref name="forwardShift"/> (Cp floats each) are the forward's constants.
    /// </summary>
    public void RunActivated(TrainContext ctx, in Plan plan, Activation act, float* dz, float* x, float* mean, float* forwardScale, float* forwardShift,
        double* shift, double* s1, double* s2, float* scratch)
    {
        if (act.Kind is not (ActivationKind.Relu or ActivationKind.Clip or ActivationKind.HardSwish))
            throw new ArgumentException($"BatchNorm fuses ReLU, Clip and h-swish, not {act.Kind}", nameof(act));
        var w = _work;
        w.Act = act;
        w.FM = mean;
        w.FS = forwardScale;
        w.FB = forwardShift;
        RunCore(ctx, plan, ChannelSumKind.CrossActivated, dz, x, shift, s1, s2, scratch);
    }

    private void RunCore(TrainContext ctx, in Plan plan, ChannelSumKind kind, float* a, float* b, double* shift, double* s1, double* s2, float* scratch)
    {
        var w = _work;
        w.Plan = plan;
        w.Kind = kind;
        w.A = a;
        w.B = b;
        w.Shift = shift;
        w.Partials = (double*)scratch;
        w.Isa = ctx.Isa;
        ctx.Run(w, plan.Segments * plan.Groups);
        var stride = 2L * plan.Cp;
        for (var j = 0; j < plan.C; j++)
        {
            double first = 0, second = 0;
            for (var seg = 0; seg < plan.Segments; seg++)
            {
                first += w.Partials[seg * stride + j];
                second += w.Partials[seg * stride + plan.Cp + j];
            }
            s1[j] = first;
            if (kind != ChannelSumKind.Sum) s2[j] = second;
        }
    }

    /// <summary>dst[j] = Σ_r a[r, j] for j &lt; c (a bias gradient), summed in double and rounded once.</summary>
    public void ColumnSums(TrainContext ctx, long rows, int c, float* a, float* dst)
    {
        var plan = new Plan(rows, c, ctx.Threads);
        var scratch = ctx.ScratchOf(plan.ScratchFloats + Partition.Align(2L * c));
        var sums = (double*)(scratch + plan.ScratchFloats);
        Run(ctx, plan, ChannelSumKind.Sum, a, null, null, sums, null, scratch);
        for (var j = 0; j < c; j++) dst[j] = (float)sums[j];
    }

    private sealed class SumsWork : IParallelWork
    {
        public Plan Plan;
        public ChannelSumKind Kind;
        public float* A;
        public float* B;
        public double* Shift;
        public double* Partials;
        public ActivationConstants Act;
        public float* FM;
        public float* FS;
        public float* FB;
        public Isa Isa;

        public void Execute(int part, int parts)
        {
            switch (Isa)
            {
                case Isa.V512: Execute<Vector512<float>, Vector512<double>, Wide512, Simd512>(part); break;
                case Isa.V256: Execute<Vector256<float>, Vector256<double>, Wide256, Simd256>(part); break;
                case Isa.V128: Execute<Vector128<float>, Vector128<double>, Wide128, Simd128>(part); break;
                default: Execute<float, double, WideScalar, SimdScalar>(part); break;
            }
        }

        private void Execute<TF, TD, TW, TS>(int part) where TF : unmanaged where TD : unmanaged where TW : IWideLanes<TF, TD> where TS : ISimd<TF>
        {
            var plan = Plan;
            var segment = part / plan.Groups;
            var (r0, r1) = Share(plan.Rows, segment, plan.Segments);
            var (b0, b1) = Partition.Share(plan.Blocks, part % plan.Groups, plan.Groups);
            var partial = Partials + segment * 2L * plan.Cp;
            new Span<double>(partial + b0 * 16, (b1 - b0) * 16).Clear();
            new Span<double>(partial + plan.Cp + b0 * 16, (b1 - b0) * 16).Clear();
            int c0 = b0 * 16, c1 = Math.Min(plan.C, b1 * 16);
            for (var row = r0; row < r1; row += ChunkRows)
            {
                var rows = (int)Math.Min(ChunkRows, r1 - row);
                for (var c = c0; c < c1; c += TW.Count)
                {
                    var lanes = Math.Min(TW.Count, c1 - c);
                    switch (Kind, Act.Kind)
                    {
                        case (ChannelSumKind.Sum, _): Chunk<TF, TD, TW, TS, SumOnly, Identity>(row, rows, c, lanes, partial); break;
                        case (ChannelSumKind.Moments, _): Chunk<TF, TD, TW, TS, Moments, Identity>(row, rows, c, lanes, partial); break;
                        case (ChannelSumKind.Cross, _): Chunk<TF, TD, TW, TS, Cross, Identity>(row, rows, c, lanes, partial); break;
                        case (_, ActivationKind.Relu): Chunk<TF, TD, TW, TS, Cross, ReluGrad>(row, rows, c, lanes, partial); break;
                        case (_, ActivationKind.Clip): Chunk<TF, TD, TW, TS, Cross, ClipGrad>(row, rows, c, lanes, partial); break;
                        default: Chunk<TF, TD, TW, TS, Cross, HardSwishGrad>(row, rows, c, lanes, partial); break;
                    }
                }
            }
        }

        private static (long Start, long End) Share(long count, int part, int parts) => (count * part / parts, count * (part + 1) / parts);

        /// <summary>One channel block over rows [row, row + rows): registers, then the part's partial.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Chunk<TF, TD, TW, TS, TK, TA>(long row, int rows, int c, int lanes, double* partial)
            where TF : unmanaged where TD : unmanaged where TW : IWideLanes<TF, TD> where TS : ISimd<TF> where TK : struct, ISumKind
            where TA : struct, IActivationFormula
        {
            // TA is Identity except for the fused BatchNorm + activation backward (Cross sums of g = a·f′(y)).
            var activated = typeof(TA) != typeof(Identity);
            TF fm = default, fs = default, fb = default;
            if (activated) (fm, fs, fb) = (TS.Load(FM + c), TS.Load(FS + c), TS.Load(FB + c));
            var act = Act;
            var stride = (nint)Plan.C;
            var a = A + row * stride + c;
            var b = TK.UsesB ? B + row * stride + c : null;
            TD shiftLow = TW.ZeroDouble, shiftHigh = TW.ZeroDouble;
            if (TK.Shifted)
            {
                shiftLow = TW.LoadDouble(Shift + c);
                if (TW.HasHigh) shiftHigh = TW.LoadDouble(Shift + c + TW.Count / 2);
            }
            TD s1Low = TW.ZeroDouble, s1High = TW.ZeroDouble, s2Low = TW.ZeroDouble, s2High = TW.ZeroDouble;
            var full = lanes == TW.Count;
            for (var r = 0; r < rows; r++, a += stride, b += TK.UsesB ? stride : 0)
            {
                var av = full ? TW.Load(a) : TW.LoadFirst(a, lanes);
                TF bv = default;
                if (TK.UsesB) bv = full ? TW.Load(b) : TW.LoadFirst(b, lanes);
                if (activated) av = TS.Multiply(av, TA.Apply<TF, TS>(act, TS.MultiplyAdd(TS.Subtract(bv, fm), fs, fb)));
                TW.Widen(av, out var aLow, out var aHigh);
                if (TK.Kind == ChannelSumKind.Sum)
                {
                    s1Low = TW.Add(s1Low, aLow);
                    if (TW.HasHigh) s1High = TW.Add(s1High, aHigh);
                }
                else if (TK.Kind == ChannelSumKind.Moments)
                {
                    var dLow = TW.Subtract(aLow, shiftLow);
                    s1Low = TW.Add(s1Low, dLow);
                    s2Low = TW.MultiplyAdd(dLow, dLow, s2Low);
                    if (TW.HasHigh)
                    {
                        var dHigh = TW.Subtract(aHigh, shiftHigh);
                        s1High = TW.Add(s1High, dHigh);
                        s2High = TW.MultiplyAdd(dHigh, dHigh, s2High);
                    }
                }
                else
                {
                    TW.Widen(bv, out var bLow, out var bHigh);
                    s1Low = TW.Add(s1Low, aLow);
                    s2Low = TW.MultiplyAdd(aLow, TW.Subtract(bLow, shiftLow), s2Low);
                    if (TW.HasHigh)
                    {
                        s1High = TW.Add(s1High, aHigh);
                        s2High = TW.MultiplyAdd(aHigh, TW.Subtract(bHigh, shiftHigh), s2High);
                    }
                }
            }
            Accumulate<TF, TD, TW>(partial + c, s1Low);
            Accumulate<TF, TD, TW>(partial + Plan.Cp + c, s2Low);
            if (TW.HasHigh)
            {
                Accumulate<TF, TD, TW>(partial + c + TW.Count / 2, s1High);
                Accumulate<TF, TD, TW>(partial + Plan.Cp + c + TW.Count / 2, s2High);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Accumulate<TF, TD, TW>(double* p, TD v) where TF : unmanaged where TD : unmanaged where TW : IWideLanes<TF, TD> =>
            TW.StoreDouble(p, TW.Add(TW.LoadDouble(p), v));
    }

    private interface ISumKind
    {
        static abstract ChannelSumKind Kind { get; }
        static abstract bool UsesB { get; }
        static abstract bool Shifted { get; }
    }

    private readonly struct SumOnly : ISumKind
    {
        public static ChannelSumKind Kind => ChannelSumKind.Sum;
        public static bool UsesB => false;
        public static bool Shifted => false;
    }

    private readonly struct Moments : ISumKind
    {
        public static ChannelSumKind Kind => ChannelSumKind.Moments;
        public static bool UsesB => false;
        public static bool Shifted => true;
    }

    private readonly struct Cross : ISumKind
    {
        public static ChannelSumKind Kind => ChannelSumKind.Cross;
        public static bool UsesB => true;
        public static bool Shifted => true;
    }

    /// <summary>No activation (every kind but the fused backward's).</summary>
    private readonly struct Identity : IActivationFormula
    {
        public static bool Gradient => false;
        public static TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV> => v;
    }
}
