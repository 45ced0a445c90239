using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu;

/// <summary>
/// A register of float32 lanes as a type, so that one kernel body serves every <see cref="Isa"/> tier: the kernel is
/// generic over <typeparamref name="TV"/> (<see cref="Vector512{T}"/>, <see cref="Vector256{T}"/>,
/// <see cref="Vector128{T}"/> (<see cref="Simd128"/>) or a single <see cref="float"/>) and a struct <c>TS : ISimd&lt;TV&gt;</c>, and the JIT compiles one specialization per tier
/// with every call below inlined (the operator-struct pattern of TensorPrimitives).
/// <para>
/// The implementations use the portable <c>Vector512</c>/<c>Vector256</c>/<c>Vector128</c> API; only the masked
/// loads and stores of the two x86 tiers name x86 instructions (<c>vmaskmovps</c>, AVX-512 masked moves), which the
/// portable API lacks. <see cref="Max"/> is <c>Vector512.Max</c>/<c>Vector256.Max</c>, which since .NET 9 follow
/// IEEE 754 maximum (NaN propagates, −0 &lt; +0) at the cost of a few extra instructions. A bare <c>vmaxps</c> returns its second operand when either is NaN, so a
/// running maximum <c>max(acc, x)</c> forgets a NaN as soon as a number follows it, and max pooling would return a
/// number where the reference (and PyTorch) give NaN. Only pooling and Softmax's maximum use it; both are bound by
/// their loads.
/// </para>
/// <para>
/// <see cref="Simd512"/> and <see cref="Simd256"/> mirror each other member for member. One generic implementation
/// would need .NET's ISimdVector&lt;TSelf, T&gt;, which is internal to the runtime; and an interface's default
/// implementation of a static member is called, not inlined, by the JIT (checked with DOTNET_JitDisasm on .NET 10).
/// </para>
/// </summary>
internal unsafe interface ISimd<TV> where TV : unmanaged
{
    /// <summary>Lanes per register: 16, 8, 4 or 1.</summary>
    static abstract int Count { get; }

    static abstract TV Zero { get; }

    static abstract TV Broadcast(float x);

    static abstract TV Load(float* p);

    static abstract void Store(float* p, TV v);

    /// <summary>The lanes whose index is below <paramref name="n"/> switched on (0 ≤ n ≤ Count).</summary>
    static abstract TV MaskFor(int n);

    /// <summary>Loads the lanes on in <paramref name="mask"/>; the others read as 0 and their memory is not accessed.</summary>
    static abstract TV LoadMasked(float* p, TV mask);

    /// <summary>Stores the lanes on in <paramref name="mask"/>; the memory of the others is not accessed.</summary>
    static abstract void StoreMasked(float* p, TV mask, TV v);

    static abstract TV Add(TV a, TV b);

    static abstract TV Subtract(TV a, TV b);

    static abstract TV Multiply(TV a, TV b);

    static abstract TV Divide(TV a, TV b);

    /// <summary>a·b + c: one fused multiply-add on the vector tiers, a rounded product then a sum on the scalar one.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    /// <summary>Per-lane maximum, NaN when either lane is NaN (IEEE 754 maximum).</summary>
    static abstract TV Max(TV a, TV b);

    /// <summary>e^x per lane (.NET's vectorized approximation on the vector tiers, <see cref="MathF.Exp"/> on the scalar one).</summary>
    static abstract TV Exp(TV x);

    static abstract float ReduceSum(TV x);

    static abstract float ReduceMax(TV x);

    /// <summary>All bits set in the lanes where a &lt; b (false when either is NaN); the scalar tier's mask is 1 or 0.</summary>
    static abstract TV LessThan(TV a, TV b);

    static abstract TV LessThanOrEqual(TV a, TV b);

    static abstract TV GreaterThan(TV a, TV b);

    static abstract TV And(TV a, TV b);

    static abstract TV Or(TV a, TV b);

    /// <summary>The lanes of <paramref name="a"/>'s mask that are not in <paramref name="b"/>'s.</summary>
    static abstract TV AndNot(TV a, TV b);

    static abstract TV IsNaN(TV v);

    /// <summary>Lanes of <paramref name="ifTrue"/> where the mask is set, of <paramref name="ifFalse"/> elsewhere.</summary>
    static abstract TV Select(TV mask, TV ifTrue, TV ifFalse);

    static abstract TV Activate<TAct>(TV x) where TAct : IActivation;
}

