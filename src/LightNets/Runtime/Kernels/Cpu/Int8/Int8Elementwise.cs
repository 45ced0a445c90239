using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>A per-tensor quantization: real = (q − ZeroPoint) · Scale, q a uint8, ZeroPoint in 0..255, Scale finite and &gt; 0.</summary>
public readonly record struct QuantParams(float Scale, int ZeroPoint)
{
    internal void Validate(string name) =>
        KernelGuard.That(float.IsFinite(Scale) && Scale > 0f && ZeroPoint is >= 0 and <= 255,
            $"needs a finite positive scale and a zero point in 0..255, got {Scale} and {ZeroPoint}", name);
}

/// <summary>
/// Element-wise kernels on uint8 tensors (kernel ids <c>f32-u8-quantize__&lt;isa&gt;</c>, <c>u8-f32-dequantize</c>,
/// <c>u8-vadd</c>, <c>u8-vmul</c>, <c>u8-vmulc</c>, <c>u8-lut</c>). Each walks <c>pixels</c> rows of <c>channels</c>
/// elements, row p of an operand at <c>ptr + p·stride</c> (so any operand may be a channel slice of a wider NHWC
/// buffer), in register-wide blocks with a partial last block that touches nothing beyond the row; nothing is
/// allocated. The output quantization follows ONNX QuantizeLinear, <c>q = saturate(round_half_even(x / scale) + zero
/// point)</c> to 0..255, with a true division (<c>vdivps</c>, IEEE-exact like the scalar one), so results match the
/// specification bit for bit. Every tier gives identical bytes; the reference twins are in
/// <c>Reference.Int8.Int8ElementwiseReference</c>.
/// </summary>
public static unsafe partial class Int8Elementwise
{
    /// <summary>
    /// <c>f32-u8-quantize</c>: y[p, c] = saturate(round(x[p, c] / yq.Scale) + yq.ZeroPoint), x float NHWC.
    /// </summary>
    public static void Quantize(float* x, int xPixelStride, byte* y, int yPixelStride, int pixels, int channels, QuantParams yq, Isa isa)
    {
        Check(x, xPixelStride, y, yPixelStride, pixels, channels);
        yq.Validate(nameof(yq));
        var o = new OutputScalars(yq);
        switch (Int8Caps.Effective(isa))
        {
            case Isa.V512: Quantize<Q512, Vector512<int>, Vector512<float>>(x, xPixelStride, y, yPixelStride, pixels, channels, o); break;
            case Isa.V256: Quantize<Q256, Vector256<int>, Vector256<float>>(x, xPixelStride, y, yPixelStride, pixels, channels, o); break;
            default: Quantize<QScalar, int, float>(x, xPixelStride, y, yPixelStride, pixels, channels, o); break;
        }
    }

    /// <summary>
    /// The same from one NCHW image (the caller's float input: channel c's plane of <paramref name="pixels"/> = H·W
    /// floats at x + c·pixels) to NHWC bytes: y[p·yPixelStride + c] = saturate(round(x[c·pixels + p] / scale) + zero point).
    /// Each plane is quantized in contiguous blocks of pixels and the bytes scattered into their pixels.
    /// </summary>
    public static void QuantizeNchw(float* x, int pixels, int channels, byte* y, int yPixelStride, QuantParams yq, Isa isa)
    {
        KernelGuard.NotNull(x, nameof(x));
        KernelGuard.NotNull(y, nameof(y));
        KernelGuard.That(pixels >= 0 && channels >= 0, $"needs non-negative sizes, got {pixels} pixels × {channels} channels", nameof(pixels));
        KernelGuard.That(yPixelStride >= channels, $"stride {yPixelStride} must hold the {channels} channels", nameof(yPixelStride));
        yq.Validate(nameof(yq));
        var o = new OutputScalars(yq);
        // Three packed channels (an RGB image): blocks of pixels quantized plane by plane and interleaved with byte shuffles.
        var done = channels == 3 && yPixelStride == 3 ? QuantizeRgb(x, pixels, y, o, isa) : 0;
        // Each plane is a row of `pixels` floats; the output bytes of that row are `yPixelStride` apart.
        for (var c = 0; c < channels; c++)
        {
            var xc = x + (long)c * pixels + done;
            var yc = y + (long)done * yPixelStride + c;
            var n = pixels - done;
            switch (Int8Caps.Effective(isa))
            {
                case Isa.V512: QuantizeStrided<Q512, Vector512<int>, Vector512<float>>(xc, yc, yPixelStride, n, o); break;
                case Isa.V256: QuantizeStrided<Q256, Vector256<int>, Vector256<float>>(xc, yc, yPixelStride, n, o); break;
                default: QuantizeStrided<QScalar, int, float>(xc, yc, yPixelStride, n, o); break;
            }
        }
    }

