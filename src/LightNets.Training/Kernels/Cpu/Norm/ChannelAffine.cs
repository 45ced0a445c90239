using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Threading;

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
/// Rows are split across threads, which leaves every element's arithmetic unchanged. One call at a time per instance.
/// </summary>
internal sealed unsafe class ChannelAffine
{
    private readonly ApplyWork _work = new();

    public void Normalize(TrainContext ctx, int rows, int c, float* x, float* mean, float* scale, float* shift, float* y) =>
        Run(ctx, rows, c, backward: false, x, null, mean, scale, shift, null, y);

    public void Backward(TrainContext ctx, int rows, int c, float* x, float* dy, float* mean, float* scale, float* meanDy, float* slope, float* dx) =>
        Run(ctx, rows, c, backward: true, x, dy, mean, scale, meanDy, slope, dx);

    private void Run(TrainContext ctx, int rows, int c, bool backward, float* x, float* g, float* m, float* s, float* b, float* k, float* output)
    {
        var w = _work;
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
        public Isa Isa;

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Share(RowCount, part, parts);
            switch (Isa)
            {
                case Isa.V512: Rows<Vector512<float>, Simd512>(start, end); break;
                case Isa.V256: Rows<Vector256<float>, Simd256>(start, end); break;
                default: Rows<float, SimdScalar>(start, end); break;
            }
        }

        private void Rows<TV, TS>(int start, int end) where TV : unmanaged where TS : ISimd<TV>
        {
            if (BackwardPass) Rows<TV, TS, BackwardOp>(start, end);
            else Rows<TV, TS, NormalizeOp>(start, end);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Rows<TV, TS, TOp>(int start, int end) where TV : unmanaged where TS : ISimd<TV> where TOp : struct, IAffineOp
        {
            var c = C;
            for (var r = start; r < end; r++)
            {
                var offset = (nint)r * c;
                var j = 0;
                for (; j + TS.Count <= c; j += TS.Count)
                    Block<TV, TS, TOp, FullBlock<TV, TS>>(default, offset, j);
                if (j < c) Block<TV, TS, TOp, TailBlock<TV, TS>>(new(c - j), offset, j);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Block<TV, TS, TOp, TB>(TB block, nint offset, int j)
            where TV : unmanaged where TS : ISimd<TV> where TOp : struct, IAffineOp where TB : struct, IChannelBlock<TV>
        {
            var centred = TS.Subtract(block.Load(X + offset + j), TS.Load(M + j));
            TV value;
            if (TOp.Backward)
            {
                var t = TS.Subtract(block.Load(G + offset + j), TS.Load(B + j));
                value = TS.Multiply(TS.MultiplyAdd(centred, TS.Load(K + j), t), TS.Load(S + j));
            }
            else value = TS.MultiplyAdd(centred, TS.Load(S + j), TS.Load(B + j));
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
}
