using System.Runtime.Intrinsics;
using LightNets.Graphs;

namespace LightNets.Runtime.Kernels.Cpu;

/// <summary>
/// The geometry of one depthwise convolution over one NHWC image: input H×W×C, a KH×KW window per channel, strides,
/// the top and left zero padding (the bottom and right padding only matter through OH and OW), output OH×OW×C.
/// </summary>
public readonly record struct DwConvShape(
    int H, int W, int C, int KH, int KW, int StrideH, int StrideW, int PadTop, int PadLeft, int OH, int OW)
{
    /// <summary>The shape with ONNX/PyTorch's output size: OH = floor((H + top + bottom − KH) / StrideH) + 1, likewise OW.</summary>
    public static DwConvShape Create(int h, int w, int c, int kh, int kw, int strideH, int strideW,
        int padTop, int padLeft, int padBottom, int padRight) =>
        new(h, w, c, kh, kw, strideH, strideW, padTop, padLeft,
            ShapeInference.WindowOutputSize(h, kh, strideH, 1, padTop, padBottom, ceilMode: false),
            ShapeInference.WindowOutputSize(w, kw, strideW, 1, padLeft, padRight, ceilMode: false));
}

/// <summary>
/// Depthwise 2-D convolution over NHWC activations with fused bias and activation (kernel family
/// <c>f32-dwconv-&lt;act&gt;-&lt;KH&gt;x&lt;KW&gt;s&lt;S&gt;__&lt;isa&gt;</c>, e.g. <c>f32-dwconv-relu6-3x3s2__v512</c>).
/// For every output pixel (oy, ox) and channel c:
/// <code>
/// out[oy, ox, c] = act( bias[c] + Σ_{ky &lt; KH} Σ_{kx &lt; KW} in[iy, ix, c] · w[c, ky, kx] )
///   iy = oy·StrideH − PadTop + ky,   ix = ox·StrideW − PadLeft + kx
/// </code>
/// where terms with (iy, ix) outside [0, H) × [0, W) are the zero padding and are skipped, bias is 0 when null, and
/// pixel (y, x) of a tensor lives at <c>ptr + (y·W + x)·pixelStride</c> (channels contiguous, pixelStride ≥ C, so a
/// kernel can read or write a channel slice of a wider buffer). Only channels [0, C) of each pixel are read or written.
/// <para>
/// Arithmetic: float32, the accumulator starts at the bias and adds the taps row by row with fused multiply-adds on
/// the vector tiers (plain products and sums on the scalar tier); the activation follows <see cref="Activations"/>.
/// This differs from <see cref="Reference.ConvReference"/> (bias last, no FMA) only by rounding.
/// </para>
/// <para>
/// Paths: a window 3 or 5 columns wide at horizontal stride 1 or 2 (any height and vertical stride) runs
/// register-blocked tiles (DwConv.Tiled.cs); any other window runs the generic loops (DwConv.Generic.cs). Each is one
/// body, compiled by the JIT once per tier (<see cref="ISimd{TV}"/>) and per activation (<see cref="IActivation"/>),
/// chosen by one switch per call.
/// </para>
/// <para>
/// Work is split by output rows so that callers can hand disjoint row ranges to threads. Weights are packed once by
/// <see cref="PackWeights(ReadOnlySpan{float}, int, int, int)"/>. Input and output must not share a float (they may be
/// disjoint channel slices of one buffer). Nothing is allocated per call.
/// </para>
/// </summary>
public static unsafe partial class DwConv
{
    /// <summary>Channels per packed weight row: C rounded up to the widest register (16 lanes), padded with zeros.</summary>
    public static int PackedChannels(int c) => (c + 15) & ~15;

    /// <summary>
    /// Packs PyTorch/ONNX depthwise weights [C, 1, KH, KW] tap-major: <c>packed[(ky·KW + kx)·Cp + c] = w[c, 0, ky, kx]</c>
    /// with Cp = <see cref="PackedChannels"/>(C) and zeros in channels [C, Cp). A kernel then loads one tap of a channel
    /// block with one vector load, and the zero padding lets it load whole registers even in the last, partial block.
    /// Place the result at a 64-byte boundary (as the runtime's arena does) and no weight load splits a cache line.
    /// </summary>
    public static float[] PackWeights(ReadOnlySpan<float> oihw, int c, int kh, int kw)
    {
        KernelGuard.That(c >= 1 && kh >= 1 && kw >= 1, $"needs positive sizes, got C={c}, {kh}×{kw}", nameof(c));
        var packed = new float[kh * kw * PackedChannels(c)];
        PackWeights(oihw, c, kh, kw, packed);
        return packed;
    }

