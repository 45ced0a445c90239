using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>
/// Pooling of uint8 NHWC activations (kernel ids <c>u8-gavgpool__&lt;isa&gt;</c>, <c>u8-maxpool-&lt;KH&gt;x&lt;KW&gt;s&lt;S&gt;__&lt;isa&gt;</c>),
/// pixel (y, x) of a tensor at <c>ptr + (y·W + x)·pixelStride</c>, only channels [0, C) read or written. The reference
/// twins are in <c>Reference.Int8.Int8PoolReference</c>; every tier gives identical bytes. Nothing is allocated.
/// </summary>
public static unsafe class Int8Pool
{
    /// <summary>
    /// Global average pooling: for image n and channel c, acc = Σ_p (x[n, p, c] − za) in int32 (exact: Σ x − pixels·za),
    /// then out[n·outImageStride + c] = epilogue(acc) of channel <paramref name="channel"/> + c (<see cref="Requantize"/>;
    /// with Scale = sa / (H·W) (or sa / (H·W·so) with the output scale folded in) it is the quantized mean). Image n
    /// starts <paramref name="imageStride"/> bytes after image n − 1.
    /// </summary>
    public static void GlobalAverage(byte* input, int images, long imageStride, int pixels, int channels, int inPixelStride, int zeroPoint,
        Requantize q, int channel, byte* output, long outImageStride, Isa isa)
    {
        KernelGuard.NotNull(input, nameof(input));
        KernelGuard.NotNull(output, nameof(output));
        ArgumentNullException.ThrowIfNull(q);
        KernelGuard.That(images >= 1 && pixels >= 1 && channels >= 1 && pixels <= 1 << 23,
            $"needs 1 ≤ pixels ≤ 2²³ (exact int32 sums) and positive sizes, got {images} images × {pixels} pixels × {channels} channels", nameof(pixels));
        KernelGuard.That(inPixelStride >= channels, $"pixel stride {inPixelStride} must hold the {channels} channels", nameof(inPixelStride));
        KernelGuard.That(images == 1 || (imageStride >= (long)pixels * inPixelStride && outImageStride >= channels),
            $"image strides {imageStride} (in) and {outImageStride} (out) overlap the images", nameof(imageStride));
        KernelGuard.That(zeroPoint is >= 0 and <= 255, $"zero point {zeroPoint} is not in 0..255", nameof(zeroPoint));
        q.Validate(channel, channels, nameof(q));
        var e = new EpilogueScalars(q, foldClamp: true);
        fixed (float* scale = q.Scale)
        fixed (float* bias = q.Bias)
        {
            var a = new AverageArgs(input, pixels, channels, inPixelStride, zeroPoint, scale + channel, bias + channel, e);
            for (var n = 0; n < images; n++)
            {
                switch (e.Activation)
                {
                    case QuantActivation.None: Average<NoActivation>(a, n * imageStride, output + n * outImageStride, isa); break;
                    case QuantActivation.Clamp: Average<ClampActivation>(a, n * imageStride, output + n * outImageStride, isa); break;
                    case QuantActivation.HardSwish: Average<HardSwishQuant>(a, n * imageStride, output + n * outImageStride, isa); break;
                    default: Average<HardSigmoidQuant>(a, n * imageStride, output + n * outImageStride, isa); break;
                }
            }
        }
    }

    private static void Average<TAct>(in AverageArgs a, long offset, byte* output, Isa isa) where TAct : IQuantActivation
    {
        switch (Int8Caps.Effective(isa))
        {
            case Isa.V512: Average<Q512, Vector512<int>, Vector512<float>, TAct>(a, a.Input + offset, output); break;
            case Isa.V256: Average<Q256, Vector256<int>, Vector256<float>, TAct>(a, a.Input + offset, output); break;
            default: Average<QScalar, int, float, TAct>(a, a.Input + offset, output); break;
        }
    }

