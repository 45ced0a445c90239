using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>
/// How a GEMM micro-kernel multiplies 4 broadcast activation bytes (u8) by one register of packed weights (4 s8 per
/// int32 lane, see <see cref="PackedInt8Matrix"/>) and adds the 4 products to each int32 lane. <typeparamref name="TA"/>
/// is the activation operand in whatever form the instruction wants (prepared once per row and group, shared by the
/// row's registers), <typeparamref name="TW"/> the weight operand (prepared once per register and group, shared by
/// the rows).
/// </summary>
internal unsafe interface IDot<TV, TA, TW> where TV : unmanaged where TA : unmanaged where TW : unmanaged
{
    /// <summary>int32 lanes (output columns) per register.</summary>
    static abstract int Lanes { get; }

    /// <summary>The 4 bytes at <paramref name="a"/> (exactly those) in every lane.</summary>
    static abstract TA Broadcast(byte* a);

    /// <summary>The 4 bytes of <paramref name="x"/> (little-endian) in every lane.</summary>
    static abstract TA Broadcast(uint x);

    static abstract TW Load(sbyte* w);

    static abstract TV DotAdd(TV acc, TA a, TW w);

    static abstract TV LoadInts(int* p);

    static abstract void StoreInts(int* p, TV v);
}

/// <summary>Two registers that one operand occupies once widened to int16.</summary>
internal readonly struct Halves<T>(T even, T odd) where T : unmanaged
{
    public readonly T Even = even;
    public readonly T Odd = odd;
}

/// <summary><c>i8-gemm…__v256vnni</c>: AVX-VNNI <c>vpdpbusd</c>, 4 u8·s8 products added to int32 without saturation. Always exact.</summary>
internal readonly unsafe struct DotVnni256 : IDot<Vector256<int>, Vector256<byte>, Vector256<sbyte>>
{
    public static int Lanes => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Broadcast(byte* a) => Vector256.Create(*(uint*)a).AsByte();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Broadcast(uint x) => Vector256.Create(x).AsByte();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<sbyte> Load(sbyte* w) => Avx.LoadVector256(w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotAdd(Vector256<int> acc, Vector256<byte> a, Vector256<sbyte> w) => AvxVnni.MultiplyWideningAndAdd(acc, a, w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> LoadInts(int* p) => Avx.LoadVector256(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInts(int* p, Vector256<int> v) => Avx.Store(p, v);
}

/// <summary>
/// <c>i8-gemm…__v256</c>: AVX2 <c>vpmaddubsw</c> (u8·s8 pairs into int16, saturating) then <c>vpmaddwd</c> by 1 (pairs
/// of int16 into int32). Exact only for <see cref="PackedInt8Matrix.PairSafe"/> weights.
/// </summary>
internal readonly unsafe struct DotMadd256 : IDot<Vector256<int>, Vector256<byte>, Vector256<sbyte>>
{
    public static int Lanes => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Broadcast(byte* a) => Vector256.Create(*(uint*)a).AsByte();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Broadcast(uint x) => Vector256.Create(x).AsByte();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<sbyte> Load(sbyte* w) => Avx.LoadVector256(w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotAdd(Vector256<int> acc, Vector256<byte> a, Vector256<sbyte> w) =>
        Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, w), Vector256.Create((short)1)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> LoadInts(int* p) => Avx.LoadVector256(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInts(int* p, Vector256<int> v) => Avx.Store(p, v);
}

/// <summary>
/// <c>i8-gemm…__v256</c> for weights that are not pair-safe: both operands widened to int16 and multiplied by
/// <c>vpmaddwd</c>, exact for any weights. The 4 bytes of a lane are split into the even (k = 4g, 4g+2) and odd
/// (4g+1, 4g+3) bytes of each 16-bit half: activations by a mask and a logical shift (zero-extended), weights by
/// arithmetic shifts (sign-extended), so the packed layout is the same as the other paths'.
/// </summary>
internal readonly unsafe struct DotWide256 : IDot<Vector256<int>, Halves<Vector256<short>>, Halves<Vector256<short>>>
{
    public static int Lanes => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Halves<Vector256<short>> Broadcast(byte* a) => Broadcast(*(uint*)a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Halves<Vector256<short>> Broadcast(uint x)
    {
        var v = Vector256.Create(x).AsInt16();
        return new(Avx2.And(v, Vector256.Create((short)0xFF)), Avx2.ShiftRightLogical(v, 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Halves<Vector256<short>> Load(sbyte* w)
    {
        var v = Avx.LoadVector256((short*)w);
        return new(Avx2.ShiftRightArithmetic(Avx2.ShiftLeftLogical(v, 8), 8), Avx2.ShiftRightArithmetic(v, 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotAdd(Vector256<int> acc, Halves<Vector256<short>> a, Halves<Vector256<short>> w) =>
        Avx2.Add(Avx2.Add(acc, Avx2.MultiplyAddAdjacent(a.Even, w.Even)), Avx2.MultiplyAddAdjacent(a.Odd, w.Odd));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> LoadInts(int* p) => Avx.LoadVector256(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInts(int* p, Vector256<int> v) => Avx.Store(p, v);
}

/// <summary><c>i8-gemm…__v512</c>: <see cref="DotMadd256"/> on 512-bit registers (AVX-512BW). Exact only for pair-safe weights.</summary>
internal readonly unsafe struct DotMadd512 : IDot<Vector512<int>, Vector512<byte>, Vector512<sbyte>>
{
    public static int Lanes => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<byte> Broadcast(byte* a) => Vector512.Create(*(uint*)a).AsByte();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<byte> Broadcast(uint x) => Vector512.Create(x).AsByte();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<sbyte> Load(sbyte* w) => Avx512F.LoadVector512(w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> DotAdd(Vector512<int> acc, Vector512<byte> a, Vector512<sbyte> w) =>
        Avx512F.Add(acc, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(a, w), Vector512.Create((short)1)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> LoadInts(int* p) => Avx512F.LoadVector512(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInts(int* p, Vector512<int> v) => Avx512F.Store(p, v);
}

/// <summary><see cref="DotWide256"/> on 512-bit registers: the exact path of V512 for weights that are not pair-safe.</summary>
internal readonly unsafe struct DotWide512 : IDot<Vector512<int>, Halves<Vector512<short>>, Halves<Vector512<short>>>
{
    public static int Lanes => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Halves<Vector512<short>> Broadcast(byte* a) => Broadcast(*(uint*)a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Halves<Vector512<short>> Broadcast(uint x)
    {
        var v = Vector512.Create(x).AsInt16();
        return new(Avx512F.And(v, Vector512.Create((short)0xFF)), Avx512BW.ShiftRightLogical(v, 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Halves<Vector512<short>> Load(sbyte* w)
    {
        var v = Avx512F.LoadVector512((short*)w);
        return new(Avx512BW.ShiftRightArithmetic(Avx512BW.ShiftLeftLogical(v, 8), 8), Avx512BW.ShiftRightArithmetic(v, 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> DotAdd(Vector512<int> acc, Halves<Vector512<short>> a, Halves<Vector512<short>> w) =>
        Avx512F.Add(Avx512F.Add(acc, Avx512BW.MultiplyAddAdjacent(a.Even, w.Even)), Avx512BW.MultiplyAddAdjacent(a.Odd, w.Odd));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> LoadInts(int* p) => Avx512F.LoadVector512(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInts(int* p, Vector512<int> v) => Avx512F.Store(p, v);
}
