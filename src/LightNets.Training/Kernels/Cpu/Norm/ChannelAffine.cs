using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Threading;
using LightNets.Training.Kernels.Cpu.Elementwise;

namespace LightNets.Training.Kernels.Cpu.Norm;

/// <summary>
/// The element-wise passes of BatchNorm over [rows, C] with per-channel constants (C padded to a multiple of 16 in
/// each constant array, so they load whole registers):
/// <list type="bullet">
/// <item><see cref="Normalize"/> (f32-bn-apply): out = (x − m[j])·s[j] + b[j], the training and evaluation forward;</item>
/// <item><see cref="Backward"/> (f32-bn-backward-apply): out = s[j]·((g − m2[j]) + (x − m[j])·k[j]), the input gradient
/// once the per-channel sums are known (k is the negated slope of the gradient along x̂, so one fused multiply-add
/// applies it).</item>
/// </list>
/// Both can apply an activation f on the fly (BatchNorm followed by ReLU, ReLU6 or h-swish, fused by the training plan):
/// forward writes f(out); backward takes g = dz·f′(y) with y = (x − m[j])·fs[j] + fb[j] recomputed exactly as forward
/// computed it (the forward's mean, scale and shift), so the fused passes give bit for bit what the BatchNorm pass, the
/// activation pass and their buffer in between gave, with two passes over memory fewer each way.
/// Rows are split across threads, which leaves every element's arithmetic unchanged. One call at a time per instance.
/// </summary>
internal sealed unsafe class ChannelAffine
{
    private readonly ApplyWork _work = new();

    public void Normalize(TrainContext ctx, int rows, int c, float* x, float* mean, float* scale, float* shift, float* y) =>
        Run(ctx, rows, c, backward: false, null, x, null, mean, scale, shift, null, y);

    public void Backward(TrainContext ctx, int rows, int c, float* x, float* dy, float* mean, float* scale, float* meanDy, float* slope, float* dx) =>
        Run(ctx, rows, c, backward: true, null, x, dy, mean, scale, meanDy, slope, dx);

    /// <summary><see cref="Normalize"/> then <paramref name="a"/> (ReLU, Clip or h-swish) on each output.</summary>
    public void NormalizeActivate(TrainContext ctx, int rows, int c, Activation a, float* x, float* mean, float* scale, float* shift, float* z) =>
        Run(ctx, rows, c, backward: false, a, x, null, mean, scale, shift, null, z);

    /// <summary>
    /// <see cref="Backward"/> from the activation's output gradient <paramref name="dz"/>: g = dz·f′(y), y recomputed from x
    /// with the forward's <paramref name="mean"/>, <paramref name="forwardScale"/> and <paramref name="forwardShift"/>.
    /// </summary>
    public void BackwardActivated(TrainContext ctx, int rows, int c, Activation a, float* x, float* dz, float* mean, float* forwardScale,
        float* forwardShift, float* scale, float* meanDy, float* slope, float* dx)
    {
        _work.FS = forwardScale;
        _work.FB = forwardShift;
        Run(ctx, rows, c, backward: true, a, x, dz, mean, scale, meanDy, slope, dx);
    }

    private void Run(TrainContext ctx, int rows, int c, bool backward, Activation? a, float* x, float* g, float* m, float* s, float* b, float* k,
        float* output)
    {
        if (a is { Kind: not (ActivationKind.Relu or ActivationKind.Clip or ActivationKind.HardSwish) })
            throw new ArgumentException($"BatchNorm fuses ReLU, Clip and h-swish, not {a.Value.Kind}", nameof(a));
        var w = _work;
        w.Activated = a is not null;
        w.Act = a ?? default;
        w.RowCount = rows;
        w.C = c;
        w.BackwardPass = backward;
        w.X = x;
        w.G = g;
        w.M = m;
        w.S = s;
        w.B = b;
        w.K = k;
        w.Output = output;
        w.Isa = ctx.Isa;
        ctx.Run(w, Partition.Parts((long)rows * c, ctx.Threads, rows));
    }