    /// <summary><c>u8-f32-dequantize</c>: y[p, c] = (float)(x[p, c] − xq.ZeroPoint) · xq.Scale, y float NHWC.</summary>
    public static void Dequantize(byte* x, int xPixelStride, QuantParams xq, float* y, int yPixelStride, int pixels, int channels, Isa isa)
    {
        Check(x, xPixelStride, y, yPixelStride, pixels, channels);
        xq.Validate(nameof(xq));
        switch (Int8Caps.Effective(isa))
        {
            case Isa.V512: Dequantize<Q512, Vector512<int>, Vector512<float>>(x, xPixelStride, xq, y, yPixelStride, pixels, channels); break;
            case Isa.V256: Dequantize<Q256, Vector256<int>, Vector256<float>>(x, xPixelStride, xq, y, yPixelStride, pixels, channels); break;
            default: Dequantize<QScalar, int, float>(x, xPixelStride, xq, y, yPixelStride, pixels, channels); break;
        }
    }

    /// <summary>
    /// <c>u8-vadd</c> (ONNX QLinearAdd): t = (float)(a − za)·sa + (float)(b − zb)·sb, each product and the sum rounded
    /// to float32 (no fused multiply-add), then y = saturate(round(t · (1/so)) + zo) with 1/so rounded to float32 once:
    /// the multiply the GEMM epilogues use, not QuantizeLinear's division, which costs a <c>vdivps</c> (several cycles) per
    /// register, so a value within an ulp of a rounding boundary may land one code from the QDQ float graph's.
    /// <paramref name="y"/> may be <paramref name="a"/> or <paramref name="b"/> with the same stride.
    /// </summary>
    public static void Add(byte* a, int aStride, QuantParams aq, byte* b, int bStride, QuantParams bq, byte* y, int yStride, QuantParams yq,
        int pixels, int channels, Isa isa) =>
        Binary<AddOp>(a, aStride, aq, b, bStride, bq, y, yStride, yq, pixels, channels, broadcast: false, isa);

    /// <summary><c>u8-vmul</c> (ONNX QLinearMul): as <see cref="Add"/> with t = ((float)(a − za)·sa) · ((float)(b − zb)·sb).</summary>
    public static void Multiply(byte* a, int aStride, QuantParams aq, byte* b, int bStride, QuantParams bq, byte* y, int yStride,
        QuantParams yq, int pixels, int channels, Isa isa) =>
        Binary<MulOp>(a, aStride, aq, b, bStride, bq, y, yStride, yq, pixels, channels, broadcast: false, isa);

    /// <summary>
    /// <c>u8-vmulc</c>: <see cref="Multiply"/> with b broadcast over the pixels of one image, y[p, c] from a[p, c] and
    /// b[c] (the Squeeze-and-Excite channel scale; call once per image with that image's C bytes of b).
    /// </summary>
    public static void MultiplyByChannel(byte* a, int aStride, QuantParams aq, byte* b, QuantParams bq, byte* y, int yStride,
        QuantParams yq, int pixels, int channels, Isa isa) =>
        Binary<MulOp>(a, aStride, aq, b, 0, bq, y, yStride, yq, pixels, channels, broadcast: true, isa);

