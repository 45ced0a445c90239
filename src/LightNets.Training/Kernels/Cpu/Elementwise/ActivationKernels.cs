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
        public Constants A;
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
        private void Range<TV, TL, TF>(int start, int end) where TV : unmanaged where TL : ISimd<TV> where TF : struct, IFormula
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

    /// <summary>An activation's constants, and h-sigmoid's ramp as the reference bounds it (<see cref="Reference.TrainReference.HardSigmoidRamp{T}"/>).</summary>
    private struct Constants
    {
        public ActivationKind Kind;
        public float Min, Max, Alpha, Beta, RampLow, RampHigh;

        public static implicit operator Constants(Activation a) =>
            new() { Kind = a.Kind, Min = a.Min, Max = a.Max, Alpha = a.Alpha, Beta = a.Beta };
    }

    /// <summary>An activation's value, or (when <see cref="Gradient"/>) its slope, which the kernel multiplies by dy.</summary>
    private interface IFormula
    {
        static abstract bool Gradient { get; }
        static abstract TV Apply<TV, TL>(in Constants a, TV v) where TV : unmanaged where TL : ISimd<TV>;
    }

    /// <summary>The reference's clamp: lo below lo (tested first), hi above hi, NaN and everything else unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Clamp<TV, TL>(TV v, TV lo, TV hi) where TV : unmanaged where TL : ISimd<TV> =>
        TL.Select(TL.LessThan(v, lo), lo, TL.Select(TL.GreaterThan(v, hi), hi, v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV SigmoidOf<TV, TL>(TV v) where TV : unmanaged where TL : ISimd<TV> =>
        TL.Divide(TL.Broadcast(1f), TL.Add(TL.Broadcast(1f), TL.Exp(TL.Subtract(TL.Broadcast(0f), v))));

    private readonly struct Relu : IFormula
    {
        public static bool Gradient => false;
        public static TV Apply<TV, TL>(in Constants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
            TL.Select(TL.LessThan(v, TL.Broadcast(0f)), TL.Broadcast(0f), v);
    }

    private readonly struct Clip : IFormula
    {
        public static bool Gradient => false;
        public static TV Apply<TV, TL>(in Constants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
            Clamp<TV, TL>(v, TL.Broadcast(a.Min), TL.Broadcast(a.Max));
    }

    private readonly struct HardSwish : IFormula
    {
        public static bool Gradient => false;
        public static TV Apply<TV, TL>(in Constants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
            TL.Divide(TL.Multiply(v, Clamp<TV, TL>(TL.Add(v, TL.Broadcast(3f)), TL.Broadcast(0f), TL.Broadcast(6f))), TL.Broadcast(6f));
    }

    private readonly struct HardSigmoid : IFormula
    {
        public static bool Gradient => false;
        public static TV Apply<TV, TL>(in Constants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
            Clamp<TV, TL>(TL.Add(TL.Multiply(TL.Broadcast(a.Alpha), v), TL.Broadcast(a.Beta)), TL.Broadcast(0f), TL.Broadcast(1f));
    }

    private readonly struct Sigmoid : IFormula
    {
        public static bool Gradient => false;
        public static TV Apply<TV, TL>(in Constants a, TV v) where TV : unmanaged where TL : ISimd<TV> => SigmoidOf<TV, TL>(v);
    }

    private readonly struct ReluGrad : IFormula
    {
        public static bool Gradient => true;
        public static TV Apply<TV, TL>(in Constants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
            TL.Select(TL.GreaterThan(v, TL.Broadcast(0f)), TL.Broadcast(1f), TL.Broadcast(0f));
    }

    private readonly struct ClipGrad : IFormula
    {
        public static bool Gradient => true;
        public static TV Apply<TV, TL>(in Constants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
            TL.Select(TL.And(TL.GreaterThan(v, TL.Broadcast(a.Min)), TL.LessThan(v, TL.Broadcast(a.Max))), TL.Broadcast(1f), TL.Broadcast(0f));
    }

    private readonly struct HardSwishGrad : IFormula
    {
        public static bool Gradient => true;
        public static TV Apply<TV, TL>(in Constants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
            TL.Select(TL.LessThan(v, TL.Broadcast(-3f)), TL.Broadcast(0f),
                TL.Select(TL.LessThanOrEqual(v, TL.Broadcast(3f)), TL.Add(TL.Divide(v, TL.Broadcast(3f)), TL.Broadcast(0.5f)), TL.Broadcast(1f)));
    }

    private readonly struct HardSigmoidGrad : IFormula
    {
        public static bool Gradient => true;
        public static TV Apply<TV, TL>(in Constants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
            TL.Select(TL.And(TL.GreaterThan(v, TL.Broadcast(a.RampLow)), TL.LessThan(v, TL.Broadcast(a.RampHigh))), TL.Broadcast(a.Alpha), TL.Broadcast(0f));
    }

    private readonly struct SigmoidGrad : IFormula
    {
        public static bool Gradient => true;
        public static TV Apply<TV, TL>(in Constants a, TV v) where TV : unmanaged where TL : ISimd<TV>
        {
            var s = SigmoidOf<TV, TL>(v);
            return TL.Multiply(s, TL.Subtract(TL.Broadcast(1f), s));
        }
    }
}
