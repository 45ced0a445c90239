using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;

namespace LightNets.Runtime.Kernels.Reference.Int8;

/// <summary>Reference uint8 pooling, the twins of <see cref="Int8Pool"/>, on dense NHWC spans (one image).</summary>
public static class Int8PoolReference
{
    /// <summary>
    /// out[c] = <see cref="RequantizeReference.Apply"/>(q, channel + c, Σ_p (x[p·C + c] − za), no residual), the sum in int32.
    /// </summary>
    public static byte[] GlobalAverage(ReadOnlySpan<byte> x, int pixels, int channels, int za, Requantize q, int channel)
    {
        var y = new byte[channels];
        for (var c = 0; c < channels; c++)
        {
            var acc = 0;
            for (var p = 0; p < pixels; p++) acc += x[p * channels + c] - za;
            y[c] = RequantizeReference.Apply(q, channel + c, acc, null);
        }
        return y;
    }

    /// <summary>out[(oy·OW + ox)·C + c] = the largest x over the window cells inside the image.</summary>
    public static byte[] Max(in PoolShape s, ReadOnlySpan<byte> x)
    {
        var y = new byte[s.OH * s.OW * s.C];
        for (var oy = 0; oy < s.OH; oy++)
            for (var ox = 0; ox < s.OW; ox++)
                for (var c = 0; c < s.C; c++)
                {
                    var max = -1;
                    for (var ky = 0; ky < s.KH; ky++)
                    {
                        var iy = oy * s.StrideH - s.PadTop + ky;
                        if (iy < 0 || iy >= s.H) continue;
                        for (var kx = 0; kx < s.KW; kx++)
                        {
                            var ix = ox * s.StrideW - s.PadLeft + kx;
                            if (ix >= 0 && ix < s.W) max = Math.Max(max, x[(iy * s.W + ix) * s.C + c]);
                        }
                    }
                    y[(oy * s.OW + ox) * s.C + c] = (byte)max;
                }
        return y;
    }
}
