using System.Runtime.CompilerServices;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>
/// Where a GEMM tile's accumulators go: through <see cref="Requantize"/> into uint8 (<see cref="ByteOutput"/>) or into
/// float (<see cref="FloatOutput"/>). <c>acc</c> holds <c>rows</c> rows of <c>width</c> int32 (the panel width); only
/// the first <c>columns</c> of each are stored, at C row <c>row</c>, column <c>col</c>.
/// </summary>
internal unsafe interface IGemmOutput
{
    static abstract void Store<TQ, TI, TF, TAct>(in Int8GemmArgs g, int row, int col, int* acc, int rows, int width, int columns,
        float* scale, float* bias, in EpilogueScalars e)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation;
}

internal readonly unsafe struct ByteOutput : IGemmOutput
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Store<TQ, TI, TF, TAct>(in Int8GemmArgs g, int row, int col, int* acc, int rows, int width, int columns,
        float* scale, float* bias, in EpilogueScalars e)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation
    {
        var lanes = TQ.Count;
        for (var r = 0; r < rows; r++)
        {
            var c = g.C + (row + r) * g.Ldc + col;
            var res = g.Residual == null ? null : g.Residual + (row + r) * g.Ldr + col;
            var x = acc + r * width;
            for (var j = 0; j < columns; j += lanes)
            {
                var n = Math.Min(lanes, columns - j);
                var t = QuantEpilogue.Affine<TQ, TI, TF>(TQ.LoadInts(x + j), TQ.Load(scale + j), TQ.Load(bias + j));
                if (res != null)
                    t = QuantEpilogue.AddResidual<TQ, TI, TF>(t, n == lanes ? TQ.LoadBytes(res + j) : TQ.LoadBytesPartial(res + j, n), e);
                var q = QuantEpilogue.ToQuantized<TQ, TI, TF>(QuantEpilogue.Activate<TQ, TI, TF, TAct>(t, e), e);
                if (n == lanes) TQ.StoreBytes(c + j, q);
                else TQ.StoreBytesPartial(c + j, q, n);
            }
        }
    }
}

internal readonly unsafe struct FloatOutput : IGemmOutput
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Store<TQ, TI, TF, TAct>(in Int8GemmArgs g, int row, int col, int* acc, int rows, int width, int columns,
        float* scale, float* bias, in EpilogueScalars e)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation
    {
        var lanes = TQ.Count;
        for (var r = 0; r < rows; r++)
        {
            var c = g.FloatC + (row + r) * g.Ldc + col;
            var res = g.Residual == null ? null : g.Residual + (row + r) * g.Ldr + col;
            var x = acc + r * width;
            for (var j = 0; j < columns; j += lanes)
            {
                var n = Math.Min(lanes, columns - j);
                var t = QuantEpilogue.Affine<TQ, TI, TF>(TQ.LoadInts(x + j), TQ.Load(scale + j), TQ.Load(bias + j));
                if (res != null)
                    t = QuantEpilogue.AddResidual<TQ, TI, TF>(t, n == lanes ? TQ.LoadBytes(res + j) : TQ.LoadBytesPartial(res + j, n), e);
                t = QuantEpilogue.Activate<TQ, TI, TF, TAct>(t, e);
                if (n == lanes) TQ.Store(c + j, t);
                else TQ.StorePartial(c + j, t, n);
            }
        }
    }
}

/// <summary>
/// <c>i8-gemm-8x8__scalar</c>: the GEMM in plain int32 arithmetic over the packed panels (any layout), with the
/// epilogue's one-lane form; the path of DOTNET_EnableHWIntrinsic=0.
/// </summary>
internal static unsafe class Int8GemmScalar
{
    public static void Panels<TOut, TAct>(in GemmCall call, in EpilogueScalars e) where TOut : IGemmOutput where TAct : IQuantActivation
    {
        var b = call.B;
        var init = stackalloc int[b.PanelWidth];
        var scale = stackalloc float[b.PanelWidth];
        var bias = stackalloc float[b.PanelWidth];
        var acc = stackalloc int[8 * b.PanelWidth];
        for (var panel = 0; panel < b.Panels; panel++)
        {
            var width = b.Width(panel);
            var col = panel * b.PanelWidth;
            var columns = Math.Min(width, b.N - col);
            call.PreparePanel(col, width, columns, init, scale, bias);
            var w = call.Data + b.Offset(panel);
            for (var row = call.RowStart; row < call.RowEnd; row += 8)
            {
                var rows = Math.Min(8, call.RowEnd - row);
                Tile(b.K, call.Args.A + row * call.Args.Lda, call.Args.Lda, w, width, columns, init, acc, rows);
                TOut.Store<QScalar, int, float, TAct>(call.Args, row, col, acc, rows, width, columns, scale, bias, e);
            }
        }
    }

    private static void Tile(int k, byte* a, nint lda, sbyte* w, int width, int columns, int* init, int* acc, int rows)
    {
        for (var r = 0; r < rows; r++)
        {
            var x = a + r * lda;
            for (var j = 0; j < columns; j++)
            {
                var sum = init[j];
                var wj = w + j * 4;
                for (var p = 0; p < k; p++) sum += x[p] * wj[(p >> 2) * width * 4 + (p & 3)];
                acc[r * width + j] = sum;
            }
        }
    }
}
