using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>
/// Depthwise 2-D convolution of uint8 NHWC activations by int8 per-channel weights, with the <see cref="Requantize"/>
/// epilogue (kernel ids <c>u8-dwconv-&lt;KH&gt;x&lt;KW&gt;s&lt;S&gt;__&lt;isa&gt;</c>, <c>u8-dwconv-any__&lt;isa&gt;</c>). For every
/// output pixel (oy, ox) and channel c:
/// <code>
/// acc = Σ_{ky &lt; KH} Σ_{kx &lt; KW} (in[iy, ix, c] − za) · w[c, ky, kx]        iy = oy·StrideH − PadTop + ky, ix = ox·StrideW − PadLeft + kx
/// out[oy, ox, c] = epilogue(acc) for channel Channel + c
/// </code>
/// where taps outside the image are padding of real value 0, quantized za, and so add nothing. Pixel (y, x) of a tensor
/// lives at <c>ptr + (y·W + x)·pixelStride</c>, so input and output may be channel slices of wider buffers; only
/// channels [0, C) of a pixel are read or written. The reference twin is <c>Reference.Int8.Int8DwConvReference</c>.
/// <para>
/// Arithmetic: exact int32. The sum is computed as Σ in·w − za·Σ w over the tap rows inside the image (the row sums
/// are packed with the weights); a column outside the image is read as za, which the compensation cancels, so a
/// clipped window needs no other case. Each product in·w of a byte and an int8 weight is one <c>vpmaddwd</c> on int32
/// lanes (the high halves are 0 and w's sign, whose product is 0), 16 channels per AVX-512 register, 8 per AVX2 one.
/// </para>
/// <para>
/// Paths: a window 3 or 5 wide at horizontal stride 1 or 2 runs register-blocked tiles of 7 output pixels, each input
/// column loaded once per tap row and multiplied into every accumulator whose window holds it (Int8DwConv.Tiled.cs);
/// any other window runs per-pixel loops. Work is split by output rows [outRowStart, outRowEnd). Nothing is allocated
/// per call; input and output must not overlap.
/// </para>
/// </summary>
public static unsafe partial class Int8DwConv
{
    /// <summary>Channels per packed weight row: C rounded up to the widest register (16 lanes), padded with zeros.</summary>
    public static int PackedChannels(int c) => (c + 15) & ~15;

    /// <summary>Ints in a packed weight block: KH·KW tap rows of weights, then KH rows of per-tap-row sums, each Cp wide.</summary>
    public static int PackedLength(int c, int kh, int kw) => (kh * kw + kh) * PackedChannels(c);

    /// <summary>
    /// Packs int8 depthwise weights [C][KH][KW] (ONNX/PyTorch [C, 1, KH, KW]) as int32, tap-major:
    /// <c>packed[(ky·KW + kx)·Cp + c] = w[c, ky, kx]</c>, followed by the row sums
    /// <c>packed[(KH·KW + ky)·Cp + c] = Σ_kx w[c, ky, kx]</c>; zeros in channels [C, Cp). Pinned.
    /// </summary>
    public static int[] PackWeights(ReadOnlySpan<sbyte> w, int c, int kh, int kw)
    {
        KernelGuard.That(c >= 1 && kh >= 1 && kw >= 1, $"needs positive sizes, got C={c}, {kh}×{kw}", nameof(c));
        KernelGuard.That(w.Length == (long)c * kh * kw, $"weights [{c}, {kh}, {kw}] need {c * kh * kw} values, got {w.Length}", nameof(w));
        var cp = PackedChannels(c);
        var packed = GC.AllocateArray<int>(PackedLength(c, kh, kw), pinned: true);
        for (var ch = 0; ch < c; ch++)
        {
            for (var ky = 0; ky < kh; ky++)
            {
                var sum = 0;
                for (var kx = 0; kx < kw; kx++)
                {
                    var v = w[(ch * kh + ky) * kw + kx];
                    packed[(ky * kw + kx) * cp + ch] = v;
                    sum += v;
                }
                packed[(kh * kw + ky) * cp + ch] = sum;
            }
        }
        return packed;
    }

