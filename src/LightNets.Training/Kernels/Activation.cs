using LightNets.Graphs;

namespace LightNets.Training.Kernels;

/// <summary>The element-wise activations the five families train with.</summary>
public enum ActivationKind
{
    /// <summary>y = max(x, 0); dy/dx = 1 for x &gt; 0, else 0 (PyTorch: relu'(0) = 0).</summary>
    Relu,
    /// <summary>y = min(max(x, Min), Max); dy/dx = 1 only for Min &lt; x &lt; Max, strictly (PyTorch's hardtanh). ReLU6 is Clip(0, 6).</summary>
    Clip,
    /// <summary>
    /// y = x·ReLU6(x + 3)/6; dy/dx = 0 for x &lt; −3, x/3 + 1/2 for −3 ≤ x ≤ 3, 1 above (PyTorch's documented rule and its
    /// scalar hardswish_backward; PyTorch 1.13's vectorized path gives 1 at exactly x = 3).
    /// </summary>
    HardSwish,
    /// <summary>
    /// y = max(0, min(1, Alpha·x + Beta)); dy/dx = Alpha strictly between the ramp's ends −Beta/Alpha and (1 − Beta)/Alpha
    /// (computed in double, then rounded to the kernel's float type, and x compared with them), else 0. MobileNetV3's
    /// h-sigmoid is Alpha = 1/6, Beta = 1/2 (PyTorch: 1/6 for −3 &lt; x &lt; 3).
    /// </summary>
    HardSigmoid,
    /// <summary>y = 1/(1 + e^−x); dy/dx = y·(1 − y).</summary>
    Sigmoid,
}

/// <summary>
/// One activation with its constants: <see cref="Min"/>/<see cref="Max"/> for <see cref="ActivationKind.Clip"/>,
/// <see cref="Alpha"/>/<see cref="Beta"/> for <see cref="ActivationKind.HardSigmoid"/>; unused fields are 0.
/// </summary>
public readonly record struct Activation(ActivationKind Kind, float Min = 0f, float Max = 0f, float Alpha = 0f, float Beta = 0f)
{
    public static Activation Relu => new(ActivationKind.Relu);
    public static Activation Relu6 => Clip(0f, 6f);
    public static Activation HardSwish => new(ActivationKind.HardSwish);
    public static Activation Sigmoid => new(ActivationKind.Sigmoid);
    public static Activation Clip(float min, float max) => new(ActivationKind.Clip, Min: min, Max: max);
    /// <summary>MobileNetV3's h-sigmoid by default: Alpha = 1/6, Beta = 1/2.</summary>
    public static Activation HardSigmoid(float alpha = 1f / 6f, float beta = 0.5f) => new(ActivationKind.HardSigmoid, Alpha: alpha, Beta: beta);

    /// <summary>The activation a graph node computes, or null when <paramref name="op"/> is not an element-wise activation.</summary>
    public static Activation? From(Op op) => op switch
    {
        ReluOp => Relu,
        ClipOp c => Clip(c.Min, c.Max),
        HardSwishOp => HardSwish,
        HardSigmoidOp h => HardSigmoid(h.Alpha, h.Beta),
        SigmoidOp => Sigmoid,
        _ => null,
    };
}
