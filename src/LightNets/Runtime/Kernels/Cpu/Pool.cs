using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LightNets.Graphs;

namespace LightNets.Runtime.Kernels.Cpu;

/// <summary>
/// The geometry of one pooling window over one NHWC image: input H×W×C, a KH×KW window, strides, the padding on all
/// four sides (the bottom and right padding matter to the divisor of an average that counts padding), output OH×OW×C.
/// </summary>
public readonly record struct PoolShape(
    int H, int W, int C, int KH, int KW, int StrideH, int StrideW,
    int PadTop, int PadLeft, int PadBottom, int PadRight, int OH, int OW)
{
    /// <summary>
    /// The shape with ONNX/PyTorch's output size (<see cref="ShapeInference.WindowOutputSize"/>): floor, or in ceil mode
    /// ceil, of (H + top + bottom − KH)/StrideH, plus 1, dropping a last window that would start in the bottom padding.
    /// </summary>
    public static PoolShape Create(int h, int w, int c, int kh, int kw, int strideH, int strideW,
        int padTop, int padLeft, int padBottom, int padRight, bool ceilMode) =>
        new(h, w, c, kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight,
            ShapeInference.WindowOutputSize(h, kh, strideH, 1, padTop, padBottom, ceilMode),
            ShapeInference.WindowOutputSize(w, kw, strideW, 1, padLeft, padRight, ceilMode));
}

/// <summary>
/// Max and average pooling over NHWC activations (kernel ids <c>f32-maxpool-&lt;KH&gt;x&lt;KW&gt;s&lt;S&gt;__&lt;isa&gt;</c>,
/// <c>f32-avgpool-…</c>, <c>f32-gavgpool__&lt;isa&gt;</c>), the semantics of <see cref="Reference.PoolReference"/>.
/// Output pixel (oy, ox) pools the window rows iy = oy·StrideH − PadTop + ky and columns ix = ox·StrideW − PadLeft + kx
/// that lie inside the image; pixel (y, x) of a tensor lives at <c>ptr + (y·W + x)·pixelStride</c>, and only channels
/// [0, C) of a pixel are read or written.
/// <para>
/// Every output pixel is computed for all channels before the next, one register-wide channel block at a time, so
/// memory is walked in address order. A 3×3 window wholly inside the image (the interior of ShuffleNet's stem max pool
/// and ShuffleNetV1's 3×3/2 average-pool shortcut) is unrolled; other windows and the border loop over the clipped
/// window. Nothing is allocated per call.
/// </para>
/// </summary>
public static unsafe class Pool
{
    /// <summary>
    /// out[oy, ox, c] = max of in[iy, ix, c] over the window cells inside the image (padding never wins: an all-negative
    /// window yields its largest value; a NaN anywhere in the window gives NaN). Computes output rows
    /// [<paramref name="outRowStart"/>, <paramref name="outRowEnd"/>).
    /// </summary>
    public static void Max(in PoolShape s, float* input, int inPixelStride, float* output, int outPixelStride,
        int outRowStart, int outRowEnd, Isa isa)
    {
        Validate(s, input, inPixelStride, output, outPixelStride, outRowStart, outRowEnd);
        var a = new Args(s, input, inPixelStride, output, outPixelStride, outRowStart, outRowEnd, countIncludePad: false);
        switch (KernelGuard.Effective(isa))
        {
            case Isa.V512: Rows<Vector512<float>, Simd512, MaxOf>(a); break;
            case Isa.V256: Rows<Vector256<float>, Simd256, MaxOf>(a); break;
            case Isa.V128: Rows<Vector128<float>, Simd128, MaxOf>(a); break;
            default: Rows<float, SimdScalar, MaxOf>(a); break;
        }
    }

    /// <summary>
    /// out[oy, ox, c] = S / D: S is the float32 sum of the window cells inside the image, in row-major window order
    /// (the reference's order, so S is bit-identical to it), and D is the number of those cells, or with
    /// <paramref name="countIncludePad"/> the number of window cells inside the padded input
    /// [−PadTop, H + PadBottom) × [−PadLeft, W + PadRight). The quotient is a true division per window and channel
    /// block, not a reciprocal multiply, so the result is identical to the reference's (pooling is bound by its
    /// loads; the division is hidden behind them).
    /// </summary>
    public static void Average(in PoolShape s, bool countIncludePad, float* input, int inPixelStride, float* output,
        int outPixelStride, int outRowStart, int outRowEnd, Isa isa)
    {
        Validate(s, input, inPixelStride, output, outPixelStride, outRowStart, outRowEnd);
        var a = new Args(s, input, inPixelStride, output, outPixelStride, outRowStart, outRowEnd, countIncludePad);
        switch (KernelGuard.Effective(isa))
        {
            case Isa.V512: Rows<Vector512<float>, Simd512, MeanOf>(a); break;
            case Isa.V256: Rows<Vector256<float>, Simd256, MeanOf>(a); break;
            case Isa.V128: Rows<Vector128<float>, Simd128, MeanOf>(a); break;
            default: Rows<float, SimdScalar, MeanOf>(a); break;
        }
    }