    private sealed class ApplyWork : IParallelWork
    {
        public int RowCount;
        public int C;
        public bool BackwardPass;
        public float* X;
        public float* G;
        public float* M;
        public float* S;
        public float* B;
        public float* K;
        public float* Output;
        public float* FS;
        public float* FB;
        public bool Activated;
        public ActivationConstants Act;
        public Isa Isa;

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Share(RowCount, part, parts);
            switch (Isa)
            {
                case Isa.V512: Rows<Vector512<float>, Simd512>(start, end); break;
                case Isa.V256: Rows<Vector256<float>, Simd256>(start, end); break;
                case Isa.V128: Rows<Vector128<float>, Simd128>(start, end); break;
                default: Rows<float, SimdScalar>(start, end); break;
            }
        }

        private void Rows<TV, TS>(int start, int end) where TV : unmanaged where TS : ISimd<TV>
        {
            switch (BackwardPass, Activated ? Act.Kind : (ActivationKind?)null)
            {
                case (false, null): Rows<TV, TS, NormalizeOp, NoActivation>(start, end); break;
                case (false, ActivationKind.Relu): Rows<TV, TS, NormalizeOp, Relu>(start, end); break;
                case (false, ActivationKind.Clip): Rows<TV, TS, NormalizeOp, Clip>(start, end); break;
                case (false, _): Rows<TV, TS, NormalizeOp, HardSwish>(start, end); break;
                case (true, null): Rows<TV, TS, BackwardOp, NoActivation>(start, end); break;
                case (true, ActivationKind.Relu): Rows<TV, TS, BackwardOp, ReluGrad>(start, end); break;
                case (true, ActivationKind.Clip): Rows<TV, TS, BackwardOp, ClipGrad>(start, end); break;
                default: Rows<TV, TS, BackwardOp, HardSwishGrad>(start, end); break;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Rows<TV, TS, TOp, TA>(int start, int end)
            where TV : unmanaged where TS : ISimd<TV> where TOp : struct, IAffineOp where TA : struct, IActivationFormula
        {
            var c = C;
            for (var r = start; r < end; r++)
            {
                var offset = (nint)r * c;
                var j = 0;
                for (; j + TS.Count <= c; j += TS.Count)
                    Block<TV, TS, TOp, TA, FullBlock<TV, TS>>(default, offset, j);
                if (j < c) Block<TV, TS, TOp, TA, TailBlock<TV, TS>>(new(c - j), offset, j);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Block<TV, TS, TOp, TA, TB>(TB block, nint offset, int j)
            where TV : unmanaged where TS : ISimd<TV> where TOp : struct, IAffineOp where TA : struct, IActivationFormula where TB : struct, IChannelBlock<TV>
        {
            var centred = TS.Subtract(block.Load(X + offset + j), TS.Load(M + j));
            var activated = typeof(TA) != typeof(NoActivation);
            TV value;
            if (TOp.Backward)
            {
                var g = block.Load(G + offset + j);
                if (activated) g = TS.Multiply(g, TA.Apply<TV, TS>(Act, TS.MultiplyAdd(centred, TS.Load(FS + j), TS.Load(FB + j))));
                var t = TS.Subtract(g, TS.Load(B + j));
                value = TS.Multiply(TS.MultiplyAdd(centred, TS.Load(K + j), t), TS.Load(S + j));
            }
            else
            {
                value = TS.MultiplyAdd(centred, TS.Load(S + j), TS.Load(B + j));
                if (activated) value = TA.Apply<TV, TS>(Act, value);
            }
            block.Store(Output + offset + j, value);
        }
    }

    private interface IAffineOp
    {
        static abstract bool Backward { get; }
    }

    private readonly struct NormalizeOp : IAffineOp
    {
        public static bool Backward => false;
    }

    private readonly struct BackwardOp : IAffineOp
    {
        public static bool Backward => true;
    }

    /// <summary>No activation: the plain BatchNorm passes.</summary>
    private readonly struct NoActivation : IActivationFormula
    {
        public static bool Gradient => false;
        public static TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV> => v;
    }
}
