using System.Runtime.CompilerServices;
using LightNets.Runtime.Kernels.Cpu;
using static LightNets.Training.Kernels.Cpu.Elementwise.ActivationFormulas;

namespace LightNets.Training.Kernels.Cpu.Elementwise;

/// <summary>
/// The activations and their slopes as SIMD formulas over any <see cref="ISimd{TV}"/> tier, written with the reference's
/// operations in the reference's order (selects for its comparisons, no fused multiply-adds) so that every lane is
/// bit-identical to <see cref="Reference.TrainReference"/> (only the sigmoid's exponential differs on the vector tiers).
/// Shared by the activation kernels and the BatchNorm passes that apply an activation on the fly.
/// </summary>
internal static class ActivationFormulas
{
    /// <summary>The reference's clamp: lo below lo (tested first), hi above hi, NaN and everything else unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Clamp<TV, TL>(TV v, TV lo, TV hi) where TV : unmanaged where TL : ISimd<TV> =>
        TL.Select(TL.LessThan(v, lo), lo, TL.Select(TL.GreaterThan(v, hi), hi, v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV SigmoidOf<TV, TL>(TV v) where TV : unmanaged where TL : ISimd<TV> =>
        TL.Divide(TL.Broadcast(1f), TL.Add(TL.Broadcast(1f), TL.Exp(TL.Subtract(TL.Broadcast(0f), v))));
}

/// <summary>An activation's constants, and h-sigmoid's ramp as the reference bounds it (<see cref="Reference.TrainReference.HardSigmoidRamp{T}"/>).</summary>
internal struct ActivationConstants
{
    public ActivationKind Kind;
    public float Min, Max, Alpha, Beta, RampLow, RampHigh;

    public static implicit operator ActivationConstants(Activation a) =>
        new() { Kind = a.Kind, Min = a.Min, Max = a.Max, Alpha = a.Alpha, Beta = a.Beta };
}

/// <summary>An activation's value, or (when <see cref="Gradient"/>) its slope, which the kernel multiplies by dy.</summary>
internal interface IActivationFormula
{
    static abstract bool Gradient { get; }
    static abstract TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV>;
}

internal readonly struct Relu : IActivationFormula
{
    public static bool Gradient => false;
    public static TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
        TL.Select(TL.LessThan(v, TL.Broadcast(0f)), TL.Broadcast(0f), v);
}

internal readonly struct Clip : IActivationFormula
{
    public static bool Gradient => false;
    public static TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
        Clamp<TV, TL>(v, TL.Broadcast(a.Min), TL.Broadcast(a.Max));
}

internal readonly struct HardSwish : IActivationFormula
{
    public static bool Gradient => false;
    public static TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
        TL.Divide(TL.Multiply(v, Clamp<TV, TL>(TL.Add(v, TL.Broadcast(3f)), TL.Broadcast(0f), TL.Broadcast(6f))), TL.Broadcast(6f));
}

internal readonly struct HardSigmoid : IActivationFormula
{
    public static bool Gradient => false;
    public static TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
        Clamp<TV, TL>(TL.Add(TL.Multiply(TL.Broadcast(a.Alpha), v), TL.Broadcast(a.Beta)), TL.Broadcast(0f), TL.Broadcast(1f));
}

internal readonly struct Sigmoid : IActivationFormula
{
    public static bool Gradient => false;
    public static TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV> => SigmoidOf<TV, TL>(v);
}

internal readonly struct ReluGrad : IActivationFormula
{
    public static bool Gradient => true;
    public static TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
        TL.Select(TL.GreaterThan(v, TL.Broadcast(0f)), TL.Broadcast(1f), TL.Broadcast(0f));
}

internal readonly struct ClipGrad : IActivationFormula
{
    public static bool Gradient => true;
    public static TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
        TL.Select(TL.And(TL.GreaterThan(v, TL.Broadcast(a.Min)), TL.LessThan(v, TL.Broadcast(a.Max))), TL.Broadcast(1f), TL.Broadcast(0f));
}

internal readonly struct HardSwishGrad : IActivationFormula
{
    public static bool Gradient => true;
    public static TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
        TL.Select(TL.LessThan(v, TL.Broadcast(-3f)), TL.Broadcast(0f),
            TL.Select(TL.LessThanOrEqual(v, TL.Broadcast(3f)), TL.Add(TL.Divide(v, TL.Broadcast(3f)), TL.Broadcast(0.5f)), TL.Broadcast(1f)));
}

internal readonly struct HardSigmoidGrad : IActivationFormula
{
    public static bool Gradient => true;
    public static TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV> =>
        TL.Select(TL.And(TL.GreaterThan(v, TL.Broadcast(a.RampLow)), TL.LessThan(v, TL.Broadcast(a.RampHigh))), TL.Broadcast(a.Alpha), TL.Broadcast(0f));
}

internal readonly struct SigmoidGrad : IActivationFormula
{
    public static bool Gradient => true;
    public static TV Apply<TV, TL>(in ActivationConstants a, TV v) where TV : unmanaged where TL : ISimd<TV>
    {
        var s = SigmoidOf<TV, TL>(v);
        return TL.Multiply(s, TL.Subtract(TL.Broadcast(1f), s));
    }
}