    /// <summary>
    /// Computes output rows [<paramref name="outRowStart"/>, <paramref name="outRowEnd"/>) of the convolution described
    /// in <see cref="Int8DwConv"/>.
    /// </summary>
    /// <param name="s">Geometry (any kernel size, stride and padding; <see cref="DwConvShape.Create"/> takes all four pads).</param>
    /// <param name="input">Pixel (0, 0), channel 0 of the uint8 H×W input.</param>
    /// <param name="inPixelStride">Bytes from one input pixel to the next (≥ C).</param>
    /// <param name="zeroPoint">za, the input's zero point (0..255), also the value of the padding.</param>
    /// <param name="packedWeights">From <see cref="PackWeights"/>.</param>
    /// <param name="q">The epilogue; its Scale and Bias are read at [channel, channel + C). The residual is not supported here.</param>
    /// <param name="channel">Index of this call's channel 0 in <paramref name="q"/>'s arrays.</param>
    /// <param name="output">Pixel (0, 0), channel 0 of the uint8 OH×OW output.</param>
    /// <param name="outPixelStride">Bytes from one output pixel to the next (≥ C).</param>
    /// <param name="outRowStart">First output row computed.</param>
    /// <param name="outRowEnd">One past the last output row computed.</param>
    /// <param name="isa">The tier; lowered to the best this process runs.</param>
    public static void Run(in DwConvShape s, byte* input, int inPixelStride, int zeroPoint, int* packedWeights, Requantize q, int channel,
        byte* output, int outPixelStride, int outRowStart, int outRowEnd, Isa isa)
    {
        Validate(s, input, inPixelStride, zeroPoint, packedWeights, output, outPixelStride, outRowStart, outRowEnd);
        ArgumentNullException.ThrowIfNull(q);
        q.Validate(channel, s.C, nameof(q));
        if (outRowStart == outRowEnd) return;
        var e = new EpilogueScalars(q, foldClamp: true);
        fixed (float* scale = q.Scale)
        fixed (float* bias = q.Bias)
        {
            var a = new Args(s, input, inPixelStride, zeroPoint, packedWeights, scale + channel, bias + channel, output, outPixelStride,
                outRowStart, outRowEnd, e);
            switch (e.Activation)
            {
                case QuantActivation.None: Dispatch<NoActivation>(a, isa); break;
                case QuantActivation.Clamp: Dispatch<ClampActivation>(a, isa); break;
                case QuantActivation.HardSwish: Dispatch<HardSwishQuant>(a, isa); break;
                default: Dispatch<HardSigmoidQuant>(a, isa); break;
            }
        }
    }

    private static void Dispatch<TAct>(in Args a, Isa isa) where TAct : IQuantActivation
    {
        switch (Int8Caps.Effective(isa))
        {
            case Isa.V512: Window<Q512, Vector512<int>, Vector512<float>, TAct>(a); break;
            case Isa.V256: Window<Q256, Vector256<int>, Vector256<float>, TAct>(a); break;
            default: Window<QScalar, int, float, TAct>(a); break;
        }
    }

    private static void Window<TQ, TI, TF, TAct>(in Args a)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation
    {
        switch (a.S.KW, a.S.StrideW)
        {
            case (3, 1): Rows<TQ, TI, TF, TAct, K3S1>(a); break;
            case (3, 2): Rows<TQ, TI, TF, TAct, K3S2>(a); break;
            case (5, 1): Rows<TQ, TI, TF, TAct, K5S1>(a); break;
            case (5, 2): Rows<TQ, TI, TF, TAct, K5S2>(a); break;
            default: Rows<TQ, TI, TF, TAct, AnyWindow>(a); break;
        }
    }

    /// <summary>
    /// Output row by output row, channel block by channel block (a whole row of one block keeps its weights, the
    /// compensation and the epilogue parameters in registers, and the few input rows it reads stay in L1), the pixels
    /// of the row in tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TQ, TI, TF, TAct, TW>(in Args a)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation where TW : struct, IWindow
    {
        var s = a.S;
        for (var oy = a.RowStart; oy < a.RowEnd; oy++)
        {
            var iy = oy * s.StrideH - s.PadTop;
            var kyLo = Math.Max(0, -iy);
            var kyHi = Math.Min(s.KH, s.H - iy);
            var row = new TapRows(a.Input + (iy + kyLo) * a.InRow, a.Weights + kyLo * s.KW * a.Tap, a.RowSums + kyLo * a.Tap,
                Math.Max(0, kyHi - kyLo), a.Output + oy * s.OW * a.OutPixel);
            var c0 = 0;
            for (; c0 + TQ.Count <= s.C; c0 += TQ.Count)
                RowBlock<TQ, TI, TF, TAct, TW, FullBlock<TI>>(a, row, c0, default);
            if (c0 < s.C)
                RowBlock<TQ, TI, TF, TAct, TW, TailBlock<TI>>(a, row, c0, new(s.C - c0));
        }
    }

