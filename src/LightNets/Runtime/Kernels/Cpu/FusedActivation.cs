using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LightNets.Runtime.Kernels.Cpu;

/// <summary>An activation applied in a kernel's epilogue, before the value is stored.</summary>
public enum FusedActivation
{
    None,
    Relu,
    Relu6,
    /// <summary>x · min(max(x + 3, 0), 6) / 6.</summary>
    HardSwish,
    /// <summary>min(max(x + 3, 0), 6) / 6 (MobileNetV3's gate: alpha 1/6, beta 0.5).</summary>
    HardSigmoid,
}

/// <summary>
/// The activations in scalar and vector form, with the same operation order as the reference kernels so that the only
/// difference between tiers is FMA contraction and summation order.
/// </summary>
public static class Activations
{
    private const float Sixth = 1f / 6f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x, FusedActivation act) => act switch
    {
        FusedActivation.None => x,
        FusedActivation.Relu => MathF.Max(x, 0f),
        FusedActivation.Relu6 => MathF.Min(MathF.Max(x, 0f), 6f),
        FusedActivation.HardSwish => x * (MathF.Min(MathF.Max(x + 3f, 0f), 6f) * Sixth),
        FusedActivation.HardSigmoid => MathF.Min(MathF.Max(x + 3f, 0f), 6f) * Sixth,
        _ => x,
    };

    // The vector forms clamp with MaxNative/MinNative, the bare vmaxps/vminps: Max/Min's IEEE 754 semantics add a
    // vfixupimmps per call. The constant goes first: x86 returns the second operand when either is NaN, so a NaN input
    // still comes out NaN, as in the scalar reference (ARM64's fmax/fmin return NaN when either operand is, so the order
    // does not matter there); only ReLU(−0) gives −0 (equal to +0) instead of +0.
    // One form per width, with the vector operators (JIT intrinsics, not inlinees), rather than one written over ISimd:
    // that form inlines about four times as many methods. The GEMM tile's epilogue applies the activation up to 32
    // times (8 rows × 2 registers × full and masked paths); with the ISimd form it came so close to the JIT's inlining
    // budget that one more level in the masked store left a call there, around which accumulators were spilled inside
    // the K loop.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Clamp0(Vector512<float> x) => Vector512.MaxNative(Vector512<float>.Zero, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Clamp06(Vector512<float> x) => Vector512.MinNative(Vector512.Create(6f), Clamp0(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Clamp0(Vector256<float> x) => Vector256.MaxNative(Vector256<float>.Zero, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Clamp06(Vector256<float> x) => Vector256.MinNative(Vector256.Create(6f), Clamp0(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Clamp0(Vector128<float> x) => Vector128.MaxNative(Vector128<float>.Zero, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Clamp06(Vector128<float> x) => Vector128.MinNative(Vector128.Create(6f), Clamp0(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x, FusedActivation act) => act switch
    {
        FusedActivation.None => x,
        FusedActivation.Relu => Clamp0(x),
        FusedActivation.Relu6 => Clamp06(x),
        FusedActivation.HardSwish => x * (Clamp06(x + Vector512.Create(3f)) * Vector512.Create(Sixth)),
        FusedActivation.HardSigmoid => Clamp06(x + Vector512.Create(3f)) * Vector512.Create(Sixth),
        _ => x,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x, FusedActivation act) => act switch
    {
        FusedActivation.None => x,
        FusedActivation.Relu => Clamp0(x),
        FusedActivation.Relu6 => Clamp06(x),
        FusedActivation.HardSwish => x * (Clamp06(x + Vector256.Create(3f)) * Vector256.Create(Sixth)),
        FusedActivation.HardSigmoid => Clamp06(x + Vector256.Create(3f)) * Vector256.Create(Sixth),
        _ => x,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Apply(Vector128<float> x, FusedActivation act) => act switch
    {
        FusedActivation.None => x,
        FusedActivation.Relu => Clamp0(x),
        FusedActivation.Relu6 => Clamp06(x),
        FusedActivation.HardSwish => x * (Clamp06(x + Vector128.Create(3f)) * Vector128.Create(Sixth)),
        FusedActivation.HardSigmoid => Clamp06(x + Vector128.Create(3f)) * Vector128.Create(Sixth),
        _ => x,
    };
}

/// <summary>
/// An activation as a type, so that kernels generic over it are specialized by the JIT with no per-element branch
/// (TensorPrimitives' operator-struct pattern): a kernel applies <c>Activations.Apply(x, TAct.Kind)</c>, whose switch
/// the JIT folds, <see cref="Kind"/> being a constant of the type. Callers switch once on <see cref="FusedActivation"/>
/// to pick the type.
/// </summary>
public interface IActivation
{
    static abstract FusedActivation Kind { get; }
}

public readonly struct IdentityActivation : IActivation { public static FusedActivation Kind => FusedActivation.None; }

public readonly struct ReluActivation : IActivation { public static FusedActivation Kind => FusedActivation.Relu; }

public readonly struct Relu6Activation : IActivation { public static FusedActivation Kind => FusedActivation.Relu6; }

public readonly struct HardSwishActivation : IActivation { public static FusedActivation Kind => FusedActivation.HardSwish; }

public readonly struct HardSigmoidActivation : IActivation { public static FusedActivation Kind => FusedActivation.HardSigmoid; }