    /// <summary>
    /// Global average pooling of <paramref name="images"/> NHWC images of <paramref name="pixels"/> = H·W pixels each:
    /// <c>output[n·C + c] = (Σ_p in[n, p, c]) · (1 / pixels)</c>, image n starting <paramref name="imageStride"/> floats
    /// after image n − 1. The sum runs over the pixels in order, in one float32 accumulator per channel (vector lanes),
    /// the reference's order; only the final reciprocal multiply differs from its division (≤ 1 ulp).
    /// </summary>
    public static void GlobalAverage(float* input, int images, long imageStride, int pixels, int channels, int inPixelStride,
        float* output, Isa isa)
    {
        KernelGuard.NotNull(input, nameof(input));
        KernelGuard.NotNull(output, nameof(output));
        KernelGuard.That(images >= 1 && pixels >= 1 && channels >= 1, $"needs positive sizes, got {images} images × {pixels} pixels × {channels} channels", nameof(pixels));
        KernelGuard.That(inPixelStride >= channels, $"pixel stride {inPixelStride} must hold the {channels} channels", nameof(inPixelStride));
        KernelGuard.That(images == 1 || imageStride >= (long)pixels * inPixelStride, $"image stride {imageStride} overlaps {pixels} pixels of {inPixelStride}", nameof(imageStride));
        for (var n = 0; n < images; n++)
        {
            var x = input + n * imageStride;
            var y = output + (long)n * channels;
            switch (KernelGuard.Effective(isa))
            {
                case Isa.V512: GlobalAverage<Vector512<float>, Simd512>(x, pixels, channels, inPixelStride, y); break;
                case Isa.V256: GlobalAverage<Vector256<float>, Simd256>(x, pixels, channels, inPixelStride, y); break;
                case Isa.V128: GlobalAverage<Vector128<float>, Simd128>(x, pixels, channels, inPixelStride, y); break;
                default: GlobalAverage<float, SimdScalar>(x, pixels, channels, inPixelStride, y); break;
            }
        }
    }

    private static void Validate(in PoolShape s, float* input, int inPixelStride, float* output, int outPixelStride,
        int outRowStart, int outRowEnd)
    {
        KernelGuard.NotNull(input, nameof(input));
        KernelGuard.NotNull(output, nameof(output));
        KernelGuard.That(s.H >= 1 && s.W >= 1 && s.C >= 1 && s.KH >= 1 && s.KW >= 1 && s.OH >= 1 && s.OW >= 1
                         && s.StrideH >= 1 && s.StrideW >= 1, $"needs positive sizes and strides: {s}", nameof(s));
        // Every window must hold an input cell (a max or mean of nothing is undefined): the first starts at
        // −PadTop > −KH, the last at (OH − 1)·StrideH − PadTop < H; likewise for columns.
        KernelGuard.That(s.PadTop >= 0 && s.PadLeft >= 0 && s.PadBottom >= 0 && s.PadRight >= 0
                         && s.PadTop < s.KH && s.PadLeft < s.KW
                         && (s.OH - 1) * s.StrideH - s.PadTop < s.H && (s.OW - 1) * s.StrideW - s.PadLeft < s.W,
            $"some window of {s} holds no input cell", nameof(s));
        KernelGuard.That(inPixelStride >= s.C && outPixelStride >= s.C,
            $"pixel strides {inPixelStride} (in) and {outPixelStride} (out) must hold the {s.C} channels", nameof(inPixelStride));
        KernelGuard.That(0 <= outRowStart && outRowStart <= outRowEnd && outRowEnd <= s.OH,
            $"output rows [{outRowStart}, {outRowEnd}) are not within [0, {s.OH})", nameof(outRowStart));
    }

    /// <summary>How a window's cells combine, and what happens to the result before it is stored.</summary>
    private interface IReduction
    {
        static abstract bool Averages { get; }
        static abstract TV Combine<TV, TS>(TV acc, TV x) where TV : unmanaged where TS : ISimd<TV>;
    }

