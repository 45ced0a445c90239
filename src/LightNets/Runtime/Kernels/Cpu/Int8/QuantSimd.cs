using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>
/// A register of int32 lanes (<typeparamref name="TI"/>) and its float32 twin (<typeparamref name="TF"/>) as types, so
/// that one body of the int8 epilogue, depthwise convolution, element-wise and pooling kernels serves every width
/// (the operator-struct pattern of <see cref="ISimd{TV}"/>). Bytes are loaded zero-extended into int32 lanes and
/// stored back narrowed, so a register of <see cref="Count"/> lanes is <see cref="Count"/> channels.
/// <para>
/// Every float operation is the same IEEE operation on every tier: <see cref="MultiplyAdd"/> is fused on the scalar
/// tier too, and <see cref="MaxNative"/>/<see cref="MinNative"/> are x86's <c>maxps</c>/<c>minps</c> (first operand
/// when it compares greater/less, else the second), which the scalar tier spells out, so even the sign of a zero
/// agrees. Partial loads and stores never touch memory beyond their <c>n</c> elements.
/// </para>
/// </summary>
internal unsafe interface IQuantSimd<TI, TF> where TI : unmanaged where TF : unmanaged
{
    static abstract int Count { get; }

    static abstract TI LoadBytes(byte* p);

    static abstract TI LoadBytesPartial(byte* p, int n);

    /// <summary>Stores the low byte of each lane (lanes hold 0..255).</summary>
    static abstract void StoreBytes(byte* p, TI v);

    static abstract void StoreBytesPartial(byte* p, TI v, int n);

    static abstract TI LoadInts(int* p);

    static abstract void StoreInts(int* p, TI v);

    static abstract TI BroadcastInt(int x);

    static abstract TI Add(TI a, TI b);

    static abstract TI Subtract(TI a, TI b);

    /// <summary>The low 32 bits of the products (exact for the small operands the kernels multiply).</summary>
    static abstract TI Multiply(TI a, TI b);

    /// <summary>
    /// x·w for x in [0, 32767] and w in [−32768, 32767] (activation bytes by weights): one <c>vpmaddwd</c>, which
    /// multiplies the low 16-bit halves (x, w) and adds the product of the high halves (0 and w's sign bits, so 0).
    /// </summary>
    static abstract TI MultiplySmall(TI x, TI w);

    static abstract TF ToFloat(TI v);

    /// <summary>Nearest integer, ties to even; the value must lie within int32.</summary>
    static abstract TI RoundToInt(TF v);

    static abstract TF Load(float* p);

    static abstract TF LoadPartial(float* p, int n);

    static abstract void Store(float* p, TF v);

    static abstract void StorePartial(float* p, TF v, int n);

    static abstract TF Broadcast(float x);

    static abstract TF Add(TF a, TF b);

    static abstract TF Multiply(TF a, TF b);

    static abstract TF Divide(TF a, TF b);

    /// <summary>a·b + c rounded once.</summary>
    static abstract TF MultiplyAdd(TF a, TF b, TF c);

    /// <summary>a &gt; b ? a : b.</summary>
    static abstract TF MaxNative(TF a, TF b);

    /// <summary>a &lt; b ? a : b.</summary>
    static abstract TF MinNative(TF a, TF b);
}

