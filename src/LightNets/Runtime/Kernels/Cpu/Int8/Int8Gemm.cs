using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>Everything an int8 GEMM call needs besides the packed weights and the epilogue parameters.</summary>
public unsafe struct Int8GemmArgs
{
    /// <summary>A: row r, column k (uint8) at A + r·Lda + k; may be a channel slice of a wider NHWC buffer.</summary>
    public byte* A;
    public nint Lda;

    /// <summary>za, the zero point of A (0..255).</summary>
    public int ZeroPointA;

    /// <summary>C: row r, column n at C + r·Ldc + n: uint8 for <see cref="Int8Gemm.Run"/>, float for <see cref="Int8Gemm.RunFloat"/>.</summary>
    public byte* C;
    public float* FloatC;
    public nint Ldc;

    /// <summary>Optional uint8 residual of the output's shape, row r at Residual + r·Ldr (see <see cref="Requantize"/>).</summary>
    public byte* Residual;
    public nint Ldr;

    /// <summary>
    /// The index, in the <see cref="Requantize"/> arrays, of this call's column 0: a grouped 1×1 convolution runs one call
    /// per group with its own packed matrix, C and residual offset to the group's columns, and Channel = group·N.
    /// </summary>
    public int Channel;
}

/// <summary>
/// The int8 GEMM: <c>C[m, n] = epilogue(Σ_k (A[m, k] − za)·W[n, k])</c> for rows [rowStart, rowEnd) (callers split M
/// across threads), with A uint8, W int8 (<see cref="PackedInt8Matrix"/>) and the epilogue of <see cref="Requantize"/>
/// applied to channel <c>Channel + n</c>. This is the 1×1 convolution over an NHWC pixel matrix, the FC layer, and one
/// group of a grouped 1×1 convolution. The sum is exact in int32, computed as Σ a·w − za·colsum[n]; which path is exact
/// when is explained at <see cref="Int8Isa"/> (all of them always are, as run here: a V512/V256 call on weights that are
/// not <see cref="PackedInt8Matrix.PairSafe"/> takes the int16 form). Nothing is allocated per call.
/// <para>
/// A is never read beyond column K − 1 of a row (see <see cref="Int8GemmTile"/>), C and the residual never beyond
/// column N − 1. The reference twin is <c>Reference.Int8.Int8GemmReference</c>.
/// </para>
/// </summary>
public static unsafe class Int8Gemm
{
    /// <summary>Rows per micro-kernel call on a path's main panel: the granularity in which callers should split M.</summary>
    public static int TileRows(Int8Isa isa) => isa switch
    {
        Int8Isa.V256Vnni => 6,
        Int8Isa.V256 => 4,
        _ => 8,
    };

    /// <summary>Uint8 output into <see cref="Int8GemmArgs.C"/>.</summary>
    public static void Run(PackedInt8Matrix b, in Int8GemmArgs args, Requantize q, int rowStart, int rowEnd, Int8Isa isa)
    {
        Validate(b, args, q, rowStart, rowEnd, floatOutput: false);
        Dispatch<ByteOutput>(b, args, q, rowStart, rowEnd, isa);
    }

    /// <summary>Float output into <see cref="Int8GemmArgs.FloatC"/>: t after the activation (no OutputScale, no rounding).</summary>
    public static void RunFloat(PackedInt8Matrix b, in Int8GemmArgs args, Requantize q, int rowStart, int rowEnd, Int8Isa isa)
    {
        Validate(b, args, q, rowStart, rowEnd, floatOutput: true);
        Dispatch<FloatOutput>(b, args, q, rowStart, rowEnd, isa);
    }

