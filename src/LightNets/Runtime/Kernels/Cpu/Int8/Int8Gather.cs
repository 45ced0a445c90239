using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>
/// Which source channel each of a pixel's C target channels copies: <c>dst[i] = src[From[i]]</c>. The compiler meets
/// these where a permuted view of codes (ShuffleNet's channel shuffle absorbed as a channel map) must be made dense:
/// after a shuffle of two groups, each half of the channels is two runs of the source zipped together, which
/// <see cref="Int8Gather"/> copies with byte unpacks instead of one byte at a time.
/// </summary>
public sealed class ChannelGather
{
    private ChannelGather(int[] from, int run0, int run1, GatherKind kind) => (From, Run0, Run1, Kind) = (from, run0, run1, kind);

    /// <summary>The source channel of every target channel.</summary>
    public int[] From { get; }

    internal int Run0 { get; }
    internal int Run1 { get; }
    internal GatherKind Kind { get; }

    public int Channels => From.Length;

    /// <summary>Recognises one run in order (a copy) and two equal runs zipped (<c>From = [a, b, a+1, b+1, …]</c>); anything else is gathered byte by byte.</summary>
    public static ChannelGather For(ReadOnlySpan<int> from)
    {
        if (from.Length == 0) throw new ArgumentException("needs at least one channel", nameof(from));
        foreach (var f in from)
            if (f < 0) throw new ArgumentException($"source channel {f} is negative", nameof(from));
        var copy = from.ToArray();
        var run = true;
        for (var i = 1; i < copy.Length && run; i++) run = copy[i] == copy[0] + i;
        if (run) return new ChannelGather(copy, copy[0], 0, GatherKind.Copy);
        var zip = copy.Length % 2 == 0;
        for (var i = 0; i < copy.Length && zip; i++) zip = copy[i] == copy[i % 2] + i / 2;
        return zip ? new ChannelGather(copy, copy[0], copy[1], GatherKind.Zip2) : new ChannelGather(copy, 0, 0, GatherKind.Any);
    }
}

internal enum GatherKind { Copy, Zip2, Any }

/// <summary>
/// Copies the channels a <see cref="ChannelGather"/> names from each of <c>pixels</c> uint8 NHWC pixels to another
/// buffer (kernel id <c>u8-gather</c>). Source and target must not overlap. The reference twin is
/// <c>Reference.Int8.Int8GatherReference</c>.
/// </summary>
public static unsafe class Int8Gather
{
    public static void Run(ChannelGather g, byte* src, nint srcStride, byte* dst, nint dstStride, int pixels, Isa isa)
    {
        ArgumentNullException.ThrowIfNull(g);
        KernelGuard.NotNull(src, nameof(src));
        KernelGuard.NotNull(dst, nameof(dst));
        KernelGuard.That(pixels >= 0 && dstStride >= g.Channels, $"target pixel stride {dstStride} must hold {g.Channels} channels", nameof(dstStride));
        var c = g.Channels;
        switch (g.Kind)
        {
            case GatherKind.Copy when isa != Isa.Scalar && Vector128.IsHardwareAccelerated && c >= 16:
                for (var p = 0; p < pixels; p++) CopyRun(src + p * srcStride + g.Run0, dst + p * dstStride, c);
                break;
            case GatherKind.Copy:
                for (var p = 0; p < pixels; p++) Buffer.MemoryCopy(src + p * srcStride + g.Run0, dst + p * dstStride, c, c);
                break;
            case GatherKind.Zip2 when isa != Isa.Scalar && (Sse2.IsSupported || AdvSimd.Arm64.IsSupported) && c >= 32:
                for (var p = 0; p < pixels; p++) Zip(src + p * srcStride + g.Run0, src + p * srcStride + g.Run1, dst + p * dstStride, c / 2);
                break;
            default:
                fixed (int* from = g.From)
                {
                    for (var p = 0; p < pixels; p++)
                    {
                        var s = src + p * srcStride;
                        var d = dst + p * dstStride;
                        for (var i = 0; i < c; i++) d[i] = s[from[i]];
                    }
                }
                break;
        }
    }

    /// <summary>
    /// n ≥ 16 bytes from <paramref name="s"/> to <paramref name="d"/> in 16-byte moves, the last one ending at n
    /// (overlapping the one before: a call per pixel of a few dozen bytes is what a memmove call would cost alone).
    /// </summary>
    private static void CopyRun(byte* s, byte* d, int n)
    {
        var j = 0;
        for (; j + 16 <= n; j += 16) Vector128.Load(s + j).Store(d + j);
        if (j < n) Vector128.Load(s + n - 16).Store(d + n - 16);
    }

    /// <summary>
    /// d[2j] = a[j], d[2j + 1] = b[j] for j &lt; n, n ≥ 16: 16 pairs per step, the last step ending at n (overlapping the
    /// one before, which writes the same bytes there) rather than a byte-by-byte tail.
    /// </summary>
    private static void Zip(byte* a, byte* b, byte* d, int n)
    {
        for (var j = 0; ; j += 16)
        {
            if (j + 16 > n) j = n - 16;
            var x = Vector128.Load(a + j);
            var y = Vector128.Load(b + j);
            if (Sse2.IsSupported)
            {
                Sse2.UnpackLow(x, y).Store(d + 2 * j);
                Sse2.UnpackHigh(x, y).Store(d + 2 * j + 16);
            }
            else
            {
                AdvSimd.Arm64.ZipLow(x, y).Store(d + 2 * j);
                AdvSimd.Arm64.ZipHigh(x, y).Store(d + 2 * j + 16);
            }
            if (j + 16 >= n) return;
        }
    }
}