    /// <summary>
    /// One output row of the channel block at <paramref name="c0"/>: the accumulators start at −za·Σ w over the tap rows
    /// inside the image; windows reaching past the left or right edge read za for the missing columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    private static void RowBlock<TQ, TI, TF, TAct, TW, TB>(in Args a, in TapRows row, int c0, TB block)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation
        where TW : struct, IWindow where TB : struct, IByteBlock<TI>
    {
        var s = a.S;
        var rowSum = TQ.BroadcastInt(0);
        for (var r = 0; r < row.Count; r++) rowSum = TQ.Add(rowSum, TQ.LoadInts(row.RowSums + r * a.Tap + c0));
        var comp = TQ.Multiply(rowSum, TQ.BroadcastInt(-a.ZeroPoint));
        var za = TQ.BroadcastInt(a.ZeroPoint);
        var scale = block.LoadFloats<TQ, TF>(a.Scale + c0);
        var bias = block.LoadFloats<TQ, TF>(a.Bias + c0);
        var input = row.Input + c0;
        var weights = row.Weights + c0;
        var output = row.Output + c0;
        if (!TW.Specialized)
        {
            for (var ox = 0; ox < s.OW; ox++)
            {
                var sum = AnyPixel<TQ, TI, TF, TB>(a, block, input, weights, row.Count, ox * s.StrideW - s.PadLeft, comp, za);
                block.Store<TQ, TF>(output + ox * a.OutPixel, QuantEpilogue.Quantize<TQ, TI, TF, TAct>(sum, scale, bias, a.E));
            }
            return;
        }
        var pixels = s.OW >= 7 ? 7 : s.OW >= 4 ? 4 : 1;
        var columns = (pixels - 1) * TW.Stride + TW.KW;
        var tile = new TileArgs<TI, TF>(comp, za, row.Count);
        var acc = stackalloc int[7 * 16];
        for (var ox = 0; ox < s.OW; ox += pixels)
        {
            // The last tile moves back to end at OW, recomputing a few pixels rather than needing narrower tiles.
            var start = Math.Min(ox, s.OW - pixels);
            var ix0 = start * TW.Stride - s.PadLeft;
            int iLo = Math.Max(0, -ix0), iHi = s.W - ix0;
            var clipped = iLo > 0 || iHi < columns;
            var tin = input + ix0 * a.InPixel;
            var tout = output + start * a.OutPixel;
            if (pixels == 7 && !clipped) Tile<TQ, TI, TF, TW, TB, P7>(a, block, tile, tin, weights, acc, 0, columns);
            else if (pixels == 7) Tile<TQ, TI, TF, TW, TB, P7Clipped>(a, block, tile, tin, weights, acc, iLo, iHi);
            else if (pixels == 4) Tile<TQ, TI, TF, TW, TB, P4Clipped>(a, block, tile, tin, weights, acc, iLo, iHi);
            else Tile<TQ, TI, TF, TW, TB, P1Clipped>(a, block, tile, tin, weights, acc, iLo, iHi);
            var p = 0;
            // Whole 16-channel registers: two pixels' codes packed and stored together (PairedBytes), not a vpmovdb each.
            if (typeof(TQ) == typeof(Q512) && typeof(TB) == typeof(FullBlock<TI>))
                for (; p + 2 <= pixels; p += 2)
                {
                    var q0 = QuantEpilogue.Quantize<TQ, TI, TF, TAct>(TQ.LoadInts(acc + p * TQ.Count), scale, bias, a.E);
                    var q1 = QuantEpilogue.Quantize<TQ, TI, TF, TAct>(TQ.LoadInts(acc + (p + 1) * TQ.Count), scale, bias, a.E);
                    PairedBytes.Store(tout + p * a.OutPixel, tout + (p + 1) * a.OutPixel,
                        Unsafe.As<TI, Vector512<int>>(ref q0), Unsafe.As<TI, Vector512<int>>(ref q1));
                }
            for (; p < pixels; p++)
                block.Store<TQ, TF>(tout + p * a.OutPixel, QuantEpilogue.Quantize<TQ, TI, TF, TAct>(TQ.LoadInts(acc + p * TQ.Count), scale, bias, a.E));
        }
    }