    private static void Binary<TOp>(byte* a, int aStride, QuantParams aq, byte* b, int bStride, QuantParams bq, byte* y, int yStride,
        QuantParams yq, int pixels, int channels, bool broadcast, Isa isa) where TOp : IBinaryOp
    {
        Check(a, aStride, y, yStride, pixels, channels);
        KernelGuard.NotNull(b, nameof(b));
        KernelGuard.That(broadcast || bStride >= channels, $"row stride {bStride} of b must hold the {channels} channels", nameof(bStride));
        aq.Validate(nameof(aq));
        bq.Validate(nameof(bq));
        yq.Validate(nameof(yq));
        var s = new BinaryScalars(aq, bq, yq);
        if (broadcast && typeof(TOp) == typeof(MulOp))
        {
            ByChannel(a, aStride, b, bq, y, yStride, pixels, channels, s, isa);
            return;
        }
        switch (Int8Caps.Effective(isa))
        {
            case Isa.V512: Binary<Q512, Vector512<int>, Vector512<float>, TOp>(a, aStride, b, bStride, y, yStride, pixels, channels, s); break;
            case Isa.V256: Binary<Q256, Vector256<int>, Vector256<float>, TOp>(a, aStride, b, bStride, y, yStride, pixels, channels, s); break;
            default: Binary<QScalar, int, float, TOp>(a, aStride, b, bStride, y, yStride, pixels, channels, s); break;
        }
    }

    /// <summary>
    /// <c>u8-lut</c>: y[p, c] = table[x[p, c]] for a 256-entry table the caller built (any unary function of a quantized
    /// value: sigmoid, h-swish between different quantizations…). AVX-512VBMI looks up 64 bytes with two
    /// <c>vpermi2b</c> (each covers 128 entries) and a blend on the index's top bit; other tiers use scalar loads.
    /// </summary>
    public static void Lookup(byte* x, int xStride, byte* y, int yStride, int pixels, int channels, byte* table, Isa isa)
    {
        Check(x, xStride, y, yStride, pixels, channels);
        KernelGuard.NotNull(table, nameof(table));
        // Packed pixels in and out are one run of bytes.
        if (xStride == channels && yStride == channels && (long)pixels * channels <= int.MaxValue)
            (channels, pixels, xStride, yStride) = (pixels * channels, pixels == 0 ? 0 : 1, pixels * channels, pixels * channels);
        if (Int8Caps.Effective(isa) == Isa.V512 && Avx512Vbmi.IsSupported)
        {
            // The table's four registers are loaded once per call, not per pixel.
            var t0 = Avx512F.LoadVector512(table);
            var t1 = Avx512F.LoadVector512(table + 64);
            var t2 = Avx512F.LoadVector512(table + 128);
            var t3 = Avx512F.LoadVector512(table + 192);
            for (var p = 0; p < pixels; p++) LookupVbmi(x + (nint)p * xStride, y + (nint)p * yStride, channels, t0, t1, t2, t3);
            return;
        }
        for (var p = 0; p < pixels; p++)
        {
            var xs = x + (nint)p * xStride;
            var ys = y + (nint)p * yStride;
            for (var c = 0; c < channels; c++) ys[c] = table[xs[c]];
        }
    }

