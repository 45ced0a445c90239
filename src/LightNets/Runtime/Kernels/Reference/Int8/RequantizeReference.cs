using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;

namespace LightNets.Runtime.Kernels.Reference.Int8;

/// <summary>
/// The epilogue of the int8 kernels (<see cref="Requantize"/>) as plain scalar code, one value at a time: the semantic
/// spec the optimized kernels must match byte for byte.
/// </summary>
public static class RequantizeReference
{
    /// <summary>
    /// The real value of output channel <paramref name="channel"/> after the activation:
    /// t = act(fma((float)(r − zr), sr, fma((float)acc, Scale[c], Bias[c]))), the residual term only when
    /// <paramref name="residual"/> is given. Clamp is min(max(t, lo), hi); h-swish and h-sigmoid are
    /// <see cref="Activations.Apply(float, FusedActivation)"/>'s float32 formulas (the fused float kernels').
    /// </summary>
    public static float Real(Requantize q, int channel, int acc, byte? residual)
    {
        ArgumentNullException.ThrowIfNull(q);
        var t = MathF.FusedMultiplyAdd(acc, q.Scale[channel], q.Bias[channel]);
        if (residual is byte r) t = MathF.FusedMultiplyAdd(r - q.ResidualZeroPoint, q.ResidualScale, t);
        return q.Activation switch
        {
            QuantActivation.None => t,
            QuantActivation.Clamp => MathF.Min(MathF.Max(t, q.ClampMin), q.ClampMax),
            QuantActivation.HardSwish => Activations.Apply(t, FusedActivation.HardSwish),
            QuantActivation.HardSigmoid => Activations.Apply(t, FusedActivation.HardSigmoid),
            _ => throw new ArgumentOutOfRangeException(nameof(q), q.Activation, "unknown activation"),
        };
    }

    /// <summary>
    /// q = clamp(round_half_even(t · OutputScale) + zo, QMin, QMax): the product in float32, the rounding by
    /// <see cref="MathF.Round(float)"/>, the sum and clamp in double (exact, and no int32 overflow for huge t).
    /// </summary>
    public static byte Quantize(Requantize q, float t)
    {
        ArgumentNullException.ThrowIfNull(q);
        var v = (double)MathF.Round(t * q.OutputScale) + q.OutputZeroPoint;
        return (byte)Math.Clamp(v, q.QMin, q.QMax);
    }

    /// <summary>The whole epilogue: <see cref="Quantize"/>(<see cref="Real"/>(…)).</summary>
    public static byte Apply(Requantize q, int channel, int acc, byte? residual) => Quantize(q, Real(q, channel, acc, residual));
}