/// <summary>AVX-512F/BW: 16 lanes; partial byte accesses are AVX-512BW masked loads and stores.</summary>
internal readonly unsafe struct Q512 : IQuantSimd<Vector512<int>, Vector512<float>>
{
    public static int Count => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> LoadBytes(byte* p) => Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> LoadBytesPartial(byte* p, int n) =>
        Avx512F.ConvertToVector512Int32(Avx512BW.VL.MaskLoad(p, ByteMask(n), Vector128<byte>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(byte* p, Vector512<int> v) => Sse2.Store(p, Avx512F.ConvertToVector128Byte(v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytesPartial(byte* p, Vector512<int> v, int n) =>
        Avx512BW.VL.MaskStore(p, ByteMask(n), Avx512F.ConvertToVector128Byte(v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> ByteMask(int n) => Vector128.LessThan(Vector128<byte>.Indices, Vector128.Create((byte)n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> LoadInts(int* p) => Avx512F.LoadVector512(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInts(int* p, Vector512<int> v) => Avx512F.Store(p, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> BroadcastInt(int x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> Add(Vector512<int> a, Vector512<int> b) => Avx512F.Add(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> Subtract(Vector512<int> a, Vector512<int> b) => Avx512F.Subtract(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> Multiply(Vector512<int> a, Vector512<int> b) => Avx512F.MultiplyLow(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> MultiplySmall(Vector512<int> x, Vector512<int> w) => Avx512BW.MultiplyAddAdjacent(x.AsInt16(), w.AsInt16());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ToFloat(Vector512<int> v) => Avx512F.ConvertToVector512Single(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> RoundToInt(Vector512<float> v) => Avx512F.ConvertToVector512Int32(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Avx512F.LoadVector512(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadPartial(float* p, int n) => Avx512F.MaskLoad(p, FloatMask(n), Vector512<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => Avx512F.Store(p, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StorePartial(float* p, Vector512<float> v, int n) => Avx512F.MaskStore(p, FloatMask(n), v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FloatMask(int n) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => Avx512F.Add(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => Avx512F.Multiply(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => Avx512F.Divide(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MaxNative(Vector512<float> a, Vector512<float> b) => Avx512F.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MinNative(Vector512<float> a, Vector512<float> b) => Avx512F.Min(a, b);
}

/// <summary>AVX2 + FMA: 8 lanes; partial byte accesses go through a 64-bit scalar (AVX2 has no byte masks).</summary>
internal readonly unsafe struct Q256 : IQuantSimd<Vector256<int>, Vector256<float>>
{
    public static int Count => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadBytes(byte* p) => Avx2.ConvertToVector256Int32(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadBytesPartial(byte* p, int n)
    {
        ulong x = 0;
        for (var i = 0; i < n; i++) x |= (ulong)p[i] << (8 * i);
        return Avx2.ConvertToVector256Int32(Vector128.CreateScalar(x).AsByte());
    }

    /// <summary>Byte 0 of each int32 lane, gathered into the low 8 bytes (in-lane shuffle, then one cross-lane permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Narrow(Vector256<int> v)
    {
        var gather = Vector256.Create((byte)0, 4, 8, 12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
            0, 4, 8, 12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80);
        var bytes = Avx2.Shuffle(v.AsByte(), gather).AsInt32();
        return Avx2.PermuteVar8x32(bytes, Vector256.Create(0, 4, 1, 1, 1, 1, 1, 1)).AsUInt64().ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(byte* p, Vector256<int> v) => *(ulong*)p = Narrow(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytesPartial(byte* p, Vector256<int> v, int n)
    {
        var x = Narrow(v);
        for (var i = 0; i < n; i++) p[i] = (byte)(x >> (8 * i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> LoadInts(int* p) => Avx.LoadVector256(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInts(int* p, Vector256<int> v) => Avx.Store(p, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> BroadcastInt(int x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> Add(Vector256<int> a, Vector256<int> b) => Avx2.Add(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> Subtract(Vector256<int> a, Vector256<int> b) => Avx2.Subtract(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> Multiply(Vector256<int> a, Vector256<int> b) => Avx2.MultiplyLow(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> MultiplySmall(Vector256<int> x, Vector256<int> w) => Avx2.MultiplyAddAdjacent(x.AsInt16(), w.AsInt16());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ToFloat(Vector256<int> v) => Avx.ConvertToVector256Single(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> RoundToInt(Vector256<float> v) => Avx.ConvertToVector256Int32(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Avx.LoadVector256(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LoadPartial(float* p, int n) => Avx.MaskLoad(p, FloatMask(n));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => Avx.Store(p, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StorePartial(float* p, Vector256<float> v, int n) => Avx.MaskStore(p, FloatMask(n), v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> FloatMask(int n) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(n)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => Avx.Add(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => Avx.Multiply(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => Avx.Divide(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Fma.MultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MaxNative(Vector256<float> a, Vector256<float> b) => Avx.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MinNative(Vector256<float> a, Vector256<float> b) => Avx.Min(a, b);
}

/// <summary>One lane in plain C#: the fallback with DOTNET_EnableHWIntrinsic=0, and the definition the others match.</summary>
internal readonly unsafe struct QScalar : IQuantSimd<int, float>
{
    public static int Count => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int LoadBytes(byte* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int LoadBytesPartial(byte* p, int n) => n > 0 ? *p : 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreBytes(byte* p, int v) => *p = (byte)v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytesPartial(byte* p, int v, int n)
    {
        if (n > 0) *p = (byte)v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int LoadInts(int* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInts(int* p, int v) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int BroadcastInt(int x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int Add(int a, int b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int Subtract(int a, int b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int Multiply(int a, int b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int MultiplySmall(int x, int w) => x * w;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ToFloat(int v) => v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int RoundToInt(float v) => (int)MathF.Round(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LoadPartial(float* p, int n) => n > 0 ? *p : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, float v) => *p = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial(float* p, float v, int n)
    {
        if (n > 0) *p = v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Broadcast(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Divide(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxNative(float a, float b) => a > b ? a : b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MinNative(float a, float b) => a < b ? a : b;
}

/// <summary>The epilogue of <see cref="Requantize"/> over one register of channels, written once for every width.</summary>
internal static class QuantEpilogue
{
    private const float Sixth = 1f / 6f;

    /// <summary>t = fma((float)acc, scale, bias).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF Affine<TQ, TI, TF>(TI acc, TF scale, TF bias)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> =>
        TQ.MultiplyAdd(TQ.ToFloat(acc), scale, bias);

    /// <summary>t = fma((float)(r − zr), sr, t).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF AddResidual<TQ, TI, TF>(TF t, TI r, in EpilogueScalars e)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> =>
        TQ.MultiplyAdd(TQ.ToFloat(TQ.Subtract(r, TQ.BroadcastInt(e.ResidualZeroPoint))), TQ.Broadcast(e.ResidualScale), t);

    /// <summary>The activation, in the operation order of <see cref="Activations.Apply(Vector512{float}, FusedActivation)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF Activate<TQ, TI, TF, TAct>(TF t, in EpilogueScalars e)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation
    {
        if (TAct.Kind == QuantActivation.Clamp) return TQ.MinNative(TQ.Broadcast(e.ClampMax), TQ.MaxNative(TQ.Broadcast(e.ClampMin), t));
        if (TAct.Kind == QuantActivation.None) return t;
        var gate = TQ.Multiply(TQ.MinNative(TQ.Broadcast(6f), TQ.MaxNative(TQ.Broadcast(0f), TQ.Add(t, TQ.Broadcast(3f)))), TQ.Broadcast(Sixth));
        return TAct.Kind == QuantActivation.HardSwish ? TQ.Multiply(t, gate) : gate;
    }

    /// <summary>round_half_even(clamp(t · OutputScale, QMin − zo, QMax − zo)) + zo: lanes in [QMin, QMax].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TI ToQuantized<TQ, TI, TF>(TF t, in EpilogueScalars e)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF>
    {
        var scaled = TQ.Multiply(t, TQ.Broadcast(e.OutputScale));
        var clamped = TQ.MinNative(TQ.MaxNative(scaled, TQ.Broadcast(e.Low)), TQ.Broadcast(e.High));
        return TQ.Add(TQ.RoundToInt(clamped), TQ.BroadcastInt(e.OutputZeroPoint));
    }

    /// <summary>The whole epilogue of one register: accumulator to quantized lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TI Quantize<TQ, TI, TF, TAct>(TI acc, TF scale, TF bias, in EpilogueScalars e)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation =>
        ToQuantized<TQ, TI, TF>(Activate<TQ, TI, TF, TAct>(Affine<TQ, TI, TF>(acc, scale, bias), e), e);
}