/// <summary>AVX-512F: 16 lanes, masks as vectors whose set sign bits select lanes.</summary>
internal readonly unsafe struct Simd512 : ISimd<Vector512<float>>
{
    public static int Count => 16;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MaskFor(int n) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadMasked(float* p, Vector512<float> mask) => Avx512F.MaskLoad(p, mask, Vector512<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreMasked(float* p, Vector512<float> mask, Vector512<float> v) => Avx512F.MaskStore(p, mask, v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Exp(Vector512<float> x) => Vector512.Exp(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ReduceSum(Vector512<float> x) => Vector512.Sum(x);
    public static float ReduceMax(Vector512<float> x) => Simd256.ReduceMax(Vector256.Max(x.GetLower(), x.GetUpper()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LessThanOrEqual(Vector512<float> a, Vector512<float> b) => Vector512.LessThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> And(Vector512<float> a, Vector512<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Or(Vector512<float> a, Vector512<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> AndNot(Vector512<float> a, Vector512<float> b) => Vector512.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> IsNaN(Vector512<float> v) => Vector512.IsNaN(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Select(Vector512<float> mask, Vector512<float> ifTrue, Vector512<float> ifFalse) => Vector512.ConditionalSelect(mask, ifTrue, ifFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Activate<TAct>(Vector512<float> x) where TAct : IActivation => Activations.Apply(x, TAct.Kind);
}

/// <summary>AVX2 + FMA: 8 lanes; masked accesses are <c>vmaskmovps</c>, which suppresses faults on masked-off lanes.</summary>
internal readonly unsafe struct Simd256 : ISimd<Vector256<float>>
{
    public static int Count => 8;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MaskFor(int n) =>
        Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(n)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadMasked(float* p, Vector256<float> mask) => Avx.MaskLoad(p, mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreMasked(float* p, Vector256<float> mask, Vector256<float> v) => Avx.MaskStore(p, mask, v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Exp(Vector256<float> x) => Vector256.Exp(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ReduceSum(Vector256<float> x) => Vector256.Sum(x);

    public static float ReduceMax(Vector256<float> x)
    {
        var max = float.NegativeInfinity;
        for (var k = 0; k < Vector256<float>.Count; k++) max = MathF.Max(max, x.GetElement(k));
        return max;
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LessThanOrEqual(Vector256<float> a, Vector256<float> b) => Vector256.LessThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> AndNot(Vector256<float> a, Vector256<float> b) => Vector256.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> IsNaN(Vector256<float> v) => Vector256.IsNaN(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<float> mask, Vector256<float> ifTrue, Vector256<float> ifFalse) => Vector256.ConditionalSelect(mask, ifTrue, ifFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Activate<TAct>(Vector256<float> x) where TAct : IActivation => Activations.Apply(x, TAct.Kind);
}

/// <summary>
/// One lane: the portable tier of the kernels written over <see cref="ISimd{TV}"/> (depthwise convolution, pooling,
/// element-wise). <see cref="MultiplyAdd"/> rounds the product before adding it, as the reference kernels do: with
/// DOTNET_EnableHWIntrinsic=0 the JIT compiles <see cref="MathF.FusedMultiplyAdd"/> to a call into the C runtime per
/// element. (The scalar GEMM tile, <c>GemmTileScalar</c>, is not written over this type and does use
/// <see cref="MathF.FusedMultiplyAdd"/>.) A one-lane block never has a channel tail, so the masked members only exist
/// to complete the interface.
/// </summary>
internal readonly unsafe struct SimdScalar : ISimd<float>
{
    public static int Count => 1;
    public static float Zero => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Broadcast(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, float v) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaskFor(int n) => n > 0 ? 1f : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LoadMasked(float* p, float mask) => mask != 0f ? *p : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreMasked(float* p, float mask, float v)
    {
        if (mask != 0f) *p = v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Divide(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyAdd(float a, float b, float c) => a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Subtract(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Exp(float x) => MathF.Exp(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ReduceSum(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ReduceMax(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LessThan(float a, float b) => a < b ? 1f : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LessThanOrEqual(float a, float b) => a <= b ? 1f : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float GreaterThan(float a, float b) => a > b ? 1f : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float And(float a, float b) => a != 0f && b != 0f ? 1f : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Or(float a, float b) => a != 0f || b != 0f ? 1f : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float AndNot(float a, float b) => a != 0f && b == 0f ? 1f : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float IsNaN(float v) => float.IsNaN(v) ? 1f : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Select(float mask, float ifTrue, float ifFalse) => mask != 0f ? ifTrue : ifFalse;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Activate<TAct>(float x) where TAct : IActivation => Activations.Apply(x, TAct.Kind);
}

/// <summary>
/// How a kernel reaches the channels of one register-wide channel block: all lanes (<see cref="FullBlock{TV, TS}"/>)
/// or only the first C mod Count (<see cref="TailBlock{TV, TS}"/>). Kernels are generic over it, so the same body
/// serves the main blocks and the tail and the JIT emits plain loads for the former.
/// </summary>
internal unsafe interface IChannelBlock<TV> where TV : unmanaged
{
    TV Load(float* p);
    void Store(float* p, TV v);
}

internal readonly unsafe struct FullBlock<TV, TS> : IChannelBlock<TV> where TV : unmanaged where TS : ISimd<TV>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public TV Load(float* p) => TS.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* p, TV v) => TS.Store(p, v);
}

internal readonly unsafe struct TailBlock<TV, TS>(int lanes) : IChannelBlock<TV> where TV : unmanaged where TS : ISimd<TV>
{
    private readonly TV _mask = TS.MaskFor(lanes);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public TV Load(float* p) => TS.LoadMasked(p, _mask);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* p, TV v) => TS.StoreMasked(p, _mask, v);
}
