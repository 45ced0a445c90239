using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;

namespace LightNets.Runtime.Kernels.Reference.Int8;

/// <summary>Reference int8 depthwise convolution (<c>u8-dwconv__ref</c>), the twin of <see cref="Int8DwConv"/>.</summary>
public static class Int8DwConvReference
{
    /// <summary>
    /// For every output pixel (oy, ox) and channel c &lt; C, with iy = oy·StrideH − PadTop + ky, ix = ox·StrideW − PadLeft + kx:
    /// <code>
    /// acc = Σ over the taps with (iy, ix) inside the image of (in[(iy·W + ix)·inPixelStride + c] − za) · w[(c·KH + ky)·KW + kx]
    /// out[(oy·OW + ox)·outPixelStride + c] = RequantizeReference.Apply(q, channel + c, acc, no residual)
    /// </code>
    /// in int32 (exact). The taps outside the image are the padding, whose real value is 0 (quantized za).
    /// </summary>
    public static void DwConv(in DwConvShape s, ReadOnlySpan<byte> input, int inPixelStride, int za, ReadOnlySpan<sbyte> w,
        Requantize q, int channel, Span<byte> output, int outPixelStride)
    {
        for (var oy = 0; oy < s.OH; oy++)
        {
            for (var ox = 0; ox < s.OW; ox++)
            {
                for (var c = 0; c < s.C; c++)
                {
                    var acc = 0;
                    for (var ky = 0; ky < s.KH; ky++)
                    {
                        var iy = oy * s.StrideH - s.PadTop + ky;
                        if (iy < 0 || iy >= s.H) continue;
                        for (var kx = 0; kx < s.KW; kx++)
                        {
                            var ix = ox * s.StrideW - s.PadLeft + kx;
                            if (ix < 0 || ix >= s.W) continue;
                            acc += (input[(iy * s.W + ix) * inPixelStride + c] - za) * w[(c * s.KH + ky) * s.KW + kx];
                        }
                    }
                    output[(oy * s.OW + ox) * outPixelStride + c] = RequantizeReference.Apply(q, channel + c, acc, null);
                }
            }
        }
    }
}
