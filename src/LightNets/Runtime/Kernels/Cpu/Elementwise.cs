using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LightNets.Runtime.Kernels.Cpu;

/// <summary>
/// Element-wise and channel-moving helpers on raw float buffers (NHWC-agnostic where the formula allows). Each has a
/// kernel id in its summary; every one walks memory in address order, handles any element or channel count with a
/// masked last register, and allocates nothing. Results are bit-identical across tiers except <see cref="Softmax"/>.
/// </summary>
public static unsafe class Elementwise
{
    /// <summary>
    /// <c>f32-vadd-&lt;act&gt;__&lt;isa&gt;</c>: <c>output[i] = act(a[i] + b[i])</c> for i &lt; n, the residual add of an
    /// inverted-residual block when it is not fused into the projecting convolution. <paramref name="output"/> may be
    /// <paramref name="a"/> or <paramref name="b"/> (same index in and out); partial overlaps are not allowed.
    /// </summary>
    public static void Add(float* a, float* b, float* output, int n, FusedActivation act, Isa isa)
    {
        KernelGuard.NotNull(a, nameof(a));
        KernelGuard.NotNull(b, nameof(b));
        KernelGuard.NotNull(output, nameof(output));
        KernelGuard.That(n >= 0, $"needs a non-negative count, got {n}", nameof(n));
        switch (act)
        {
            case FusedActivation.None: Add<IdentityActivation>(a, b, output, n, isa); break;
            case FusedActivation.Relu: Add<ReluActivation>(a, b, output, n, isa); break;
            case FusedActivation.Relu6: Add<Relu6Activation>(a, b, output, n, isa); break;
            case FusedActivation.HardSwish: Add<HardSwishActivation>(a, b, output, n, isa); break;
            case FusedActivation.HardSigmoid: Add<HardSigmoidActivation>(a, b, output, n, isa); break;
            default: throw new ArgumentOutOfRangeException(nameof(act), act, null);
        }
    }

    /// <summary>
    /// <c>f32-vact-&lt;act&gt;__&lt;isa&gt;</c>: <c>output[i] = act(x[i])</c> for i &lt; n, a standalone activation that no
    /// convolution absorbed (the guideline experiment G4 runs every ReLU as its own pass). <paramref name="output"/> may be
    /// <paramref name="x"/>; partial overlaps are not allowed.
    /// </summary>
    public static void Activate(float* x, float* output, int n, FusedActivation act, Isa isa)
    {
        KernelGuard.NotNull(x, nameof(x));
        KernelGuard.NotNull(output, nameof(output));
        KernelGuard.That(n >= 0, $"needs a non-negative count, got {n}", nameof(n));
        switch (act)
        {
            case FusedActivation.None: Activate<IdentityActivation>(x, output, n, isa); break;
            case FusedActivation.Relu: Activate<ReluActivation>(x, output, n, isa); break;
            case FusedActivation.Relu6: Activate<Relu6Activation>(x, output, n, isa); break;
            case FusedActivation.HardSwish: Activate<HardSwishActivation>(x, output, n, isa); break;
            case FusedActivation.HardSigmoid: Activate<HardSigmoidActivation>(x, output, n, isa); break;
            default: throw new ArgumentOutOfRangeException(nameof(act), act, null);
        }
    }

    /// <summary>
    /// <c>x32-copyc__&lt;isa&gt;</c>: <c>dst[p, c] = src[p, c]</c> for p &lt; pixels, c &lt; channels, bit for bit, with
    /// independent pixel strides: materializes a concat (write each part into its channel slice of the wider output)
    /// or a split (read a slice). Channels past <paramref name="channels"/> in either buffer are untouched. The buffers
    /// must not overlap.
    /// </summary>
    public static void CopyChannels(float* src, int srcPixelStride, float* dst, int dstPixelStride, int pixels, int channels, Isa isa)
    {
        CheckPixels(src, srcPixelStride, dst, dstPixelStride, pixels, channels);
        switch (KernelGuard.Effective(isa))
        {
            case Isa.V512: CopyChannels<Vector512<float>, Simd512>(src, srcPixelStride, dst, dstPixelStride, pixels, channels); break;
            case Isa.V256: CopyChannels<Vector256<float>, Simd256>(src, srcPixelStride, dst, dstPixelStride, pixels, channels); break;
            case Isa.V128: CopyChannels<Vector128<float>, Simd128>(src, srcPixelStride, dst, dstPixelStride, pixels, channels); break;
            default: CopyChannels<float, SimdScalar>(src, srcPixelStride, dst, dstPixelStride, pixels, channels); break;
        }
    }

    /// <summary>
    /// <c>f32-softmax__&lt;isa&gt;</c>: <c>y[i] = e_i / Σ_k e_k</c> with <c>e_i = exp(x[i] − max_k x[k])</c>, for i &lt; n
    /// (n ≥ 1); subtracting the maximum keeps every exponent ≤ 0, so nothing overflows and the sum is ≥ 1. The vector
    /// tiers use .NET's vectorized <c>Vector512.Exp</c>/<c>Vector256.Exp</c> (measured within 1.5·10⁻⁷ relative of e^x
    /// on [−87, 0], against 6·10⁻⁸ for <see cref="MathF.Exp"/>; far below, both underflow to 0) and multiply by 1/Σ;
    /// the scalar tier uses <see cref="MathF.Exp"/>. y may be x.
    /// </summary>
    public static void Softmax(float* x, float* y, int n, Isa isa)
    {
        KernelGuard.NotNull(x, nameof(x));
        KernelGuard.NotNull(y, nameof(y));
        KernelGuard.That(n >= 1, $"needs at least one element, got {n}", nameof(n));
        switch (KernelGuard.Effective(isa))
        {
            case Isa.V512: Softmax<Vector512<float>, Simd512>(x, y, n); break;
            case Isa.V256: Softmax<Vector256<float>, Simd256>(x, y, n); break;
            case Isa.V128: Softmax<Vector128<float>, Simd128>(x, y, n); break;
            default: Softmax<float, SimdScalar>(x, y, n); break;
        }
    }

