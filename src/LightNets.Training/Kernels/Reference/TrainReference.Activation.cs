using System.Numerics;

namespace LightNets.Training.Kernels.Reference;

public static partial class TrainReference
{
    /// <summary>
    /// y[i] = f(x[i]) for the activation f of <paramref name="a"/> (see <see cref="ActivationKind"/>). A NaN input gives a
    /// NaN output, as in PyTorch, so a diverging run shows as a NaN loss instead of being clipped away.
    /// </summary>
    public static void ActivationForward<T>(Activation a, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArgs.Length<T>(y, x.Length, nameof(y));
        for (var i = 0; i < x.Length; i++) y[i] = Apply(a, x[i]);
    }

    /// <summary>
    /// dx[i] = dy[i] · f′(x[i]), reading the forward INPUT x, with PyTorch's derivative at the kinks (see
    /// <see cref="ActivationKind"/>): ReLU 0 at 0; Clip 1 only strictly inside (Min, Max); h-swish x/3 + 1/2 on the
    /// closed [−3, 3]; h-sigmoid Alpha only strictly inside the ramp (see <see cref="HardSigmoidRamp{T}"/>).
    /// </summary>
    public static void ActivationBackward<T>(Activation a, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArgs.Length(dy, x.Length, nameof(dy));
        KernelArgs.Length<T>(dx, x.Length, nameof(dx));
        for (var i = 0; i < x.Length; i++) dx[i] = dy[i] * Slope(a, x[i]);
    }

    private static T Apply<T>(Activation a, T v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T three = T.CreateChecked(3), six = T.CreateChecked(6);
        return a.Kind switch
        {
            ActivationKind.Relu => Clamp(v, T.Zero, T.PositiveInfinity),
            ActivationKind.Clip => Clamp(v, T.CreateChecked(a.Min), T.CreateChecked(a.Max)),
            ActivationKind.HardSwish => v * Clamp(v + three, T.Zero, six) / six,
            ActivationKind.HardSigmoid => Clamp(T.CreateChecked(a.Alpha) * v + T.CreateChecked(a.Beta), T.Zero, T.One),
            ActivationKind.Sigmoid => T.One / (T.One + T.Exp(-v)),
            _ => throw new ArgumentException($"unknown activation {a.Kind}", nameof(a)),
        };
    }

    private static T Slope<T>(Activation a, T v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var three = T.CreateChecked(3);
        switch (a.Kind)
        {
            case ActivationKind.Relu:
                return v > T.Zero ? T.One : T.Zero;
            case ActivationKind.Clip:
                return v > T.CreateChecked(a.Min) && v < T.CreateChecked(a.Max) ? T.One : T.Zero;
            case ActivationKind.HardSwish:
                return v < -three ? T.Zero : v <= three ? v / three + T.CreateChecked(0.5) : T.One;
            case ActivationKind.HardSigmoid:
                var (lo, hi) = HardSigmoidRamp<T>(a);
                return v > lo && v < hi ? T.CreateChecked(a.Alpha) : T.Zero;
            case ActivationKind.Sigmoid:
                var s = T.One / (T.One + T.Exp(-v));
                return s * (T.One - s);
            default:
                throw new ArgumentException($"unknown activation {a.Kind}", nameof(a));
        }
    }

    /// <summary>
    /// The open interval of x where h-sigmoid's ramp Alpha·x + Beta lies strictly inside (0, 1): its ends −Beta/Alpha and
    /// (1 − Beta)/Alpha computed in double and rounded to T. Testing x against them, not the rounded Alpha·x + Beta against
    /// 0 and 1, keeps PyTorch's rule (1/6 for −3 &lt; x &lt; 3): in float, (1/6)·2.9999998 + 0.5 rounds to 1.
    /// </summary>
    internal static (T Lo, T Hi) HardSigmoidRamp<T>(Activation a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Alpha == 0f) return (T.Zero, T.Zero);
        double zeroAt = -(double)a.Beta / a.Alpha, oneAt = (1 - (double)a.Beta) / a.Alpha;
        return (T.CreateChecked(Math.Min(zeroAt, oneAt)), T.CreateChecked(Math.Max(zeroAt, oneAt)));
    }

    /// <summary>min(max(v, lo), hi) that lets a NaN through (as PyTorch's clamp), where a comparison would pick a bound.</summary>
    private static T Clamp<T>(T v, T lo, T hi) where T : unmanaged, IFloatingPointIeee754<T> =>
        T.IsNaN(v) ? v : v < lo ? lo : v > hi ? hi : v;
}