    /// <summary>One image, channel block by channel block, the pixels summed in order into int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Average<TQ, TI, TF, TAct>(in AverageArgs a, byte* input, byte* output)
        where TI : unmanaged where TF : unmanaged where TQ : IQuantSimd<TI, TF> where TAct : IQuantActivation
    {
        var comp = TQ.BroadcastInt(-a.Pixels * a.ZeroPoint);
        nint stride = a.Stride;
        for (var c = 0; c < a.Channels; c += TQ.Count)
        {
            var n = Math.Min(TQ.Count, a.Channels - c);
            TI sum = comp, sum2 = TQ.BroadcastInt(0);
            var x = input + c;
            var p = 0;
            if (n == TQ.Count)
            {
                // Two running sums hide the add latency; integer addition is associative, so the result is exact.
                for (; p + 2 <= a.Pixels; p += 2, x += 2 * stride)
                {
                    sum = TQ.Add(sum, TQ.LoadBytes(x));
                    sum2 = TQ.Add(sum2, TQ.LoadBytes(x + stride));
                }
                for (; p < a.Pixels; p++, x += stride) sum = TQ.Add(sum, TQ.LoadBytes(x));
            }
            else
            {
                for (; p < a.Pixels; p++, x += stride) sum = TQ.Add(sum, TQ.LoadBytesPartial(x, n));
            }
            sum = TQ.Add(sum, sum2);
            var scale = n == TQ.Count ? TQ.Load(a.Scale + c) : TQ.LoadPartial(a.Scale + c, n);
            var bias = n == TQ.Count ? TQ.Load(a.Bias + c) : TQ.LoadPartial(a.Bias + c, n);
            var q = QuantEpilogue.Quantize<TQ, TI, TF, TAct>(sum, scale, bias, a.E);
            if (n == TQ.Count) TQ.StoreBytes(output + c, q);
            else TQ.StoreBytesPartial(output + c, q, n);
        }
    }

