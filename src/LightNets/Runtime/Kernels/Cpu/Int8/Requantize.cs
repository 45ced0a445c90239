namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>The activation of a quantized kernel's epilogue, applied to the real value before it is requantized.</summary>
public enum QuantActivation
{
    None,

    /// <summary>min(max(x, <see cref="Requantize.ClampMin"/>), <see cref="Requantize.ClampMax"/>): ReLU is (0, +∞), ReLU6 (0, 6).</summary>
    Clamp,

    /// <summary>x · (min(max(x + 3, 0), 6) · (1/6)), the float32 operations of <see cref="Activations.Apply(float, FusedActivation)"/>.</summary>
    HardSwish,

    /// <summary>min(max(x + 3, 0), 6) · (1/6), as <see cref="Activations.Apply(float, FusedActivation)"/>.</summary>
    HardSigmoid,
}

/// <summary>
/// The epilogue shared by every int8 kernel that produces a quantized output: how an exact int32 accumulator (already
/// zero-point compensated, acc = Σ (a − za)·w) of output channel n becomes a uint8. In float32, with fused multiply-adds:
/// <code>
/// t = fma((float)acc, Scale[n], Bias[n])
/// t = fma((float)(r − ResidualZeroPoint), ResidualScale, t)        only with a residual input r (same shape as the output)
/// t = act(t)                                                        see <see cref="QuantActivation"/>
/// t = t · OutputScale
/// q = clamp(round_half_even(t) + OutputZeroPoint, QMin, QMax)       stored as a byte
/// </code>
/// The float-output form (a last FC layer whose logits stay float) stores t after the activation, without
/// <see cref="OutputScale"/> and without rounding.
/// <para>
/// Every tier computes exactly these operations in this order, so their bytes are identical: FMA on the scalar tier
/// too (<see cref="MathF.FusedMultiplyAdd"/>), a float multiply by OutputScale even when it is 1 (exact), and the
/// clamp applied in float before rounding (round is monotone and QMin − zo, QMax − zo are integers, so this equals
/// the integer clamp after rounding, and keeps huge t away from the int32 conversion, whose out-of-range result
/// differs between <c>cvtps2dq</c> and C#'s saturating cast). Rounding is to nearest, ties to even
/// (<c>cvtps2dq</c> under the default MXCSR, <see cref="MathF.Round(float)"/>). Inputs are finite, so no NaN occurs.
/// </para>
/// <para>
/// Immutable once built; shared by threads. <see cref="Scale"/> and <see cref="Bias"/> hold one value per output
/// channel (kernels take a channel offset, so that the groups of a grouped 1×1 convolution share one instance).
/// </para>
/// </summary>
public sealed record Requantize
{
    /// <summary>Per output channel: real = acc · Scale (typically sa·sw[n], or sa·sw[n]/so when folded).</summary>
    public required float[] Scale { get; init; }

    /// <summary>Per output channel, added by the same fused multiply-add (the conv bias in real units).</summary>
    public required float[] Bias { get; init; }

    public QuantActivation Activation { get; init; }

    /// <summary>Lower bound of <see cref="QuantActivation.Clamp"/>; −∞ for none.</summary>
    public float ClampMin { get; init; } = float.NegativeInfinity;

    /// <summary>Upper bound of <see cref="QuantActivation.Clamp"/>; +∞ for none.</summary>
    public float ClampMax { get; init; } = float.PositiveInfinity;

    /// <summary>Multiplies t after the activation (1/so when Scale and Bias are in real units).</summary>
    public float OutputScale { get; init; } = 1f;

    public int OutputZeroPoint { get; init; }

    public int QMin { get; init; }

    public int QMax { get; init; } = 255;

    /// <summary>The residual's scale sr (real r = (r_q − zr)·sr), in the output's pre-OutputScale units.</summary>
    public float ResidualScale { get; init; } = 1f;

    public int ResidualZeroPoint { get; init; }

