using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LightNets.Training.Kernels.Cpu.Norm;

/// <summary>
/// A register of float lanes (<typeparamref name="TF"/>) and the double registers that hold it widened
/// (<typeparamref name="TD"/>, half as many lanes each): per-channel sums over many rows accumulate in double, so a
/// BatchNorm statistic over 65,536 rows carries no float rounding from its sum. One body serves every tier.
/// </summary>
internal unsafe interface IWideLanes<TF, TD> where TF : unmanaged where TD : unmanaged
{
    /// <summary>Float lanes per register: 16, 8 or 1.</summary>
    static abstract int Count { get; }

    /// <summary>Whether a widened register has a high half (not on the one-lane tier).</summary>
    static abstract bool HasHigh { get; }

    static abstract TF Load(float* p);

    /// <summary>The first <paramref name="lanes"/> floats, the other lanes 0 and their memory untouched.</summary>
    static abstract TF LoadFirst(float* p, int lanes);

    static abstract void Widen(TF v, out TD low, out TD high);

    static abstract TD LoadDouble(double* p);
    static abstract void StoreDouble(double* p, TD v);
    static abstract TD Add(TD a, TD b);
    static abstract TD Subtract(TD a, TD b);
    static abstract TD MultiplyAdd(TD a, TD b, TD c);
    static abstract TD ZeroDouble { get; }
}

internal readonly unsafe struct Wide512 : IWideLanes<Vector512<float>, Vector512<double>>
{
    public static int Count => 16;
    public static bool HasHigh => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadFirst(float* p, int lanes) =>
        System.Runtime.Intrinsics.X86.Avx512F.MaskLoad(p, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle(), Vector512<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(Vector512<float> v, out Vector512<double> low, out Vector512<double> high) => (low, high) = Vector512.Widen(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> LoadDouble(double* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreDouble(double* p, Vector512<double> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Subtract(Vector512<double> a, Vector512<double> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> MultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);

    public static Vector512<double> ZeroDouble => Vector512<double>.Zero;
}

internal readonly unsafe struct Wide256 : IWideLanes<Vector256<float>, Vector256<double>>
{
    public static int Count => 8;
    public static bool HasHigh => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadFirst(float* p, int lanes) =>
        System.Runtime.Intrinsics.X86.Avx.MaskLoad(p, Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(lanes)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(Vector256<float> v, out Vector256<double> low, out Vector256<double> high) => (low, high) = Vector256.Widen(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> LoadDouble(double* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreDouble(double* p, Vector256<double> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Subtract(Vector256<double> a, Vector256<double> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> MultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);

    public static Vector256<double> ZeroDouble => Vector256<double>.Zero;
}

/// <summary>The 128-bit tier: 4 float lanes, widened into two registers of 2 doubles; the tail read lane by lane (no masked loads).</summary>
internal readonly unsafe struct Wide128 : IWideLanes<Vector128<float>, Vector128<double>>
{
    public static int Count => 4;
    public static bool HasHigh => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadFirst(float* p, int lanes) => LightNets.Runtime.Kernels.Cpu.Simd128.LoadMasked(p, LightNets.Runtime.Kernels.Cpu.Simd128.MaskFor(lanes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(Vector128<float> v, out Vector128<double> low, out Vector128<double> high) => (low, high) = Vector128.Widen(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> LoadDouble(double* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreDouble(double* p, Vector128<double> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Add(Vector128<double> a, Vector128<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Subtract(Vector128<double> a, Vector128<double> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> MultiplyAdd(Vector128<double> a, Vector128<double> b, Vector128<double> c) => Vector128.MultiplyAddEstimate(a, b, c);

    public static Vector128<double> ZeroDouble => Vector128<double>.Zero;
}

/// <summary>The one-lane tier: plain doubles, a rounded product then a sum (no fused multiply-add call).</summary>
internal readonly unsafe struct WideScalar : IWideLanes<float, double>
{
    public static int Count => 1;
    public static bool HasHigh => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LoadFirst(float* p, int lanes) => lanes > 0 ? *p : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(float v, out double low, out double high)
    {
        low = v;
        high = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double LoadDouble(double* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreDouble(double* p, double v) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Add(double a, double b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Subtract(double a, double b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double MultiplyAdd(double a, double b, double c) => a * b + c;
    public static double ZeroDouble => 0;
}
