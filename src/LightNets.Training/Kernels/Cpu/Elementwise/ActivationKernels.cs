using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Threading;

namespace LightNets.Training.Kernels.Cpu.Elementwise;

/// <summary>
/// Activations forward (f32-act-train-&lt;kind&gt;__&lt;isa&gt;) and backward (f32-act-grad-&lt;kind&gt;__&lt;isa&gt;) over flat
/// buffers, written with the reference's operations in the reference's order (selects for its comparisons, no fused
/// multiply-adds), so each element is bit-identical to <see cref="Reference.TrainReference"/> on every tier, NaN and
/// signed zeros included; only the sigmoid's exponential differs on the vector tiers. Output may be the input (same
/// index in and out). Split across threads by ranges, which changes nothing. One call at a time per instance.
/// </summary>
internal sealed unsafe class ActivationKernels
{
    private readonly ActivationWork _work = new();

    public void Forward(TrainContext ctx, Activation a, float* x, float* y, int n) => Run(ctx, a, backward: false, x, null, y, n);

    public void Backward(TrainContext ctx, Activation a, float* x, float* dy, float* dx, int n) => Run(ctx, a, backward: true, x, dy, dx, n);

    private void Run(TrainContext ctx, Activation a, bool backward, float* x, float* dy, float* output, int n)
    {
        if (a.Kind is < ActivationKind.Relu or > ActivationKind.Sigmoid)
            throw new ArgumentException($"unknown activation {a.Kind}", nameof(a));
        var w = _work;
        w.A = a;
        (w.A.RampLow, w.A.RampHigh) = a.Kind == ActivationKind.HardSigmoid ? Reference.TrainReference.HardSigmoidRamp<float>(a) : (0f, 0f);
        w.BackwardPass = backward;
        w.X = x;
        w.Dy = dy;
        w.Output = output;
        w.N = n;
        w.Isa = ctx.Isa;
        ctx.Run(w, Partition.Parts(4L * n, ctx.Threads, (n + 1023) / 1024));
    }

    private sealed class ActivationWork : IParallelWork
    {
        public ActivationConstants A;
        public bool BackwardPass;
        public float* X;
        public float* Dy;
        public float* Output;
        public int N;
        public Isa Isa;

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Share(N, part, parts, 64);
            switch (Isa)
            {
                case Isa.V512: Range<Vector512<float>, Simd512>(start, end); break;
                case Isa.V256: Range<Vector256<float>, Simd256>(start, end); break;
                case Isa.V128: Range<Vector128<float>, Simd128>(start, end); break;
                default: Range<float, SimdScalar>(start, end); break;
            }
        }

        private void Range<TV, TL>(int start, int end) where TV : unmanaged where TL : ISimd<TV>
        {
            switch (A.Kind, BackwardPass)
            {
                case (ActivationKind.Relu, false): Range<TV, TL, Relu>(start, end); break;
                case (ActivationKind.Clip, false): Range<TV, TL, Clip>(start, end); break;
                case (ActivationKind.HardSwish, false): Range<TV, TL, HardSwish>(start, end); break;
                case (ActivationKind.HardSigmoid, false): Range<TV, TL, HardSigmoid>(start, end); break;
                case (ActivationKind.Sigmoid, false): Range<TV, TL, Sigmoid>(start, end); break;
                case (ActivationKind.Relu, true): Range<TV, TL, ReluGrad>(start, end); break;
                case (ActivationKind.Clip, true): Range<TV, TL, ClipGrad>(start, end); break;
                case (ActivationKind.HardSwish, true): Range<TV, TL, HardSwishGrad>(start, end); break;
                case (ActivationKind.HardSigmoid, true): Range<TV, TL, HardSigmoidGrad>(start, end); break;
                default: Range<TV, TL, SigmoidGrad>(start, end); break;
            }
        }

        /// <summary>Whole registers, then the tail one element at a time through the same formula on one lane.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Range<TV, TL, TF>(int start, int end) where TV : unmanaged where TL : ISimd<TV> where TF : struct, IActivationFormula
        {
            var i = start;
            var a = A;
            for (; i + TL.Count <= end; i += TL.Count)
            {
                var v = TF.Apply<TV, TL>(a, TL.Load(X + i));
                TL.Store(Output + i, TF.Gradient ? TL.Multiply(TL.Load(Dy + i), v) : v);
            }
            for (; i < end; i++)
            {
                var v = TF.Apply<float, SimdScalar>(a, X[i]);
                Output[i] = TF.Gradient ? Dy[i] * v : v;
            }
        }
    }
}