    /// <summary>
    /// The path a call takes: the requested one when this process runs it and <paramref name="b"/> is laid out for its
    /// panel widths, else the best one that is (V256 for a V256Vnni layout), else the scalar loops, which read any layout.
    /// </summary>
    public static Int8Isa EffectivePath(PackedInt8Matrix b, Int8Isa requested)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (Compatible(b, requested) && Int8Caps.Supports(requested)) return requested;
        foreach (var isa in new[] { Int8Isa.V256Vnni, Int8Isa.V512, Int8Isa.V256 })
            if (Compatible(b, isa) && Int8Caps.Supports(isa)) return isa;
        return Int8Isa.Scalar;
    }

    private static bool Compatible(PackedInt8Matrix b, Int8Isa isa) =>
        isa == Int8Isa.Scalar || (PackedInt8Matrix.MainWidth(isa) == b.PanelWidth
                                  && PackedInt8Matrix.RegisterWidth(isa) == PackedInt8Matrix.RegisterWidth(b.Isa));

    private static void Validate(PackedInt8Matrix b, in Int8GemmArgs g, Requantize q, int rowStart, int rowEnd, bool floatOutput)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(q);
        KernelGuard.NotNull(g.A, "args.A");
        if (floatOutput) KernelGuard.NotNull(g.FloatC, "args.FloatC");
        else KernelGuard.NotNull(g.C, "args.C");
        KernelGuard.That(0 <= rowStart && rowStart <= rowEnd, $"rows [{rowStart}, {rowEnd}) are not a range", nameof(rowStart));
        KernelGuard.That(g.Lda >= b.K && g.Ldc >= b.N && (g.Residual == null || g.Ldr >= b.N),
            $"row strides A {g.Lda}, C {g.Ldc}, residual {g.Ldr} must hold K={b.K} and N={b.N}", "args");
        KernelGuard.That(g.ZeroPointA is >= 0 and <= 255, $"zero point {g.ZeroPointA} is not in 0..255", "args");
        q.Validate(g.Channel, b.N, nameof(q));
    }

    private static void Dispatch<TOut>(PackedInt8Matrix b, in Int8GemmArgs g, Requantize q, int rowStart, int rowEnd, Int8Isa isa)
        where TOut : IGemmOutput
    {
        if (rowEnd == rowStart) return;
        var e = new EpilogueScalars(q, foldClamp: TOut.ElementSize == 1);
        switch (e.Activation)
        {
            case QuantActivation.None: Path<TOut, NoActivation>(b, g, q, e, rowStart, rowEnd, isa); break;
            case QuantActivation.Clamp: Path<TOut, ClampActivation>(b, g, q, e, rowStart, rowEnd, isa); break;
            case QuantActivation.HardSwish: Path<TOut, HardSwishQuant>(b, g, q, e, rowStart, rowEnd, isa); break;
            default: Path<TOut, HardSigmoidQuant>(b, g, q, e, rowStart, rowEnd, isa); break;
        }
    }

    private static void Path<TOut, TAct>(PackedInt8Matrix b, in Int8GemmArgs g, Requantize q, in EpilogueScalars e, int rowStart, int rowEnd,
        Int8Isa isa)
        where TOut : IGemmOutput where TAct : IQuantActivation
    {
        if (g.Residual != null) Path<TOut, TAct, Yes>(b, g, q, e, rowStart, rowEnd, isa);
        else Path<TOut, TAct, No>(b, g, q, e, rowStart, rowEnd, isa);
    }

    private static void Path<TOut, TAct, TRes>(PackedInt8Matrix b, in Int8GemmArgs g, Requantize q, in EpilogueScalars e, int rowStart,
        int rowEnd, Int8Isa isa)
        where TOut : IGemmOutput where TAct : IQuantActivation where TRes : IFlag
    {
        fixed (sbyte* data = b.Data)
        fixed (int* sums = b.ColumnSums)
        fixed (float* scale = q.Scale)
        fixed (float* bias = q.Bias)
        {
            var call = new GemmCall(b, data, sums, scale + g.Channel, bias + g.Channel, g, rowStart, rowEnd);
            switch (EffectivePath(b, isa))
            {
                case Int8Isa.V256Vnni:
                    if (Int8Caps.Supports(Int8Isa.V512))
                        Panels<DotVnni256, Vector256<int>, Vector256<byte>, Vector256<sbyte>, Q256, Vector256<float>, Q512, Vector512<int>, Vector512<float>, TOut, TAct, TRes>(call, e, 6, 6, 4);
                    else
                        Panels<DotVnni256, Vector256<int>, Vector256<byte>, Vector256<sbyte>, Q256, Vector256<float>, Q256, Vector256<int>, Vector256<float>, TOut, TAct, TRes>(call, e, 6, 6, 4);
                    break;
                case Int8Isa.V512 when b.PairSafe:
                    Panels<DotMadd512, Vector512<int>, Vector512<byte>, Vector512<sbyte>, Q512, Vector512<float>, Q512, Vector512<int>, Vector512<float>, TOut, TAct, TRes>(call, e, 8, 8, 8);
                    break;
                case Int8Isa.V512:
                    Panels<DotWide512, Vector512<int>, Halves<Vector512<short>>, Halves<Vector512<short>>, Q512, Vector512<float>, Q512, Vector512<int>, Vector512<float>, TOut, TAct, TRes>(call, e, 8, 8, 8);
                    break;
                case Int8Isa.V256 when b.PairSafe:
                    Panels<DotMadd256, Vector256<int>, Vector256<byte>, Vector256<sbyte>, Q256, Vector256<float>, Q256, Vector256<int>, Vector256<float>, TOut, TAct, TRes>(call, e, 6, 4, 4);
                    break;
                case Int8Isa.V256:
                    Panels<DotWide256, Vector256<int>, Halves<Vector256<short>>, Halves<Vector256<short>>, Q256, Vector256<float>, Q256, Vector256<int>, Vector256<float>, TOut, TAct, TRes>(call, e, 6, 4, 4);
                    break;
                default:
                    Int8GemmScalar.Panels<TOut, TAct, TRes>(call, e);
                    break;
            }
        }
    }

    /// <summary>
    /// Every panel of B against rows [RowStart, RowEnd) in balanced row tiles of at most <paramref name="rows1"/>,
    /// <paramref name="rows2"/>, <paramref name="rows3"/> rows for panels of 1, 2, 3 registers (49 rows at 6 per tile run
    /// as 7 × 7, so no tile pays for rows it does not store). Per panel, the accumulators' starting values −za·colsum and
    /// the epilogue's scale and bias are copied, zero-padded to the panel width, onto the stack.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    private static void Panels<TD, TV, TA, TW, TQ, TF, TE, TEI, TEF, TOut, TAct, TRes>(in GemmCall call, in EpilogueScalars e, int rows1,
        int rows2, int rows3)
        where TV : unmanaged where TA : unmanaged where TW : unmanaged where TF : unmanaged where TEI : unmanaged where TEF : unmanaged
        where TD : IDot<TV, TA, TW> where TQ : IQuantSimd<TV, TF> where TE : IQuantSimd<TEI, TEF>
        where TOut : IGemmOutput where TAct : IQuantActivation where TRes : IFlag
    {
        var b = call.B;
        var init = stackalloc int[MaxWidth];
        var scale = stackalloc float[MaxWidth];
        var bias = stackalloc float[MaxWidth];
        var accumulators = stackalloc int[8 * MaxWidth];
        var groups = (nint)(b.K / 4);
        var tail = b.K % 4;
        var g = call.Args;
        for (var panel = 0; panel < b.Panels; panel++)
        {
            var width = b.Width(panel);
            var col = panel * b.PanelWidth;
            var columns = Math.Min(width, b.N - col);
            call.PreparePanel(col, width, columns, init, scale, bias);
            var w = call.Data + b.Offset(panel);
            var regs = width / TD.Lanes;
            var maxRows = regs switch { 1 => rows1, 2 => rows2, _ => rows3 };
            var total = call.RowEnd - call.RowStart;
            var tiles = (total + maxRows - 1) / maxRows;
            var per = total / tiles;
            var longer = total % tiles;
            for (var t = 0; t < tiles; t++)
            {
                var row = call.RowStart + t * per + Math.Min(t, longer);
                var rows = per + (t < longer ? 1 : 0);
                // A part-filled last panel stores its columns with partial (masked) stores, straight into C.
                var o = new TileOutput(g.C + row * g.Ldc + col, g.FloatC + row * g.Ldc + col, g.Ldc,
                    g.Residual + row * g.Ldr + col, g.Ldr, scale, bias, e);
                Tile<TD, TV, TA, TW, TQ, TF, TE, TEI, TEF, TOut, TAct, TRes>(regs, rows, columns, groups, tail, g.A + row * g.Lda, g.Lda, w, init,
                    accumulators, o);
            }
        }
    }

    /// <summary>The widest panel: 3 registers of 16 int32 lanes.</summary>
    private const int MaxWidth = 48;

    /// <summary>
    /// One tile, then its epilogue: 16 lanes at a time (<c>TE</c>) where the panel's width allows, else at the tile's
    /// width (<c>TQ</c>). Both give the same bytes; the wider one halves the epilogue's instructions after 8-lane VNNI tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TD, TV, TA, TW, TQ, TF, TE, TEI, TEF, TOut, TAct, TRes>(int regs, int rows, int columns, nint groups, int tail,
        byte* a, nint lda, sbyte* w, int* init, int* scratch, in TileOutput o)
        where TV : unmanaged where TA : unmanaged where TW : unmanaged where TF : unmanaged where TEI : unmanaged where TEF : unmanaged
        where TD : IDot<TV, TA, TW> where TQ : IQuantSimd<TV, TF> where TE : IQuantSimd<TEI, TEF>
        where TOut : IGemmOutput where TAct : IQuantActivation where TRes : IFlag
    {
        switch (regs)
        {
            case 1: Tile<TD, TV, TA, TW, X1>(rows, groups, tail, a, lda, w, init, scratch); break;
            case 2: Tile<TD, TV, TA, TW, X2>(rows, groups, tail, a, lda, w, init, scratch); break;
            default: Tile<TD, TV, TA, TW, X3>(rows, groups, tail, a, lda, w, init, scratch); break;
        }
        var width = regs * TQ.Count;
        if (width % TE.Count == 0) GemmOutputTile.Store<TOut, TE, TEI, TEF, TAct, TRes>(o, scratch, rows, width / TE.Count, columns);
        else GemmOutputTile.Store<TOut, TQ, TV, TF, TAct, TRes>(o, scratch, rows, regs, columns);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TD, TV, TA, TW, TX>(int rows, nint groups, int tail, byte* a, nint lda, sbyte* w, int* init, int* scratch)
        where TV : unmanaged where TA : unmanaged where TW : unmanaged where TD : IDot<TV, TA, TW> where TX : IRegisterCount
    {
        switch (rows)
        {
            case 8: Int8GemmTile.Run<TD, TV, TA, TW, R8, TX>(groups, tail, a, lda, w, init, scratch); break;
            case 7: Int8GemmTile.Run<TD, TV, TA, TW, R7, TX>(groups, tail, a, lda, w, init, scratch); break;
            case 6: Int8GemmTile.Run<TD, TV, TA, TW, R6, TX>(groups, tail, a, lda, w, init, scratch); break;
            case 5: Int8GemmTile.Run<TD, TV, TA, TW, R5, TX>(groups, tail, a, lda, w, init, scratch); break;
            case 4: Int8GemmTile.Run<TD, TV, TA, TW, R4, TX>(groups, tail, a, lda, w, init, scratch); break;
            case 3: Int8GemmTile.Run<TD, TV, TA, TW, R3, TX>(groups, tail, a, lda, w, init, scratch); break;
            case 2: Int8GemmTile.Run<TD, TV, TA, TW, R2, TX>(groups, tail, a, lda, w, init, scratch); break;
            default: Int8GemmTile.Run<TD, TV, TA, TW, R1, TX>(groups, tail, a, lda, w, init, scratch); break;
        }
    }
}

