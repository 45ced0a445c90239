using System.Numerics;

namespace LightNets.Training.Kernels.Reference;

/// <summary>
/// The training kernels written as plain loops: the specification of every forward-in-training-mode and backward rule
/// (PyTorch 1.13's semantics) and the oracle the fast kernels and the engine are tested against. Generic over the
/// float type so gradient checks run in double and the engine in float. Activations are NHWC, weights in PyTorch's
/// layout. Every output span is overwritten unless a method says it accumulates. Nothing here is fast on purpose.
/// </summary>
public static partial class TrainReference
{
    /// <summary>
    /// y[n, oy, ox, co] = Σ_{ci &lt; Cin/G, ky, kx} x[n, iy, ix, g·Cin/G + ci] · w[co, ci, ky, kx] + bias[co], where
    /// g = co / (Cout/G), iy = oy·StrideH − PadTop + ky·DilationH, ix = ox·StrideW − PadLeft + kx·DilationW, and taps
    /// outside the image contribute nothing (zero padding). An empty <paramref name="bias"/> means none.
    /// </summary>
    public static void ConvForward<T>(in ConvShape s, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckConv(s, x, w, y, "y");
        KernelArgs.Optional(bias, s.Cout, nameof(bias));
        int cpg = s.CinPerGroup, opg = s.CoutPerGroup;
        for (var n = 0; n < s.N; n++)
        for (var oy = 0; oy < s.OutH; oy++)
        for (var ox = 0; ox < s.OutW; ox++)
        for (var co = 0; co < s.Cout; co++)
        {
            var g = co / opg;
            var sum = T.Zero;
            for (var ci = 0; ci < cpg; ci++)
            for (var ky = 0; ky < s.KH; ky++)
            {
                var iy = oy * s.StrideH - s.PadTop + ky * s.DilationH;
                if (iy < 0 || iy >= s.H) continue;
                for (var kx = 0; kx < s.KW; kx++)
                {
                    var ix = ox * s.StrideW - s.PadLeft + kx * s.DilationW;
                    if (ix < 0 || ix >= s.W) continue;
                    sum += x[InputIndex(s, n, iy, ix, g * cpg + ci)] * w[WeightIndex(s, co, ci, ky, kx)];
                }
            }
            if (!bias.IsEmpty) sum += bias[co];
            y[OutputIndex(s, n, oy, ox, co)] = sum;
        }
    }

    /// <summary>
    /// The gradient of the input: dx[n, iy, ix, c] = Σ dy[n, oy, ox, co] · w[co, ci, ky, kx] over every output and tap
    /// that read x[n, iy, ix, c] in <see cref="ConvForward{T}"/> (c = g·Cin/G + ci). Input cells no window reads get 0.
    /// Overwrites <paramref name="dx"/>.
    /// </summary>
    public static void ConvBackwardData<T>(in ConvShape s, ReadOnlySpan<T> dy, ReadOnlySpan<T> w, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckConv(s, dx, w, dy, "dy");
        dx.Clear();
        int cpg = s.CinPerGroup, opg = s.CoutPerGroup;
        for (var n = 0; n < s.N; n++)
        for (var oy = 0; oy < s.OutH; oy++)
        for (var ox = 0; ox < s.OutW; ox++)
        for (var co = 0; co < s.Cout; co++)
        {
            var g = co / opg;
            var d = dy[OutputIndex(s, n, oy, ox, co)];
            for (var ci = 0; ci < cpg; ci++)
            for (var ky = 0; ky < s.KH; ky++)
            {
                var iy = oy * s.StrideH - s.PadTop + ky * s.DilationH;
                if (iy < 0 || iy >= s.H) continue;
                for (var kx = 0; kx < s.KW; kx++)
                {
                    var ix = ox * s.StrideW - s.PadLeft + kx * s.DilationW;
                    if (ix < 0 || ix >= s.W) continue;
                    dx[InputIndex(s, n, iy, ix, g * cpg + ci)] += d * w[WeightIndex(s, co, ci, ky, kx)];
                }
            }
        }
    }

    /// <summary>
    /// The gradients of the weight and bias: dw[co, ci, ky, kx] = Σ_{n, oy, ox} dy[n, oy, ox, co] · x[n, iy, ix, g·Cin/G + ci]
    /// over the taps inside the image, dbias[co] = Σ_{n, oy, ox} dy[n, oy, ox, co]. An empty <paramref name="dbias"/>
    /// means the convolution has no bias. Overwrites both.
    /// </summary>
    public static void ConvBackwardWeight<T>(in ConvShape s, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dw, Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckConv(s, x, dw, dy, "dy");
        KernelArgs.Optional<T>(dbias, s.Cout, nameof(dbias));
        int cpg = s.CinPerGroup, opg = s.CoutPerGroup;
        for (var co = 0; co < s.Cout; co++)
        {
            var g = co / opg;
            for (var ci = 0; ci < cpg; ci++)
            for (var ky = 0; ky < s.KH; ky++)
            for (var kx = 0; kx < s.KW; kx++)
            {
                var sum = T.Zero;
                for (var n = 0; n < s.N; n++)
                for (var oy = 0; oy < s.OutH; oy++)
                {
                    var iy = oy * s.StrideH - s.PadTop + ky * s.DilationH;
                    if (iy < 0 || iy >= s.H) continue;
                    for (var ox = 0; ox < s.OutW; ox++)
                    {
                        var ix = ox * s.StrideW - s.PadLeft + kx * s.DilationW;
                        if (ix < 0 || ix >= s.W) continue;
                        sum += dy[OutputIndex(s, n, oy, ox, co)] * x[InputIndex(s, n, iy, ix, g * cpg + ci)];
                    }
                }
                dw[WeightIndex(s, co, ci, ky, kx)] = sum;
            }
            if (dbias.IsEmpty) continue;
            var b = T.Zero;
            for (var n = 0; n < s.N; n++)
            for (var oy = 0; oy < s.OutH; oy++)
            for (var ox = 0; ox < s.OutW; ox++)
                b += dy[OutputIndex(s, n, oy, ox, co)];
            dbias[co] = b;
        }
    }

    private static int InputIndex(in ConvShape s, int n, int iy, int ix, int c) => ((n * s.H + iy) * s.W + ix) * s.Cin + c;
    private static int OutputIndex(in ConvShape s, int n, int oy, int ox, int co) => ((n * s.OutH + oy) * s.OutW + ox) * s.Cout + co;
    private static int WeightIndex(in ConvShape s, int co, int ci, int ky, int kx) => ((co * s.CinPerGroup + ci) * s.KH + ky) * s.KW + kx;

    private static void CheckConv<T>(in ConvShape s, ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> output, string outputName)
    {
        s.Validate();
        KernelArgs.Length(input, s.InputLength, "x");
        KernelArgs.Length(weight, s.WeightLength, "w");
        KernelArgs.Length(output, s.OutputLength, outputName);
    }
}