    /// <summary><see cref="PackWeights(ReadOnlySpan{float}, int, int, int)"/> into <paramref name="packed"/> (KH·KW·Cp floats).</summary>
    public static void PackWeights(ReadOnlySpan<float> oihw, int c, int kh, int kw, Span<float> packed)
    {
        KernelGuard.That(c >= 1 && kh >= 1 && kw >= 1, $"needs positive sizes, got C={c}, {kh}×{kw}", nameof(c));
        KernelGuard.That(oihw.Length == c * kh * kw, $"weights [{c}, 1, {kh}, {kw}] need {c * kh * kw} values, got {oihw.Length}", nameof(oihw));
        var cp = PackedChannels(c);
        KernelGuard.That(packed.Length == kh * kw * cp, $"packed weights need {kh * kw * cp} floats, got {packed.Length}", nameof(packed));
        packed.Clear();
        for (var ch = 0; ch < c; ch++)
        {
            for (var t = 0; t < kh * kw; t++) packed[t * cp + ch] = oihw[ch * kh * kw + t];
        }
    }

    /// <summary>
    /// Computes output rows [<paramref name="outRowStart"/>, <paramref name="outRowEnd"/>) of the depthwise convolution
    /// described in <see cref="DwConv"/>.
    /// </summary>
    /// <param name="s">Geometry; any kernel size, stride and padding.</param>
    /// <param name="input">Pixel (0, 0), channel 0 of the H×W input.</param>
    /// <param name="inPixelStride">Floats from one input pixel to the next (≥ C).</param>
    /// <param name="packedWeights">Weights from <see cref="PackWeights(ReadOnlySpan{float}, int, int, int)"/>.</param>
    /// <param name="bias">C biases, or null for none.</param>
    /// <param name="output">Pixel (0, 0), channel 0 of the OH×OW output.</param>
    /// <param name="outPixelStride">Floats from one output pixel to the next (≥ C).</param>
    /// <param name="outRowStart">First output row computed.</param>
    /// <param name="outRowEnd">One past the last output row computed.</param>
    /// <param name="act">The activation applied before each store.</param>
    /// <param name="isa">The tier; lowered to <see cref="CpuCaps.Best"/> when this process cannot run it.</param>
    public static void Run(in DwConvShape s, float* input, int inPixelStride, float* packedWeights, float* bias,
        float* output, int outPixelStride, int outRowStart, int outRowEnd, FusedActivation act, Isa isa)
    {
        Validate(s, input, inPixelStride, packedWeights, output, outPixelStride, outRowStart, outRowEnd);
        if (outRowStart == outRowEnd) return;
        var args = new Args(s, input, inPixelStride, packedWeights, bias, output, outPixelStride, outRowStart, outRowEnd);
        switch (act)
        {
            case FusedActivation.None: Dispatch<IdentityActivation>(args, isa); break;
            case FusedActivation.Relu: Dispatch<ReluActivation>(args, isa); break;
            case FusedActivation.Relu6: Dispatch<Relu6Activation>(args, isa); break;
            case FusedActivation.HardSwish: Dispatch<HardSwishActivation>(args, isa); break;
            case FusedActivation.HardSigmoid: Dispatch<HardSigmoidActivation>(args, isa); break;
            default: throw new ArgumentOutOfRangeException(nameof(act), act, null);
        }
    }

    private static void Dispatch<TAct>(in Args a, Isa isa) where TAct : IActivation
    {
        switch (KernelGuard.Effective(isa))
        {
            case Isa.V512: Rows<Vector512<float>, Simd512, TAct>(a); break;
            case Isa.V256: Rows<Vector256<float>, Simd256, TAct>(a); break;
            case Isa.V128: Rows<Vector128<float>, Simd128, TAct>(a); break;
            default: Rows<float, SimdScalar, TAct>(a); break;
        }
    }