    /// <summary>Checks the parameters for channels [<paramref name="first"/>, first + <paramref name="count"/>).</summary>
    internal void Validate(int first, int count, string name)
    {
        if (Scale is null || Bias is null) throw new ArgumentException("needs Scale and Bias arrays", name);
        KernelGuard.That(first >= 0 && (long)first + count <= Scale.Length && (long)first + count <= Bias.Length,
            $"channels [{first}, {first + count}) are not all in Scale[{Scale.Length}] and Bias[{Bias.Length}]", name);
        KernelGuard.That(0 <= QMin && QMin <= QMax && QMax <= 255, $"needs 0 ≤ QMin ≤ QMax ≤ 255, got [{QMin}, {QMax}]", name);
        KernelGuard.That(OutputZeroPoint is >= -255 and <= 510 && ResidualZeroPoint is >= 0 and <= 255,
            $"zero points out of range: output {OutputZeroPoint}, residual {ResidualZeroPoint}", name);
        KernelGuard.That(Activation != QuantActivation.Clamp || ClampMin <= ClampMax, $"clamp [{ClampMin}, {ClampMax}] is empty", name);
        KernelGuard.That(Enum.IsDefined(Activation), $"unknown activation {Activation}", name);
    }
}

/// <summary>The activation as a type, so that kernels generic over it compile without a per-element branch.</summary>
internal interface IQuantActivation
{
    static abstract QuantActivation Kind { get; }
}

internal readonly struct NoActivation : IQuantActivation { public static QuantActivation Kind => QuantActivation.None; }

internal readonly struct ClampActivation : IQuantActivation { public static QuantActivation Kind => QuantActivation.Clamp; }

internal readonly struct HardSwishQuant : IQuantActivation { public static QuantActivation Kind => QuantActivation.HardSwish; }

internal readonly struct HardSigmoidQuant : IQuantActivation { public static QuantActivation Kind => QuantActivation.HardSigmoid; }

/// <summary>
/// The scalar parameters of one call's epilogue, read once per call from a <see cref="Requantize"/>; the clamp of the
/// rounding is pre-shifted by the output zero point (see <see cref="Requantize"/>).
/// <para>
/// With <c>foldClamp</c> (uint8 output), a <see cref="QuantActivation.Clamp"/> with a positive finite OutputScale is
/// merged into the rounding's clamp, saving two operations per register: x ↦ fl(x · OutputScale) is monotone, so
/// fl(clamp(t, lo, hi) · s) = clamp(fl(t · s), fl(lo · s), fl(hi · s)), and two clamps in a row are one clamp to
/// [min(max(A, L), H), max(min(B, H), L)] (which is [L, L] or [H, H] when the ranges do not meet). The bytes are
/// exactly those of the unfolded formula.
/// </para>
/// </summary>
internal readonly struct EpilogueScalars
{
    public EpilogueScalars(Requantize q, bool foldClamp)
    {
        Activation = q.Activation;
        ClampMin = q.ClampMin;
        ClampMax = q.ClampMax;
        OutputScale = q.OutputScale;
        Low = q.QMin - q.OutputZeroPoint;
        High = q.QMax - q.OutputZeroPoint;
        OutputZeroPoint = q.OutputZeroPoint;
        ResidualScale = q.ResidualScale;
        ResidualZeroPoint = q.ResidualZeroPoint;
        if (foldClamp && q.Activation == QuantActivation.Clamp && q.OutputScale > 0f && float.IsFinite(q.OutputScale))
        {
            float a = q.ClampMin * q.OutputScale, b = q.ClampMax * q.OutputScale;
            (Low, High) = (MathF.Min(MathF.Max(a, Low), High), MathF.Max(MathF.Min(b, High), Low));
            Activation = QuantActivation.None;
        }
    }

    /// <summary>The activation the kernel applies (None once a clamp is folded).</summary>
    public readonly QuantActivation Activation;
    public readonly float ClampMin;
    public readonly float ClampMax;
    public readonly float OutputScale;
    public readonly float Low;
    public readonly float High;
    public readonly int OutputZeroPoint;
    public readonly float ResidualScale;
    public readonly int ResidualZeroPoint;
}
