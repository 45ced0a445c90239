using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

public static unsafe partial class Int8Elementwise
{
    private const int RgbBlock = 64;

    /// <summary>
    /// Shuffle masks that interleave three 16-byte planes (r, g, b of 16 pixels) into 48 packed bytes: output chunk k
    /// (bytes 16k … 16k + 15) is shuffle(r, Masks[3k]) | shuffle(g, Masks[3k + 1]) | shuffle(b, Masks[3k + 2]); a mask
    /// byte with its top bit set gives 0.
    /// </summary>
    private static readonly Vector128<byte>[] RgbMasks = [.. Enumerable.Range(0, 9).Select(m =>
    {
        var (chunk, plane) = (m / 3, m % 3);
        var bytes = new byte[16];
        for (var i = 0; i < 16; i++)
        {
            var j = chunk * 16 + i;
            bytes[i] = j % 3 == plane ? (byte)(j / 3) : (byte)0x80;
        }
        return Vector128.Create(bytes);
    })];

    /// <summary>
    /// The whole blocks of 64 pixels of a 3-plane NCHW image into packed 3-byte pixels: each plane's block quantized
    /// contiguously (the same arithmetic as everywhere), then interleaved with <c>pshufb</c>. Returns the pixels done
    /// (0 on a tier without SSSE3, where the strided loop does them all).
    /// </summary>
    private static int QuantizeRgb(float* x, int pixels, byte* y, in OutputScalars o, Isa isa)
    {
        var tier = Int8Caps.Effective(isa);
        if (tier == Isa.Scalar || !Ssse3.IsSupported) return 0;
        var planes = stackalloc byte[3 * RgbBlock];
        var p0 = 0;
        for (; p0 + RgbBlock <= pixels; p0 += RgbBlock)
        {
            for (var c = 0; c < 3; c++)
            {
                if (tier == Isa.V512) Quantize<Q512, Vector512<int>, Vector512<float>>(x + (long)c * pixels + p0, RgbBlock, planes + c * RgbBlock, RgbBlock, 1, RgbBlock, o);
                else Quantize<Q256, Vector256<int>, Vector256<float>>(x + (long)c * pixels + p0, RgbBlock, planes + c * RgbBlock, RgbBlock, 1, RgbBlock, o);
            }
            var d = y + (long)p0 * 3;
            for (var q = 0; q < RgbBlock; q += 16, d += 48)
            {
                var r = Sse2.LoadVector128(planes + q);
                var g = Sse2.LoadVector128(planes + RgbBlock + q);
                var b = Sse2.LoadVector128(planes + 2 * RgbBlock + q);
                for (var k = 0; k < 3; k++)
                {
                    var v = Sse2.Or(Sse2.Or(Ssse3.Shuffle(r, RgbMasks[3 * k]), Ssse3.Shuffle(g, RgbMasks[3 * k + 1])), Ssse3.Shuffle(b, RgbMasks[3 * k + 2]));
                    Sse2.Store(d + 16 * k, v);
                }
            }
        }
        return p0;
    }
}
