using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>
/// Where one GEMM tile's results go: row r, column j of the tile at C + r·Ldc + j (FloatC for float output; the residual
/// likewise), channel j's epilogue parameters at Scale[j], Bias[j] (the panel's, zero-padded to its width).
/// </summary>
internal readonly unsafe struct TileOutput(byte* c, float* floatC, nint ldc, byte* residual, nint ldr, float* scale, float* bias,
    in EpilogueScalars e)
{
    public readonly byte* C = c;
    public readonly float* FloatC = floatC;
    public readonly nint Ldc = ldc;
    public readonly byte* Residual = residual;
    public readonly nint Ldr = ldr;
    public readonly float* Scale = scale;
    public readonly float* Bias = bias;
    public readonly EpilogueScalars E = e;
}

/// <summary>
/// How a tile's accumulator register for row r, columns [col, col + lanes) is stored: through <see cref="Requantize"/>
/// into uint8 (<see cref="ByteOutput"/>) or as float after the activation (<see cref="FloatOutput"/>). A whole
/// register, or its first <c>n</c> lanes (the last columns of a part-filled panel; nothing beyond them is read or
/// written, so the next pixel's channels, already written by the panels before, stay as they are).
/// </summary>
internal unsafe interface IGemmOutput
{
    static abstract void Store<TQ, TI, TF, TAct, TRes>(in TileOutput o, int r, int col, TI acc, TF scale, TF bias)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation where TRes : IFlag;

    static abstract void StorePartial<TQ, TI, TF, TAct, TRes>(in TileOutput o, int r, int col, TI acc, TF scale, TF bias, int n)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation where TRes : IFlag;

    /// <summary>Bytes per output element (1 or 4), for the caller's scratch tile.</summary>
    static abstract int ElementSize { get; }
}

/// <summary>The tile loop both outputs share; kept out of line so the K loop's accumulators stay in registers.</summary>
internal static unsafe class GemmOutputTile
{
    /// <summary>
    /// A tile: <paramref name="rows"/> rows of <paramref name="registers"/> registers of int32 accumulators at
    /// <paramref name="acc"/>, row r at acc + r·registers·lanes, of which the first <paramref name="columns"/> are
    /// stored through <typeparamref name="TOut"/> (a register holding the last of them in part, by its partial form).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Store<TOut, TQ, TI, TF, TAct, TRes>(in TileOutput o, int* acc, int rows, int registers, int columns)
        where TOut : IGemmOutput where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation where TRes : IFlag
    {
        var lanes = TQ.Count;
        var width = registers * lanes;
        var x = 0;
        // uint8 output of 16-lane registers: two registers of a row become 32 bytes with two packs, a dword permute and
        // one store, instead of a vpmovdb to memory each (several cycles per store on Zen 5).
        if (typeof(TOut) == typeof(ByteOutput) && typeof(TQ) == typeof(Q512))
        {
            for (; x + 2 * lanes <= columns; x += 2 * lanes)
            {
                var (s0, b0) = (TQ.Load(o.Scale + x), TQ.Load(o.Bias + x));
                var (s1, b1) = (TQ.Load(o.Scale + x + lanes), TQ.Load(o.Bias + x + lanes));
                for (var r = 0; r < rows; r++)
                {
                    var q0 = ByteOutput.Codes<TQ, TI, TF, TAct, TRes>(o, r, x, TQ.LoadInts(acc + r * width + x), s0, b0);
                    var q1 = ByteOutput.Codes<TQ, TI, TF, TAct, TRes>(o, r, x + lanes, TQ.LoadInts(acc + r * width + x + lanes), s1, b1);
                    PairedBytes.Store(o.C + r * o.Ldc + x, Unsafe.As<TI, Vector512<int>>(ref q0), Unsafe.As<TI, Vector512<int>>(ref q1));
                }
            }
        }
        for (; x + lanes <= columns; x += lanes)
        {
            var scale = TQ.Load(o.Scale + x);
            var bias = TQ.Load(o.Bias + x);
            for (var r = 0; r < rows; r++) TOut.Store<TQ, TI, TF, TAct, TRes>(o, r, x, TQ.LoadInts(acc + r * width + x), scale, bias);
        }
        if (x < columns)
        {
            var scale = TQ.Load(o.Scale + x);
            var bias = TQ.Load(o.Bias + x);
            for (var r = 0; r < rows; r++)
                TOut.StorePartial<TQ, TI, TF, TAct, TRes>(o, r, x, TQ.LoadInts(acc + r * width + x), scale, bias, columns - x);
        }
    }
}

