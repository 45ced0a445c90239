using System.Runtime.CompilerServices;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Training.Kernels.Cpu.Depthwise;

/// <summary>
/// The depthwise loop bodies of <see cref="DepthwiseTrain"/>, each written once over a register type (<see cref="ISimd{TV}"/>:
/// 16, 8 or 1 lanes) and compiled by the JIT per tier. Channels run in register-wide blocks, the last one masked
/// (<see cref="TailBlock{TV, TS}"/>); packed weights are tap-major with C padded to 16, so they load whole registers.
/// </summary>
internal static unsafe class DepthwiseLoops
{
    /// <summary>Taps of one window row accumulated in registers at once by <see cref="BackwardWeight{TV, TS}"/> (wider rows take several passes).</summary>
    private const int RowTaps = 8;

    /// <summary>
    /// Output rows [oyStart, oyEnd) of one image: y = bias + Σ taps x·w over the taps inside the image, with any
    /// dilation (the inference kernels take dilation 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<TV, TS>(in ConvShape s, float* x, float* packed, float* bias, float* y, int oyStart, int oyEnd)
        where TV : unmanaged where TS : ISimd<TV>
    {
        var cp = DwConv.PackedChannels(s.Cin);
        for (var oy = oyStart; oy < oyEnd; oy++)
        {
            for (var ox = 0; ox < s.OutW; ox++)
            {
                var output = y + ((nint)oy * s.OutW + ox) * s.Cin;
                var c = 0;
                for (; c + TS.Count <= s.Cin; c += TS.Count) ForwardPixel<TV, TS, FullBlock<TV, TS>>(s, default, x + c, packed + c, bias, c, cp, oy, ox, output + c);
                if (c < s.Cin) ForwardPixel<TV, TS, TailBlock<TV, TS>>(s, new(s.Cin - c), x + c, packed + c, bias, c, cp, oy, ox, output + c);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardPixel<TV, TS, TB>(in ConvShape s, TB block, float* x, float* w, float* bias, int c, int cp, int oy, int ox, float* output)
        where TV : unmanaged where TS : ISimd<TV> where TB : struct, IChannelBlock<TV>
    {
        var acc = bias == null ? TS.Zero : block.Load(bias + c);
        for (var ky = 0; ky < s.KH; ky++)
        {
            var iy = oy * s.StrideH - s.PadTop + ky * s.DilationH;
            if ((uint)iy >= (uint)s.H) continue;
            for (var kx = 0; kx < s.KW; kx++)
            {
                var ix = ox * s.StrideW - s.PadLeft + kx * s.DilationW;
                if ((uint)ix >= (uint)s.W) continue;
                acc = TS.MultiplyAdd(block.Load(x + ((nint)iy * s.W + ix) * s.Cin), TS.Load(w + (ky * s.KW + kx) * cp), acc);
            }
        }
        block.Store(output, acc);
    }

    /// <summary>
    /// Input rows [rowStart, rowEnd) of the batch (row = n·H + iy): dx = Σ dy·w over the (output, tap) pairs that read
    /// each input pixel, listed by <paramref name="rowTaps"/> and <paramref name="colTaps"/> in increasing output
    /// position. Products are rounded then added, from 0, in the reference's order (its loops run over outputs), so each
    /// element comes out bit-identical to it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardData<TV, TS>(in ConvShape s, float* dy, float* packed, float* dx, int* rowTaps, int* colTaps, int rowStart, int rowEnd)
        where TV : unmanaged where TS : ISimd<TV>
    {
        var cp = DwConv.PackedChannels(s.Cin);
        int rowEntry = 1 + 2 * s.KH, colEntry = 1 + 2 * s.KW;
        for (var row = rowStart; row < rowEnd; row++)
        {
            var n = row / s.H;
            var iy = row - n * s.H;
            var rt = rowTaps + iy * rowEntry;
            var image = dy + (nint)n * s.OutH * s.OutW * s.Cin;
            for (var ix = 0; ix < s.W; ix++)
            {
                var ct = colTaps + ix * colEntry;
                var output = dx + (((nint)n * s.H + iy) * s.W + ix) * s.Cin;
                var c = 0;
                for (; c + 4 * TS.Count <= s.Cin; c += 4 * TS.Count) DataPixel4<TV, TS>(s, image + c, packed + c, cp, rt, ct, output + c);
                for (; c + TS.Count <= s.Cin; c += TS.Count) DataPixel<TV, TS, FullBlock<TV, TS>>(s, default, image + c, packed + c, cp, rt, ct, output + c);
                if (c < s.Cin) DataPixel<TV, TS, TailBlock<TV, TS>>(s, new(s.Cin - c), image + c, packed + c, cp, rt, ct, output + c);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DataPixel<TV, TS, TB>(in ConvShape s, TB block, float* dy, float* w, int cp, int* rt, int* ct, float* output)
        where TV : unmanaged where TS : ISimd<TV> where TB : struct, IChannelBlock<TV>
    {
        var acc = TS.Zero;
        int rows = rt[0], cols = ct[0];
        for (var a = 0; a < rows; a++)
        {
            int ky = rt[1 + 2 * a], oy = rt[2 + 2 * a];
            var dyRow = dy + (nint)oy * s.OutW * s.Cin;
            var wRow = w + ky * s.KW * cp;
            for (var b = 0; b < cols; b++)
            {
                int kx = ct[1 + 2 * b], ox = ct[2 + 2 * b];
                acc = TS.Add(acc, TS.Multiply(block.Load(dyRow + (nint)ox * s.Cin), TS.Load(wRow + kx * cp)));
            }
        }
        block.Store(output, acc);
    }

    /// <summary>
    /// <see cref="DataPixel{TV, TS, TB}"/> for four full channel blocks at once: four independent sums, so the additions
    /// overlap instead of each waiting on the last; each block's sum keeps the same order (bit-identical).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DataPixel4<TV, TS>(in ConvShape s, float* dy, float* w, int cp, int* rt, int* ct, float* output)
        where TV : unmanaged where TS : ISimd<TV>
    {
        TV acc0 = TS.Zero, acc1 = TS.Zero, acc2 = TS.Zero, acc3 = TS.Zero;
        int rows = rt[0], cols = ct[0], n = TS.Count;
        for (var a = 0; a < rows; a++)
        {
            int ky = rt[1 + 2 * a], oy = rt[2 + 2 * a];
            var dyRow = dy + (nint)oy * s.OutW * s.Cin;
            var wRow = w + ky * s.KW * cp;
            for (var b = 0; b < cols; b++)
            {
                int kx = ct[1 + 2 * b], ox = ct[2 + 2 * b];
                var d = dyRow + (nint)ox * s.Cin;
                var k = wRow + kx * cp;
                acc0 = TS.Add(acc0, TS.Multiply(TS.Load(d), TS.Load(k)));
                acc1 = TS.Add(acc1, TS.Multiply(TS.Load(d + n), TS.Load(k + n)));
                acc2 = TS.Add(acc2, TS.Multiply(TS.Load(d + 2 * n), TS.Load(k + 2 * n)));
                acc3 = TS.Add(acc3, TS.Multiply(TS.Load(d + 3 * n), TS.Load(k + 3 * n)));
            }
        }
        TS.Store(output, acc0);
        TS.Store(output + n, acc1);
        TS.Store(output + 2 * n, acc2);
        TS.Store(output + 3 * n, acc3);
    }

    /// <summary>
    /// Adds the weight gradient of output rows [rowStart, rowEnd) (row = n·OutH + oy) and channels [c0, c1) into
    /// <paramref name="partial"/> (tap-major, <paramref name="cp"/> floats a tap): for each output row, channel block and
    /// window row, up to <see cref="RowTaps"/> taps summed in registers over the row's pixels, then added to the partial.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardWeight<TV, TS>(in ConvShape s, float* x, float* dy, float* partial, int cp, int rowStart, int rowEnd, int c0, int c1)
        where TV : unmanaged where TS : ISimd<TV>
    {
        for (var row = rowStart; row < rowEnd; row++)
        {
            var n = row / s.OutH;
            var oy = row - n * s.OutH;
            var dyRow = dy + ((nint)n * s.OutH + oy) * s.OutW * s.Cin;
            for (var ky = 0; ky < s.KH; ky++)
            {
                var iy = oy * s.StrideH - s.PadTop + ky * s.DilationH;
                if ((uint)iy >= (uint)s.H) continue;
                var xRow = x + ((nint)n * s.H + iy) * s.W * s.Cin;
                for (var kx0 = 0; kx0 < s.KW; kx0 += RowTaps)
                {
                    var count = Math.Min(RowTaps, s.KW - kx0);
                    var acc = partial + (ky * s.KW + kx0) * cp;
                    var c = c0;
                    if (count <= 4)
                    {
                        for (; c + 2 * TS.Count <= c1; c += 2 * TS.Count) TapRow2<TV, TS>(s, dyRow + c, xRow + c, acc + c, cp, kx0, count);
                    }
                    for (; c + TS.Count <= c1; c += TS.Count)
                        TapRow<TV, TS, FullBlock<TV, TS>>(s, default, dyRow + c, xRow + c, acc + c, cp, kx0, count);
                    if (c < c1) TapRow<TV, TS, TailBlock<TV, TS>>(s, new(c1 - c), dyRow + c, xRow + c, acc + c, cp, kx0, count);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="TapRow{TV, TS, TB}"/> for up to 4 taps and two full channel blocks at once: eight independent sums
    /// where one block has four, so the multiply-adds overlap; each sum keeps its order over the pixels (bit-identical).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TapRow2<TV, TS>(in ConvShape s, float* dyRow, float* xRow, float* partial, int cp, int kx0, int count)
        where TV : unmanaged where TS : ISimd<TV>
    {
        TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero, b0 = TS.Zero, b1 = TS.Zero, b2 = TS.Zero, b3 = TS.Zero;
        nint c = s.Cin, dil = s.DilationW, n = TS.Count;
        var w = (uint)s.W;
        for (var ox = 0; ox < s.OutW; ox++)
        {
            var d = dyRow + ox * c;
            TV da = TS.Load(d), db = TS.Load(d + n);
            var ix = ox * s.StrideW - s.PadLeft + kx0 * s.DilationW;
            var p = xRow + ix * c;
            if ((uint)ix < w)
            {
                a0 = TS.MultiplyAdd(da, TS.Load(p), a0);
                b0 = TS.MultiplyAdd(db, TS.Load(p + n), b0);
            }
            if (count > 1 && (uint)(ix + dil) < w)
            {
                a1 = TS.MultiplyAdd(da, TS.Load(p + dil * c), a1);
                b1 = TS.MultiplyAdd(db, TS.Load(p + dil * c + n), b1);
            }
            if (count > 2 && (uint)(ix + 2 * dil) < w)
            {
                a2 = TS.MultiplyAdd(da, TS.Load(p + 2 * dil * c), a2);
                b2 = TS.MultiplyAdd(db, TS.Load(p + 2 * dil * c + n), b2);
            }
            if (count > 3 && (uint)(ix + 3 * dil) < w)
            {
                a3 = TS.MultiplyAdd(da, TS.Load(p + 3 * dil * c), a3);
                b3 = TS.MultiplyAdd(db, TS.Load(p + 3 * dil * c + n), b3);
            }
        }
        TS.Store(partial, TS.Add(TS.Load(partial), a0));
        TS.Store(partial + n, TS.Add(TS.Load(partial + n), b0));
        if (count > 1)
        {
            TS.Store(partial + cp, TS.Add(TS.Load(partial + cp), a1));
            TS.Store(partial + cp + n, TS.Add(TS.Load(partial + cp + n), b1));
        }
        if (count > 2)
        {
            TS.Store(partial + 2 * cp, TS.Add(TS.Load(partial + 2 * cp), a2));
            TS.Store(partial + 2 * cp + n, TS.Add(TS.Load(partial + 2 * cp + n), b2));
        }
        if (count > 3)
        {
            TS.Store(partial + 3 * cp, TS.Add(TS.Load(partial + 3 * cp), a3));
            TS.Store(partial + 3 * cp + n, TS.Add(TS.Load(partial + 3 * cp + n), b3));
        }
    }

    /// <summary>
    /// Taps kx0 .. kx0 + count − 1 of one window row, summed over one output row's pixels for one channel block:
    /// acc_j += dy[ox]·x[ox·StrideW − PadLeft + (kx0 + j)·DilationW] where that column lies inside the image. The eight
    /// accumulators stay in registers; taps past <paramref name="count"/> or outside the image are skipped by a
    /// predictable branch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TapRow<TV, TS, TB>(in ConvShape s, TB block, float* dyRow, float* xRow, float* partial, int cp, int kx0, int count)
        where TV : unmanaged where TS : ISimd<TV> where TB : struct, IChannelBlock<TV>
    {
        TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero, a4 = TS.Zero, a5 = TS.Zero, a6 = TS.Zero, a7 = TS.Zero;
        nint c = s.Cin, dil = s.DilationW;
        var w = (uint)s.W;
        for (var ox = 0; ox < s.OutW; ox++)
        {
            var d = block.Load(dyRow + ox * c);
            var ix = ox * s.StrideW - s.PadLeft + kx0 * s.DilationW;
            var p = xRow + ix * c;
            if ((uint)ix < w) a0 = TS.MultiplyAdd(d, block.Load(p), a0);
            if (count > 1 && (uint)(ix + dil) < w) a1 = TS.MultiplyAdd(d, block.Load(p + dil * c), a1);
            if (count > 2 && (uint)(ix + 2 * dil) < w) a2 = TS.MultiplyAdd(d, block.Load(p + 2 * dil * c), a2);
            if (count > 3 && (uint)(ix + 3 * dil) < w) a3 = TS.MultiplyAdd(d, block.Load(p + 3 * dil * c), a3);
            if (count > 4 && (uint)(ix + 4 * dil) < w) a4 = TS.MultiplyAdd(d, block.Load(p + 4 * dil * c), a4);
            if (count > 5 && (uint)(ix + 5 * dil) < w) a5 = TS.MultiplyAdd(d, block.Load(p + 5 * dil * c), a5);
            if (count > 6 && (uint)(ix + 6 * dil) < w) a6 = TS.MultiplyAdd(d, block.Load(p + 6 * dil * c), a6);
            if (count > 7 && (uint)(ix + 7 * dil) < w) a7 = TS.MultiplyAdd(d, block.Load(p + 7 * dil * c), a7);
        }
        // The partial is padded to whole 16-lane blocks: full loads and stores stay inside it.
        TS.Store(partial, TS.Add(TS.Load(partial), a0));
        if (count > 1) TS.Store(partial + cp, TS.Add(TS.Load(partial + cp), a1));
        if (count > 2) TS.Store(partial + 2 * cp, TS.Add(TS.Load(partial + 2 * cp), a2));
        if (count > 3) TS.Store(partial + 3 * cp, TS.Add(TS.Load(partial + 3 * cp), a3));
        if (count > 4) TS.Store(partial + 4 * cp, TS.Add(TS.Load(partial + 4 * cp), a4));
        if (count > 5) TS.Store(partial + 5 * cp, TS.Add(TS.Load(partial + 5 * cp), a5));
        if (count > 6) TS.Store(partial + 6 * cp, TS.Add(TS.Load(partial + 6 * cp), a6));
        if (count > 7) TS.Store(partial + 7 * cp, TS.Add(TS.Load(partial + 7 * cp), a7));
    }
}