    /// <summary>The 64-byte blocks of one run and its masked tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LookupVbmi(byte* x, byte* y, int n, Vector512<byte> t0, Vector512<byte> t1, Vector512<byte> t2, Vector512<byte> t3)
    {
        var c = 0;
        for (; c + 64 <= n; c += 64) Avx512F.Store(y + c, Lookup64(Avx512F.LoadVector512(x + c), t0, t1, t2, t3));
        if (c < n)
        {
            var mask = Vector512.LessThan(Vector512<byte>.Indices, Vector512.Create((byte)(n - c)));
            Avx512BW.MaskStore(y + c, mask, Lookup64(Avx512BW.MaskLoad(x + c, mask, Vector512<byte>.Zero), t0, t1, t2, t3));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Lookup64(Vector512<byte> i, Vector512<byte> t0, Vector512<byte> t1, Vector512<byte> t2, Vector512<byte> t3)
    {
        var low = Avx512Vbmi.PermuteVar64x8x2(t0, i, t1);
        var high = Avx512Vbmi.PermuteVar64x8x2(t2, i, t3);
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(i, Vector512.Create((byte)128)), high, low);
    }

    private static void Check(void* x, int xStride, void* y, int yStride, int pixels, int channels)
    {
        KernelGuard.NotNull(x, nameof(x));
        KernelGuard.NotNull(y, nameof(y));
        KernelGuard.That(pixels >= 0 && channels >= 0, $"needs non-negative sizes, got {pixels} pixels × {channels} channels", nameof(pixels));
        KernelGuard.That(xStride >= channels && yStride >= channels, $"strides {xStride} and {yStride} must hold the {channels} channels", nameof(xStride));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Quantize<TQ, TI, TF>(float* x, nint xs, byte* y, nint ys, int pixels, int channels, in OutputScalars o)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF>
    {
        for (var p = 0; p < pixels; p++, x += xs, y += ys)
        {
            var c = 0;
            for (; c + TQ.Count <= channels; c += TQ.Count) TQ.StoreBytes(y + c, o.Quantize<TQ, TI, TF>(TQ.Load(x + c)));
            if (c < channels) TQ.StoreBytesPartial(y + c, o.Quantize<TQ, TI, TF>(TQ.LoadPartial(x + c, channels - c)), channels - c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    private static void QuantizeStrided<TQ, TI, TF>(float* x, byte* y, nint ys, int n, in OutputScalars o)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF>
    {
        var bytes = stackalloc byte[16];
        for (var p = 0; p < n; p += TQ.Count)
        {
            var m = Math.Min(TQ.Count, n - p);
            TQ.StoreBytesPartial(bytes, o.Quantize<TQ, TI, TF>(m == TQ.Count ? TQ.Load(x + p) : TQ.LoadPartial(x + p, m)), m);
            for (var i = 0; i < m; i++) y[(p + i) * ys] = bytes[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dequantize<TQ, TI, TF>(byte* x, nint xs, QuantParams q, float* y, nint ys, int pixels, int channels)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF>
    {
        var z = TQ.BroadcastInt(q.ZeroPoint);
        var scale = TQ.Broadcast(q.Scale);
        for (var p = 0; p < pixels; p++, x += xs, y += ys)
        {
            var c = 0;
            for (; c + TQ.Count <= channels; c += TQ.Count)
                TQ.Store(y + c, TQ.Multiply(TQ.ToFloat(TQ.Subtract(TQ.LoadBytes(x + c), z)), scale));
            if (c < channels)
                TQ.StorePartial(y + c, TQ.Multiply(TQ.ToFloat(TQ.Subtract(TQ.LoadBytesPartial(x + c, channels - c), z)), scale), channels - c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Binary<TQ, TI, TF, TOp>(byte* a, nint aStride, byte* b, nint bStride, byte* y, nint yStride, int pixels, int channels,
        in BinaryScalars s)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TOp : IBinaryOp
    {
        for (var p = 0; p < pixels; p++, a += aStride, b += bStride, y += yStride)
        {
            var c = 0;
            for (; c + TQ.Count <= channels; c += TQ.Count)
                TQ.StoreBytes(y + c, s.Apply<TQ, TI, TF, TOp>(TQ.LoadBytes(a + c), TQ.LoadBytes(b + c)));
            if (c < channels)
            {
                var n = channels - c;
                TQ.StoreBytesPartial(y + c, s.Apply<TQ, TI, TF, TOp>(TQ.LoadBytesPartial(a + c, n), TQ.LoadBytesPartial(b + c, n)), n);
            }
        }
    }

    /// <summary>
    /// a · b[c] with the C factors (b[c] − zb)·sb computed once per call, up to 1024 channels at a time (on the stack),
    /// rather than per pixel: the same float values, so the same bytes as the per-pixel form.
    /// </summary>
    [SkipLocalsInit]
    private static void ByChannel(byte* a, nint aStride, byte* b, QuantParams bq, byte* y, nint yStride, int pixels, int channels,
        in BinaryScalars s, Isa isa)
    {
        const int Chunk = 1024;
        var factors = stackalloc float[Chunk];
        for (var c0 = 0; c0 < channels; c0 += Chunk)
        {
            var n = Math.Min(Chunk, channels - c0);
            for (var c = 0; c < n; c++) factors[c] = (b[c0 + c] - bq.ZeroPoint) * bq.Scale;
            switch (Int8Caps.Effective(isa))
            {
                case Isa.V512: ByChannel<Q512, Vector512<int>, Vector512<float>>(a + c0, aStride, factors, y + c0, yStride, pixels, n, s); break;
                case Isa.V256: ByChannel<Q256, Vector256<int>, Vector256<float>>(a + c0, aStride, factors, y + c0, yStride, pixels, n, s); break;
                default: ByChannel<QScalar, int, float>(a + c0, aStride, factors, y + c0, yStride, pixels, n, s); break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ByChannel<TQ, TI, TF>(byte* a, nint aStride, float* factors, byte* y, nint yStride, int pixels, int channels,
        in BinaryScalars s)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF>
    {
        for (var p = 0; p < pixels; p++, a += aStride, y += yStride)
        {
            var c = 0;
            for (; c + TQ.Count <= channels; c += TQ.Count)
                TQ.StoreBytes(y + c, s.Apply<TQ, TI, TF, MulOp>(TQ.LoadBytes(a + c), TQ.Load(factors + c)));
            if (c < channels)
            {
                var n = channels - c;
                TQ.StoreBytesPartial(y + c, s.Apply<TQ, TI, TF, MulOp>(TQ.LoadBytesPartial(a + c, n), TQ.LoadPartial(factors + c, n)), n);
            }
        }
    }

    /// <summary>
    /// The output quantization: saturate(round(t / scale) + z) (QuantizeLinear), or with t · (1/scale) for the binary
    /// operations (see <see cref="Add"/>); the clamp applied in float before rounding.
    /// </summary>
    private readonly struct OutputScalars(QuantParams q)
    {
        private readonly float _scale = q.Scale;
        private readonly float _reciprocal = 1f / q.Scale;
        private readonly float _low = -q.ZeroPoint;
        private readonly float _high = 255 - q.ZeroPoint;
        private readonly int _zero = q.ZeroPoint;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TI Quantize<TQ, TI, TF>(TF t) where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> =>
            Round<TQ, TI, TF>(TQ.Divide(t, TQ.Broadcast(_scale)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TI QuantizeByReciprocal<TQ, TI, TF>(TF t) where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> =>
            Round<TQ, TI, TF>(TQ.Multiply(t, TQ.Broadcast(_reciprocal)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private TI Round<TQ, TI, TF>(TF v) where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> =>
            TQ.Add(TQ.RoundToInt(TQ.MinNative(TQ.MaxNative(v, TQ.Broadcast(_low)), TQ.Broadcast(_high))), TQ.BroadcastInt(_zero));
    }

    private readonly struct BinaryScalars(QuantParams a, QuantParams b, QuantParams y)
    {
        private readonly int _za = a.ZeroPoint;
        private readonly float _sa = a.Scale;
        private readonly int _zb = b.ZeroPoint;
        private readonly float _sb = b.Scale;
        private readonly OutputScalars _out = new(y);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TI Apply<TQ, TI, TF, TOp>(TI a, TI b)
            where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TOp : IBinaryOp
        {
            var fb = TQ.Multiply(TQ.ToFloat(TQ.Subtract(b, TQ.BroadcastInt(_zb))), TQ.Broadcast(_sb));
            return Apply<TQ, TI, TF, TOp>(a, fb);
        }

        /// <summary>With b already dequantized (the channel factors of <see cref="ByChannel"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TI Apply<TQ, TI, TF, TOp>(TI a, TF fb)
            where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TOp : IBinaryOp
        {
            var fa = TQ.Multiply(TQ.ToFloat(TQ.Subtract(a, TQ.BroadcastInt(_za))), TQ.Broadcast(_sa));
            return _out.QuantizeByReciprocal<TQ, TI, TF>(TOp.Apply<TQ, TI, TF>(fa, fb));
        }
    }

    private interface IBinaryOp
    {
        static abstract TF Apply<TQ, TI, TF>(TF a, TF b) where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF>;
    }

    private readonly struct AddOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TF Apply<TQ, TI, TF>(TF a, TF b) where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> => TQ.Add(a, b);
    }

    private readonly struct MulOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TF Apply<TQ, TI, TF>(TF a, TF b) where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> => TQ.Multiply(a, b);
    }
}