    /// <summary>Maximum, NaN-propagating like the reference's Math.Max: a NaN anywhere in the window gives NaN.</summary>
    private readonly struct MaxOf : IReduction
    {
        public static bool Averages => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Combine<TV, TS>(TV acc, TV x) where TV : unmanaged where TS : ISimd<TV> => TS.Max(acc, x);
    }

    private readonly struct MeanOf : IReduction
    {
        public static bool Averages => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Combine<TV, TS>(TV acc, TV x) where TV : unmanaged where TS : ISimd<TV> => TS.Add(acc, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TV, TS, TR>(in Args a) where TV : unmanaged where TS : ISimd<TV> where TR : IReduction
    {
        var s = a.S;
        var main = s.C - s.C % TS.Count;
        var tail = new TailBlock<TV, TS>(s.C - main);
        var unrolled = s.KH == 3 && s.KW == 3;
        for (var oy = a.RowStart; oy < a.RowEnd; oy++)
        {
            var iy = oy * s.StrideH - s.PadTop;
            int kyLo = Math.Max(0, -iy), kyHi = Math.Min(s.KH, s.H - iy);
            var paddedRows = Math.Min(iy + s.KH, s.H + s.PadBottom) - Math.Max(iy, -s.PadTop);
            for (var ox = 0; ox < s.OW; ox++)
            {
                var ix = ox * s.StrideW - s.PadLeft;
                int kxLo = Math.Max(0, -ix), kxHi = Math.Min(s.KW, s.W - ix);
                var cells = (kyHi - kyLo) * (kxHi - kxLo);
                var divisor = a.CountIncludePad
                    ? paddedRows * (Math.Min(ix + s.KW, s.W + s.PadRight) - Math.Max(ix, -s.PadLeft))
                    : cells;
                var first = a.Input + ((iy + kyLo) * (nint)s.W + ix + kxLo) * a.InPixel;
                int rows = kyHi - kyLo, cols = kxHi - kxLo;
                var quotient = TR.Averages ? TS.Broadcast(divisor) : TS.Zero;
                var output = a.Output + ((nint)oy * s.OW + ox) * a.OutPixel;
                if (unrolled && cells == 9)
                {
                    for (var c = 0; c < main; c += TS.Count)
                        Window3x3<TV, TS, TR, FullBlock<TV, TS>>(a, default, first + c, quotient, output + c);
                    if (main < s.C) Window3x3<TV, TS, TR, TailBlock<TV, TS>>(a, tail, first + main, quotient, output + main);
                }
                else
                {
                    for (var c = 0; c < main; c += TS.Count)
                        AnyWindow<TV, TS, TR, FullBlock<TV, TS>>(a, default, first + c, rows, cols, quotient, output + c);
                    if (main < s.C) AnyWindow<TV, TS, TR, TailBlock<TV, TS>>(a, tail, first + main, rows, cols, quotient, output + main);
                }
            }
        }
    }

    /// <summary>
    /// One channel block of a window clipped to <paramref name="rows"/> × <paramref name="cols"/> cells from
    /// <paramref name="first"/>, combined in row-major order starting from the first cell.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AnyWindow<TV, TS, TR, TB>(in Args a, TB block, float* first, int rows, int cols, TV divisor, float* output)
        where TV : unmanaged where TS : ISimd<TV> where TR : IReduction where TB : struct, IChannelBlock<TV>
    {
        var acc = block.Load(first);
        for (var r = 0; r < rows; r++, first += a.InRow)
        {
            for (var k = r == 0 ? 1 : 0; k < cols; k++) acc = TR.Combine<TV, TS>(acc, block.Load(first + k * a.InPixel));
        }
        block.Store(output, TR.Averages ? TS.Divide(acc, divisor) : acc);
    }

    /// <summary>A 3×3 window inside the image, unrolled (same row-major order as <see cref="AnyWindow"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Window3x3<TV, TS, TR, TB>(in Args a, TB block, float* p, TV divisor, float* output)
        where TV : unmanaged where TS : ISimd<TV> where TR : IReduction where TB : struct, IChannelBlock<TV>
    {
        nint px = a.InPixel, row = a.InRow;
        var acc = block.Load(p);
        acc = TR.Combine<TV, TS>(acc, block.Load(p + px));
        acc = TR.Combine<TV, TS>(acc, block.Load(p + 2 * px));
        p += row;
        acc = TR.Combine<TV, TS>(acc, block.Load(p));
        acc = TR.Combine<TV, TS>(acc, block.Load(p + px));
        acc = TR.Combine<TV, TS>(acc, block.Load(p + 2 * px));
        p += row;
        acc = TR.Combine<TV, TS>(acc, block.Load(p));
        acc = TR.Combine<TV, TS>(acc, block.Load(p + px));
        acc = TR.Combine<TV, TS>(acc, block.Load(p + 2 * px));
        block.Store(output, TR.Averages ? TS.Divide(acc, divisor) : acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GlobalAverage<TV, TS>(float* input, int pixels, int channels, nint pixelStride, float* output)
        where TV : unmanaged where TS : ISimd<TV>
    {
        var scale = TS.Broadcast(1f / pixels);
        if (pixelStride * sizeof(float) >= 4096)
        {
            // Pixels of 4 KB or more: sweep the pixels in memory order, accumulating in the output row. Sweeping channel
            // blocks down the pixels (below) would put every load on a new page, where the prefetchers stop, and for
            // exactly 4 KB in the same L1 set: MobileNetV1's and ShuffleNetV2's 7×7×1024 heads ran at 2/3 speed.
            var main = channels - channels % TS.Count;
            var tail = new TailBlock<TV, TS>(channels - main);
            for (var c = 0; c < main; c += TS.Count) TS.Store(output + c, TS.Load(input + c));
            if (main < channels) tail.Store(output + main, tail.Load(input + main));
            for (var i = 1; i < pixels; i++)
            {
                var p = input + i * pixelStride;
                for (var c = 0; c < main; c += TS.Count) TS.Store(output + c, TS.Add(TS.Load(output + c), TS.Load(p + c)));
                if (main < channels) tail.Store(output + main, TS.Add(tail.Load(output + main), tail.Load(p + main)));
            }
            for (var c = 0; c < main; c += TS.Count) TS.Store(output + c, TS.Multiply(TS.Load(output + c), scale));
            if (main < channels) tail.Store(output + main, TS.Multiply(tail.Load(output + main), scale));
            return;
        }
        // Otherwise the sums stay in registers: four channel blocks per sweep down the pixels, four independent add
        // chains that hide the add latency, each pixel's four blocks one contiguous run of memory.
        var k = 0;
        for (; k + 4 * TS.Count <= channels; k += 4 * TS.Count)
        {
            TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero;
            var p = input + k;
            for (var i = 0; i < pixels; i++, p += pixelStride)
            {
                s0 = TS.Add(s0, TS.Load(p));
                s1 = TS.Add(s1, TS.Load(p + TS.Count));
                s2 = TS.Add(s2, TS.Load(p + 2 * TS.Count));
                s3 = TS.Add(s3, TS.Load(p + 3 * TS.Count));
            }
            TS.Store(output + k, TS.Multiply(s0, scale));
            TS.Store(output + k + TS.Count, TS.Multiply(s1, scale));
            TS.Store(output + k + 2 * TS.Count, TS.Multiply(s2, scale));
            TS.Store(output + k + 3 * TS.Count, TS.Multiply(s3, scale));
        }
        for (; k + TS.Count <= channels; k += TS.Count) GlobalAverageBlock<TV, TS, FullBlock<TV, TS>>(default, input + k, pixels, pixelStride, scale, output + k);
        if (k < channels) GlobalAverageBlock<TV, TS, TailBlock<TV, TS>>(new(channels - k), input + k, pixels, pixelStride, scale, output + k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GlobalAverageBlock<TV, TS, TB>(TB block, float* input, int pixels, nint pixelStride, TV scale, float* output)
        where TV : unmanaged where TS : ISimd<TV> where TB : struct, IChannelBlock<TV>
    {
        var sum = TS.Zero;
        for (var i = 0; i < pixels; i++, input += pixelStride) sum = TS.Add(sum, block.Load(input));
        block.Store(output, TS.Multiply(sum, scale));
    }

    private readonly struct Args(in PoolShape s, float* input, int inPixelStride, float* output, int outPixelStride,
        int rowStart, int rowEnd, bool countIncludePad)
    {
        public readonly PoolShape S = s;
        public readonly float* Input = input;
        public readonly float* Output = output;
        public readonly nint InPixel = inPixelStride;
        public readonly nint InRow = (nint)s.W * inPixelStride;
        public readonly nint OutPixel = outPixelStride;
        public readonly int RowStart = rowStart;
        public readonly int RowEnd = rowEnd;
        public readonly bool CountIncludePad = countIncludePad;
    }
}