    /// <summary>
    /// Max pooling: out[oy, ox, c] = max of in[iy, ix, c] over the window cells inside the image (padding never wins),
    /// iy = oy·StrideH − PadTop + ky, ix = ox·StrideW − PadLeft + kx; the output has the input's quantization (the
    /// maximum commutes with the monotone map q ↦ (q − z)·s). Output rows [<paramref name="outRowStart"/>,
    /// <paramref name="outRowEnd"/>); 64 channels per AVX-512 register.
    /// </summary>
    public static void Max(in PoolShape s, byte* input, int inPixelStride, byte* output, int outPixelStride, int outRowStart, int outRowEnd,
        Isa isa)
    {
        KernelGuard.NotNull(input, nameof(input));
        KernelGuard.NotNull(output, nameof(output));
        KernelGuard.That(s.H >= 1 && s.W >= 1 && s.C >= 1 && s.KH >= 1 && s.KW >= 1 && s.OH >= 1 && s.OW >= 1
                         && s.StrideH >= 1 && s.StrideW >= 1, $"needs positive sizes and strides: {s}", nameof(s));
        KernelGuard.That(s.PadTop >= 0 && s.PadLeft >= 0 && s.PadTop < s.KH && s.PadLeft < s.KW
                         && (s.OH - 1) * s.StrideH - s.PadTop < s.H && (s.OW - 1) * s.StrideW - s.PadLeft < s.W,
            $"some window of {s} holds no input cell", nameof(s));
        KernelGuard.That(inPixelStride >= s.C && outPixelStride >= s.C,
            $"pixel strides {inPixelStride} (in) and {outPixelStride} (out) must hold the {s.C} channels", nameof(inPixelStride));
        KernelGuard.That(0 <= outRowStart && outRowStart <= outRowEnd && outRowEnd <= s.OH,
            $"output rows [{outRowStart}, {outRowEnd}) are not within [0, {s.OH})", nameof(outRowStart));
        switch (Int8Caps.Effective(isa))
        {
            case Isa.V512: Max<Bytes512, Vector512<byte>>(s, input, inPixelStride, output, outPixelStride, outRowStart, outRowEnd); break;
            case Isa.V256: Max<Bytes256, Vector256<byte>>(s, input, inPixelStride, output, outPixelStride, outRowStart, outRowEnd); break;
            default: Max<Bytes1, byte>(s, input, inPixelStride, output, outPixelStride, outRowStart, outRowEnd); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Max<TB, TV>(in PoolShape s, byte* input, nint inPixel, byte* output, nint outPixel, int rowStart, int rowEnd)
        where TV : unmanaged where TB : IByteVector<TV>
    {
        for (var oy = rowStart; oy < rowEnd; oy++)
        {
            var iy = oy * s.StrideH - s.PadTop;
            int kyLo = Math.Max(0, -iy), kyHi = Math.Min(s.KH, s.H - iy);
            for (var ox = 0; ox < s.OW; ox++)
            {
                var ix = ox * s.StrideW - s.PadLeft;
                int kxLo = Math.Max(0, -ix), kxHi = Math.Min(s.KW, s.W - ix);
                var o = output + (oy * s.OW + ox) * outPixel;
                for (var c = 0; c < s.C; c += TB.Count)
                {
                    var n = Math.Min(TB.Count, s.C - c);
                    var acc = TB.Zero;
                    for (var ky = kyLo; ky < kyHi; ky++)
                    {
                        var row = input + ((iy + ky) * s.W + ix) * inPixel + c;
                        for (var kx = kxLo; kx < kxHi; kx++)
                            acc = TB.Max(acc, n == TB.Count ? TB.Load(row + kx * inPixel) : TB.LoadPartial(row + kx * inPixel, n));
                    }
                    if (n == TB.Count) TB.Store(o + c, acc);
                    else TB.StorePartial(o + c, acc, n);
                }
            }
        }
    }

    private readonly struct AverageArgs(byte* input, int pixels, int channels, int stride, int zeroPoint, float* scale, float* bias,
        in EpilogueScalars e)
    {
        public readonly byte* Input = input;
        public readonly int Pixels = pixels;
        public readonly int Channels = channels;
        public readonly int Stride = stride;
        public readonly int ZeroPoint = zeroPoint;
        public readonly float* Scale = scale;
        public readonly float* Bias = bias;
        public readonly EpilogueScalars E = e;
    }

    /// <summary>A register of unsigned bytes: 64, 32 or 1 lanes; partial accesses touch nothing beyond their n bytes.</summary>
    private interface IByteVector<TV> where TV : unmanaged
    {
        static abstract int Count { get; }
        static abstract TV Zero { get; }
        static abstract TV Load(byte* p);
        static abstract TV LoadPartial(byte* p, int n);
        static abstract void Store(byte* p, TV v);
        static abstract void StorePartial(byte* p, TV v, int n);
        static abstract TV Max(TV a, TV b);
    }

    private readonly struct Bytes512 : IByteVector<Vector512<byte>>
    {
        public static int Count => 64;
        public static Vector512<byte> Zero => Vector512<byte>.Zero;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<byte> Load(byte* p) => Avx512F.LoadVector512(p);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<byte> LoadPartial(byte* p, int n) => Avx512BW.MaskLoad(p, Mask(n), Vector512<byte>.Zero);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(byte* p, Vector512<byte> v) => Avx512F.Store(p, v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StorePartial(byte* p, Vector512<byte> v, int n) => Avx512BW.MaskStore(p, Mask(n), v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<byte> Max(Vector512<byte> a, Vector512<byte> b) => Avx512BW.Max(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<byte> Mask(int n) => Vector512.LessThan(Vector512<byte>.Indices, Vector512.Create((byte)n));
    }

    /// <summary>AVX2: partial accesses go byte by byte through a stack copy (AVX2 has no byte masks).</summary>
    private readonly struct Bytes256 : IByteVector<Vector256<byte>>
    {
        public static int Count => 32;
        public static Vector256<byte> Zero => Vector256<byte>.Zero;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Load(byte* p) => Avx.LoadVector256(p);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(byte* p, Vector256<byte> v) => Avx.Store(p, v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<byte> Max(Vector256<byte> a, Vector256<byte> b) => Avx2.Max(a, b);

        public static Vector256<byte> LoadPartial(byte* p, int n)
        {
            var v = Vector256<byte>.Zero;
            var t = (byte*)&v;
            for (var i = 0; i < n; i++) t[i] = p[i];
            return v;
        }

        public static void StorePartial(byte* p, Vector256<byte> v, int n)
        {
            var t = (byte*)&v;
            for (var i = 0; i < n; i++) p[i] = t[i];
        }
    }

    private readonly struct Bytes1 : IByteVector<byte>
    {
        public static int Count => 1;
        public static byte Zero => 0;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static byte Load(byte* p) => *p;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static byte LoadPartial(byte* p, int n) => *p;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(byte* p, byte v) => *p = v;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StorePartial(byte* p, byte v, int n) => *p = v;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static byte Max(byte a, byte b) => a > b ? a : b;
    }
}
