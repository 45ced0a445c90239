using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LightNets.Runtime.Kernels.Cpu;

/// <summary>
/// 128-bit registers, 4 lanes, through the portable <see cref="Vector128"/> API only: the JIT lowers it to AdvSimd on
/// ARM64 (FMLA, LD1/ST1, FMAX with NaN propagation), to SSE/AVX encodings on x86 and to WebAssembly SIMD, so one tier
/// serves every 128-bit machine and can be tested on x86 with <see cref="Isa.V128"/>.
/// <para>
/// <see cref="MultiplyAdd"/> is <c>Vector128.MultiplyAddEstimate</c>: a fused multiply-add where the processor
/// has one (ARM64, x86 with FMA), a product and a sum otherwise. <c>Vector128.FusedMultiplyAdd</c> would be exact
/// everywhere, but on an x86 processor without FMA it falls back to software, per lane. The tolerance the tests use for
/// the vector tiers already covers both roundings.
/// </para>
/// <para>
/// There are no masked loads and stores in the portable API (AdvSimd has none at all): the channel tails, 1 to 3
/// floats, are read and written lane by lane. They are at most one register per row of channels, so this costs
/// little, and no byte past the tail is touched — the same contract as the x86 tiers' masked moves.
/// </para>
/// </summary>
internal readonly unsafe struct Simd128 : ISimd<Vector128<float>>
{
    public static int Count => 4;

    /// <summary>
    /// Vector registers the JIT can allocate: 32 on ARM64 and on x86 with AVX-512VL (EVEX encodes xmm16–31), 16 with
    /// SSE or AVX alone. Register tiles are sized by it.
    /// </summary>
    public static int Registers =>
        System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported || System.Runtime.Intrinsics.X86.Avx512F.VL.IsSupported ? 32 : 16;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MaskFor(int n) =>
        Vector128.LessThan(Vector128.Create(0, 1, 2, 3), Vector128.Create(n)).AsSingle();

    // Both inlined, with no call left in them: the GEMM tile stores its rows through them, and a call there makes the
    // JIT spill the accumulators that are still live around it, inside the K loop (measured: a 6× slower tile).

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadMasked(float* p, Vector128<float> mask)
    {
        // The masks are prefixes (MaskFor): the count of set lanes says how many floats to read.
        var n = System.Numerics.BitOperations.PopCount(mask.ExtractMostSignificantBits());
        if (n >= 4) return Vector128.Load(p);
        var v = Vector128<float>.Zero;
        if (n > 0) v = v.WithElement(0, p[0]);
        if (n > 1) v = v.WithElement(1, p[1]);
        if (n > 2) v = v.WithElement(2, p[2]);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreMasked(float* p, Vector128<float> mask, Vector128<float> v)
    {
        var n = System.Numerics.BitOperations.PopCount(mask.ExtractMostSignificantBits());
        if (n >= 4)
        {
            v.Store(p);
            return;
        }
        if (n > 0) p[0] = v.ToScalar();
        if (n > 1) p[1] = v.GetElement(1);
        if (n > 2) p[2] = v.GetElement(2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Exp(Vector128<float> x) => Vector128.Exp(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ReduceSum(Vector128<float> x) => Vector128.Sum(x);

    public static float ReduceMax(Vector128<float> x) =>
        MathF.Max(MathF.Max(x.GetElement(0), x.GetElement(1)), MathF.Max(x.GetElement(2), x.GetElement(3)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LessThanOrEqual(Vector128<float> a, Vector128<float> b) => Vector128.LessThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> And(Vector128<float> a, Vector128<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Or(Vector128<float> a, Vector128<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> AndNot(Vector128<float> a, Vector128<float> b) => Vector128.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> IsNaN(Vector128<float> v) => Vector128.IsNaN(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Select(Vector128<float> mask, Vector128<float> ifTrue, Vector128<float> ifFalse) => Vector128.ConditionalSelect(mask, ifTrue, ifFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Activate<TAct>(Vector128<float> x) where TAct : IActivation => Activations.Apply(x, TAct.Kind);
}