    /// <summary>Any window: the accumulator of one output pixel whose window starts at input column <paramref name="ix0"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TI AnyPixel<TQ, TI, TF, TB>(in Args a, TB block, byte* input, int* weights, int rows, int ix0, TI comp, TI za)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TB : struct, IByteBlock<TI>
    {
        var acc = comp;
        for (var r = 0; r < rows; r++)
        {
            var rowIn = input + r * a.InRow;
            var rowW = weights + r * a.S.KW * a.Tap;
            for (var kx = 0; kx < a.S.KW; kx++)
            {
                var ix = ix0 + kx;
                var x = (uint)ix < (uint)a.S.W ? block.Load<TQ, TF>(rowIn + ix * a.InPixel) : za;
                acc = TQ.Add(acc, TQ.MultiplySmall(x, TQ.LoadInts(rowW + kx * a.Tap)));
            }
        }
        return acc;
    }

    private static void Validate(in DwConvShape s, byte* input, int inPixelStride, int zeroPoint, int* weights, byte* output,
        int outPixelStride, int outRowStart, int outRowEnd)
    {
        KernelGuard.NotNull(input, nameof(input));
        KernelGuard.NotNull(weights, nameof(weights));
        KernelGuard.NotNull(output, nameof(output));
        KernelGuard.That(s.H >= 1 && s.W >= 1 && s.C >= 1 && s.KH >= 1 && s.KW >= 1 && s.OH >= 1 && s.OW >= 1,
            $"needs positive sizes: {s}", nameof(s));
        KernelGuard.That(s.StrideH >= 1 && s.StrideW >= 1 && s.PadTop >= 0 && s.PadLeft >= 0,
            $"needs positive strides and non-negative padding: {s}", nameof(s));
        KernelGuard.That(zeroPoint is >= 0 and <= 255, $"zero point {zeroPoint} is not in 0..255", nameof(zeroPoint));
        KernelGuard.That(inPixelStride >= s.C && outPixelStride >= s.C,
            $"pixel strides {inPixelStride} (in) and {outPixelStride} (out) must hold the {s.C} channels", nameof(inPixelStride));
        KernelGuard.That(0 <= outRowStart && outRowStart <= outRowEnd && outRowEnd <= s.OH,
            $"output rows [{outRowStart}, {outRowEnd}) are not within [0, {s.OH})", nameof(outRowStart));
    }

    /// <summary>The arguments of one call, widened to native integers once.</summary>
    private readonly struct Args(in DwConvShape s, byte* input, int inPixelStride, int zeroPoint, int* weights, float* scale, float* bias,
        byte* output, int outPixelStride, int rowStart, int rowEnd, in EpilogueScalars e)
    {
        public readonly DwConvShape S = s;
        public readonly byte* Input = input;
        public readonly nint InPixel = inPixelStride;
        public readonly nint InRow = (nint)s.W * inPixelStride;
        public readonly int ZeroPoint = zeroPoint;
        public readonly int* Weights = weights;
        public readonly int* RowSums = weights + (nint)s.KH * s.KW * PackedChannels(s.C);
        public readonly nint Tap = PackedChannels(s.C);
        public readonly float* Scale = scale;
        public readonly float* Bias = bias;
        public readonly byte* Output = output;
        public readonly nint OutPixel = outPixelStride;
        public readonly int RowStart = rowStart;
        public readonly int RowEnd = rowEnd;
        public readonly EpilogueScalars E = e;
    }

    /// <summary>The tap rows of one output row that lie inside the image: the first one's input row and weights, and how many.</summary>
    private readonly struct TapRows(byte* input, int* weights, int* rowSums, int count, byte* output)
    {
        public readonly byte* Input = input;
        public readonly int* Weights = weights;
        public readonly int* RowSums = rowSums;
        public readonly int Count = count;
        public readonly byte* Output = output;
    }
}
