using LightNets.Training.Kernels.Cpu.Gemm;

namespace LightNets.Training.Kernels.Cpu.Conv;

/// <summary>
/// The column matrix of one group of a convolution over NHWC activations, made a block of rows at a time: row
/// m = (n·OutH + oy)·OutW + ox holds, for ci &lt; Cin/G, ky &lt; KH, kx &lt; KW in that order (the order of an OIHW weight
/// row, so that the weights multiply it without reordering), the input x[n, iy, ix, g·Cin/G + ci] read by the output
/// pixel, or 0 where the tap falls in the padding. As a source it feeds the forward product (A) and the weight
/// gradient (B); as a sink it adds column gradients back into dx (col2im).
/// </summary>
internal sealed unsafe class Im2Col : IRowSource, IRowSink
{
    private ConvShape _s;
    private float* _x;
    private float* _dx;
    private int _group;

    /// <summary>Columns of the matrix: Cin/G·KH·KW.</summary>
    public static int Columns(in ConvShape s) => s.CinPerGroup * s.KH * s.KW;

    /// <summary>Reads group <paramref name="group"/> of <paramref name="x"/> (as a source) and adds into <paramref name="dx"/> (as a sink).</summary>
    public void Set(in ConvShape s, float* x, float* dx, int group)
    {
        _s = s;
        _x = x;
        _dx = dx;
        _group = group;
    }

    public void Rows(int first, int count, float* dst, nint ld)
    {
        var s = _s;
        int cpg = s.CinPerGroup, taps = s.KH * s.KW;
        for (var r = 0; r < count; r++)
        {
            var (image, oy, ox) = Pixel(first + r);
            var row = dst + r * ld;
            for (var ky = 0; ky < s.KH; ky++)
            {
                var iy = oy * s.StrideH - s.PadTop + ky * s.DilationH;
                for (var kx = 0; kx < s.KW; kx++)
                {
                    var ix = ox * s.StrideW - s.PadLeft + kx * s.DilationW;
                    var column = row + ky * s.KW + kx;
                    if ((uint)iy >= (uint)s.H || (uint)ix >= (uint)s.W)
                    {
                        for (var ci = 0; ci < cpg; ci++) column[ci * taps] = 0f;
                        continue;
                    }
                    var src = _x + (((nint)image * s.H + iy) * s.W + ix) * s.Cin + _group * cpg;
                    for (var ci = 0; ci < cpg; ci++) column[ci * taps] = src[ci];
                }
            }
        }
    }

    public void Add(int first, int count, float* src, nint ld)
    {
        var s = _s;
        int cpg = s.CinPerGroup, taps = s.KH * s.KW;
        for (var r = 0; r < count; r++)
        {
            var (image, oy, ox) = Pixel(first + r);
            var row = src + r * ld;
            for (var ky = 0; ky < s.KH; ky++)
            {
                var iy = oy * s.StrideH - s.PadTop + ky * s.DilationH;
                if ((uint)iy >= (uint)s.H) continue;
                for (var kx = 0; kx < s.KW; kx++)
                {
                    var ix = ox * s.StrideW - s.PadLeft + kx * s.DilationW;
                    if ((uint)ix >= (uint)s.W) continue;
                    var column = row + ky * s.KW + kx;
                    var dst = _dx + (((nint)image * s.H + iy) * s.W + ix) * s.Cin + _group * cpg;
                    for (var ci = 0; ci < cpg; ci++) dst[ci] += column[ci * taps];
                }
            }
        }
    }

    private (int Image, int Oy, int Ox) Pixel(int m)
    {
        var (image, rest) = Math.DivRem(m, _s.OutH * _s.OutW);
        var (oy, ox) = Math.DivRem(rest, _s.OutW);
        return (image, oy, ox);
    }
}