    private static void CheckPixels(float* src, int srcPixelStride, float* dst, int dstPixelStride, int pixels, int channels)
    {
        KernelGuard.NotNull(src, nameof(src));
        KernelGuard.NotNull(dst, nameof(dst));
        KernelGuard.That(pixels >= 0 && channels >= 1, $"needs pixels ≥ 0 and channels ≥ 1, got {pixels} × {channels}", nameof(pixels));
        KernelGuard.That(srcPixelStride >= channels && dstPixelStride >= channels,
            $"pixel strides {srcPixelStride} and {dstPixelStride} must hold the {channels} channels", nameof(srcPixelStride));
    }

    private static void Add<TAct>(float* a, float* b, float* output, int n, Isa isa) where TAct : IActivation
    {
        switch (KernelGuard.Effective(isa))
        {
            case Isa.V512: Add<Vector512<float>, Simd512, TAct>(a, b, output, n); break;
            case Isa.V256: Add<Vector256<float>, Simd256, TAct>(a, b, output, n); break;
            case Isa.V128: Add<Vector128<float>, Simd128, TAct>(a, b, output, n); break;
            default: Add<float, SimdScalar, TAct>(a, b, output, n); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Add<TV, TS, TAct>(float* a, float* b, float* output, int n)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation
    {
        var i = 0;
        for (; i + TS.Count <= n; i += TS.Count) TS.Store(output + i, TS.Activate<TAct>(TS.Add(TS.Load(a + i), TS.Load(b + i))));
        if (i < n)
        {
            var tail = new TailBlock<TV, TS>(n - i);
            tail.Store(output + i, TS.Activate<TAct>(TS.Add(tail.Load(a + i), tail.Load(b + i))));
        }
    }

    private static void Activate<TAct>(float* x, float* output, int n, Isa isa) where TAct : IActivation
    {
        switch (KernelGuard.Effective(isa))
        {
            case Isa.V512: Activate<Vector512<float>, Simd512, TAct>(x, output, n); break;
            case Isa.V256: Activate<Vector256<float>, Simd256, TAct>(x, output, n); break;
            case Isa.V128: Activate<Vector128<float>, Simd128, TAct>(x, output, n); break;
            default: Activate<float, SimdScalar, TAct>(x, output, n); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Activate<TV, TS, TAct>(float* x, float* output, int n)
        where TV : unmanaged where TS : ISimd<TV> where TAct : IActivation
    {
        var i = 0;
        for (; i + TS.Count <= n; i += TS.Count) TS.Store(output + i, TS.Activate<TAct>(TS.Load(x + i)));
        if (i < n)
        {
            var tail = new TailBlock<TV, TS>(n - i);
            tail.Store(output + i, TS.Activate<TAct>(tail.Load(x + i)));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyChannels<TV, TS>(float* src, nint srcStride, float* dst, nint dstStride, int pixels, int channels)
        where TV : unmanaged where TS : ISimd<TV>
    {
        if (srcStride == channels && dstStride == channels)
        {
            // Both dense: one contiguous run, no per-pixel tail.
            channels = checked(pixels * channels);
            pixels = pixels > 0 ? 1 : 0;
        }
        var main = channels - channels % TS.Count;
        var tail = new TailBlock<TV, TS>(channels - main);
        for (var p = 0; p < pixels; p++, src += srcStride, dst += dstStride)
        {
            for (var c = 0; c < main; c += TS.Count) TS.Store(dst + c, TS.Load(src + c));
            if (main < channels) tail.Store(dst + main, tail.Load(src + main));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Softmax<TV, TS>(float* x, float* y, int n) where TV : unmanaged where TS : ISimd<TV>
    {
        // Whole registers, then the last n mod Count elements one by one (a masked load would read zeros into the
        // maximum and the sum).
        var main = n - n % TS.Count;
        var max = float.NegativeInfinity;
        if (main > 0)
        {
            var vmax = TS.Load(x);
            for (var i = TS.Count; i < main; i += TS.Count) vmax = TS.Max(vmax, TS.Load(x + i));
            max = TS.ReduceMax(vmax);
        }
        for (var i = main; i < n; i++) max = MathF.Max(max, x[i]);

        var vm = TS.Broadcast(max);
        var vsum = TS.Zero;
        for (var i = 0; i < main; i += TS.Count)
        {
            var e = TS.Exp(TS.Subtract(TS.Load(x + i), vm));
            TS.Store(y + i, e);
            vsum = TS.Add(vsum, e);
        }
        var sum = TS.ReduceSum(vsum);
        for (var i = main; i < n; i++) sum += y[i] = MathF.Exp(x[i] - max);

        var inv = 1f / sum;
        var vinv = TS.Broadcast(inv);
        for (var i = 0; i < main; i += TS.Count) TS.Store(y + i, TS.Multiply(TS.Load(y + i), vinv));
        for (var i = main; i < n; i++) y[i] *= inv;
    }
}