    /// <summary>Picks the register-blocked tiles for 3- and 5-wide windows at stride 1 or 2, else the generic loops.</summary>
    private static void Rows<TV, TS, TAct>(in Args a) where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation
    {
        switch (a.S.KW, a.S.StrideW)
        {
            case (3, 1): TiledRows<TV, TS, TAct, K3S1>(a); break;
            case (3, 2): TiledRows<TV, TS, TAct, K3S2>(a); break;
            case (5, 1): TiledRows<TV, TS, TAct, K5S1>(a); break;
            case (5, 2): TiledRows<TV, TS, TAct, K5S2>(a); break;
            default: GenericRows<TV, TS, TAct>(a); break;
        }
    }

    /// <summary>
    /// The tap rows of output row <paramref name="oy"/> that fall inside the image: the first one's input row (column 0)
    /// and packed weight row, the output row, and how many there are (0 when the window lies wholly in the padding,
    /// which leaves the bias). Clipping rows here means neither path ever reads or multiplies a padding row.
    /// </summary>
    private static TapRowSpan TapRows(in Args a, int oy)
    {
        var s = a.S;
        var iy = oy * s.StrideH - s.PadTop;
        var kyLo = Math.Max(0, -iy);
        var rows = Math.Max(0, Math.Min(s.KH, s.H - iy) - kyLo);
        return new TapRowSpan(a.Input + (iy + kyLo) * a.InRow, a.Weights + kyLo * a.WeightRow, a.Output + oy * s.OW * a.OutPixel, rows);
    }

    /// <summary>
    /// Channels per group: a row is swept once per group of channels whose packed weights (taps × group floats) fit
    /// in 8 KB, so that they stay in L1 for the whole sweep instead of streaming from L2 for every pixel (a 5×5 window
    /// over 960 channels has 96 KB of weights; grouping took MobileNetV3's 7×7×960 layer from 48 to 32 µs). A multiple
    /// of the register width, so only the last group of a row has a tail.
    /// </summary>
    private static int GroupChannels(int taps, int lanes) => Math.Max(lanes, 8192 / sizeof(float) / taps / lanes * lanes);

    private static void Validate(in DwConvShape s, float* input, int inPixelStride, float* weights, float* output,
        int outPixelStride, int outRowStart, int outRowEnd)
    {
        KernelGuard.NotNull(input, nameof(input));
        KernelGuard.NotNull(weights, nameof(weights));
        KernelGuard.NotNull(output, nameof(output));
        KernelGuard.That(s.H >= 1 && s.W >= 1 && s.C >= 1 && s.KH >= 1 && s.KW >= 1 && s.OH >= 1 && s.OW >= 1,
            $"needs positive sizes: {s}", nameof(s));
        KernelGuard.That(s.StrideH >= 1 && s.StrideW >= 1 && s.PadTop >= 0 && s.PadLeft >= 0,
            $"needs positive strides and non-negative padding: {s}", nameof(s));
        KernelGuard.That(inPixelStride >= s.C && outPixelStride >= s.C,
            $"pixel strides {inPixelStride} (in) and {outPixelStride} (out) must hold the {s.C} channels", nameof(inPixelStride));
        KernelGuard.That(0 <= outRowStart && outRowStart <= outRowEnd && outRowEnd <= s.OH,
            $"output rows [{outRowStart}, {outRowEnd}) are not within [0, {s.OH})", nameof(outRowStart));
    }

    /// <summary>The arguments of one call, widened to native integers once so the loops do no sign extension.</summary>
    private readonly struct Args(in DwConvShape s, float* input, int inPixelStride, float* weights, float* bias,
        float* output, int outPixelStride, int rowStart, int rowEnd)
    {
        public readonly DwConvShape S = s;
        public readonly float* Input = input;
        public readonly float* Weights = weights;
        public readonly float* Bias = bias;
        public readonly float* Output = output;
        public readonly nint InPixel = inPixelStride;
        public readonly nint InRow = (nint)s.W * inPixelStride;
        public readonly nint OutPixel = outPixelStride;
        public readonly nint Tap = PackedChannels(s.C);
        public readonly nint WeightRow = (nint)s.KW * PackedChannels(s.C);
        public readonly int RowStart = rowStart;
        public readonly int RowEnd = rowEnd;
    }

    /// <summary>See <see cref="TapRows"/>.</summary>
    private readonly struct TapRowSpan(float* input, float* weights, float* output, int rows)
    {
        public readonly float* Input = input;
        public readonly float* Weights = weights;
        public readonly float* Output = output;
        public readonly int Rows = rows;
    }
}