internal readonly unsafe struct ByteOutput : IGemmOutput
{
    public static int ElementSize => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<TQ, TI, TF, TAct, TRes>(in TileOutput o, int r, int col, TI acc, TF scale, TF bias)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation where TRes : IFlag =>
        TQ.StoreBytes(o.C + r * o.Ldc + col, Codes<TQ, TI, TF, TAct, TRes>(o, r, col, acc, scale, bias));

    /// <summary>The register's output codes (lanes in [QMin, QMax] ⊂ [0, 255]), not yet stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TI Codes<TQ, TI, TF, TAct, TRes>(in TileOutput o, int r, int col, TI acc, TF scale, TF bias)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation where TRes : IFlag
    {
        var t = QuantEpilogue.Affine<TQ, TI, TF>(acc, scale, bias);
        if (TRes.Value) t = QuantEpilogue.AddResidual<TQ, TI, TF>(t, TQ.LoadBytes(o.Residual + r * o.Ldr + col), o.E);
        return QuantEpilogue.ToQuantized<TQ, TI, TF>(QuantEpilogue.Activate<TQ, TI, TF, TAct>(t, o.E), o.E);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial<TQ, TI, TF, TAct, TRes>(in TileOutput o, int r, int col, TI acc, TF scale, TF bias, int n)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation where TRes : IFlag
    {
        var t = QuantEpilogue.Affine<TQ, TI, TF>(acc, scale, bias);
        if (TRes.Value) t = QuantEpilogue.AddResidual<TQ, TI, TF>(t, TQ.LoadBytesPartial(o.Residual + r * o.Ldr + col, n), o.E);
        TQ.StoreBytesPartial(o.C + r * o.Ldc + col, QuantEpilogue.ToQuantized<TQ, TI, TF>(QuantEpilogue.Activate<TQ, TI, TF, TAct>(t, o.E), o.E), n);
    }
}

internal readonly unsafe struct FloatOutput : IGemmOutput
{
    public static int ElementSize => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<TQ, TI, TF, TAct, TRes>(in TileOutput o, int r, int col, TI acc, TF scale, TF bias)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation where TRes : IFlag
    {
        var t = QuantEpilogue.Affine<TQ, TI, TF>(acc, scale, bias);
        if (TRes.Value) t = QuantEpilogue.AddResidual<TQ, TI, TF>(t, TQ.LoadBytes(o.Residual + r * o.Ldr + col), o.E);
        TQ.Store(o.FloatC + r * o.Ldc + col, QuantEpilogue.Activate<TQ, TI, TF, TAct>(t, o.E));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial<TQ, TI, TF, TAct, TRes>(in TileOutput o, int r, int col, TI acc, TF scale, TF bias, int n)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation where TRes : IFlag
    {
        var t = QuantEpilogue.Affine<TQ, TI, TF>(acc, scale, bias);
        if (TRes.Value) t = QuantEpilogue.AddResidual<TQ, TI, TF>(t, TQ.LoadBytesPartial(o.Residual + r * o.Ldr + col, n), o.E);
        TQ.StorePartial(o.FloatC + r * o.Ldc + col, QuantEpilogue.Activate<TQ, TI, TF, TAct>(t, o.E), n);
    }
}

/// <summary>
/// <c>i8-gemm-8x8__scalar</c>: the GEMM in plain int32 arithmetic over the packed panels (any layout), with the
/// epilogue's one-lane form; the path of DOTNET_EnableHWIntrinsic=0.
/// </summary>
internal static unsafe class Int8GemmScalar
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    public static void Panels<TOut, TAct, TRes>(in GemmCall call, in EpilogueScalars e)
        where TOut : IGemmOutput where TAct : IQuantActivation where TRes : IFlag
    {
        var b = call.B;
        var maxWidth = Math.Max(b.PanelWidth, b.LastPanelWidth);
        var init = stackalloc int[maxWidth];
        var scale = stackalloc float[maxWidth];
        var bias = stackalloc float[maxWidth];
        var g = call.Args;
        for (var panel = 0; panel < b.Panels; panel++)
        {
            var width = b.Width(panel);
            var col = panel * b.PanelWidth;
            var columns = Math.Min(width, b.N - col);
            call.PreparePanel(col, width, columns, init, scale, bias);
            var w = call.Data + b.Offset(panel);
            for (var row = call.RowStart; row < call.RowEnd; row++)
            {
                var o = new TileOutput(g.C + row * g.Ldc + col, g.FloatC + row * g.Ldc + col, g.Ldc,
                    g.Residual == null ? null : g.Residual + row * g.Ldr + col, g.Ldr, scale, bias, e);
                var x = g.A + row * g.Lda;
                for (var j = 0; j < columns; j++)
                {
                    var sum = init[j];
                    var wj = w + j * 4;
                    nint p = 0;
                    for (; p + 4 <= b.K; p += 4, wj += width * 4)
                        sum += x[p] * wj[0] + x[p + 1] * wj[1] + x[p + 2] * wj[2] + x[p + 3] * wj[3];
                    for (var i = 0; p < b.K; p++, i++) sum += x[p] * wj[i];
                    TOut.Store<QScalar, int, float, TAct, TRes>(o, 0, j, sum, scale[j], bias[j]);
                }
            }
        }
    }
}

/// <summary>Two registers of 16 codes in [0, 255] (one per int32 lane) stored as 32 consecutive bytes.</summary>
internal static unsafe class PairedBytes
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* p, Vector512<int> first, Vector512<int> second) => Pack(first, second).Store(p);

    /// <summary>The first register's 16 bytes at <paramref name="p"/>, the second's at <paramref name="q"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* p, byte* q, Vector512<int> first, Vector512<int> second)
    {
        var both = Pack(first, second);
        both.GetLower().Store(p);
        both.GetUpper().Store(q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Pack(Vector512<int> first, Vector512<int> second)
    {
        // Both packs saturate, which leaves codes in [0, 255] as they are. Per 128-bit lane i, the words hold first's and
        // then second's lanes 4i … 4i + 3, the bytes the same in the lane's low 8 bytes: dwords 4i and 4i + 1.
        var words = Avx512BW.PackUnsignedSaturate(first, second);
        var bytes = Avx512BW.PackUnsignedSaturate(words.AsInt16(), words.AsInt16());
        return Avx512F.PermuteVar16x32(bytes.AsInt32(), Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 0, 0, 0, 0, 0, 0, 0, 0)).GetLower().AsByte();
    }
}