/// <summary>One call's operands, pinned, with the per-panel preparation shared by the vector and scalar paths.</summary>
internal readonly unsafe struct GemmCall(PackedInt8Matrix b, sbyte* data, int* sums, float* scale, float* bias,
    in Int8GemmArgs args, int rowStart, int rowEnd)
{
    public readonly PackedInt8Matrix B = b;
    public readonly sbyte* Data = data;
    public readonly int* Sums = sums;
    public readonly float* Scale = scale;
    public readonly float* Bias = bias;
    public readonly Int8GemmArgs Args = args;
    public readonly int RowStart = rowStart;
    public readonly int RowEnd = rowEnd;

    /// <summary>
    /// For the panel of <paramref name="width"/> columns at <paramref name="col"/>: −za·colsum (exact: |za·colsum| ≤
    /// 255·128·K), and the epilogue's scale and bias, zero beyond the <paramref name="columns"/> that exist.
    /// </summary>
    public void PreparePanel(int col, int width, int columns, int* init, float* scale, float* bias)
    {
        for (var j = 0; j < width; j++)
        {
            init[j] = -Args.ZeroPointA * Sums[col + j];
            scale[j] = j < columns ? Scale[col + j] : 0f;
            bias[j] = j < columns ? Bias[col + j] : 0f;
        }
    }
}
