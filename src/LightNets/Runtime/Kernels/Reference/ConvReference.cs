using System.Runtime.CompilerServices;
using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Runtime.Kernels.Reference;

/// <summary>Reference 2-D convolution (kernel id <c>f32-conv-any__ref</c>): the semantic spec of <see cref="Conv2dOp"/>.</summary>
public static class ConvReference
{
    /// <summary>
    /// Grouped, strided, dilated, zero-padded 2-D convolution in NCHW.
    /// <para>
    /// X is [N, Cin, H, W], W is [Cout, Cin/G, KH, KW], B is [Cout] or null; G = <c>op.Groups</c>.
    /// Output channel co belongs to group g = co / (Cout/G) and reads input channels g·(Cin/G) … (g+1)·(Cin/G) − 1.
    /// For every n, co, oy, ox:
    /// </para>
    /// <code>
    /// Y[n, co, oy, ox] = Σ_{ci &lt; Cin/G} Σ_{ky &lt; KH} Σ_{kx &lt; KW} X[n, g·Cin/G + ci, iy, ix] · W[co, ci, ky, kx]  (+ B[co])
    ///   iy = oy·StrideH − Top  + ky·DilationH
    ///   ix = ox·StrideW − Left + kx·DilationW
    /// </code>
    /// <para>
    /// Terms whose (iy, ix) lies outside [0, H) × [0, W) are the zero padding and contribute nothing. Output size:
    /// H_out = floor((H + Top + Bottom − DilationH·(KH − 1) − 1) / StrideH) + 1, likewise W_out.
    /// </para>
    /// <para>
    /// Arithmetic: float32, one accumulator starting at 0, terms added in the loop order ci, ky, kx (outermost
    /// first), each product rounded to float before it is added (no fused multiply-add); the bias is added last. Optimized kernels sum in other orders and are compared with a tolerance.
    /// </para>
    /// <para>
    /// Non-finite values: every term is an IEEE 754 product and sum, so a NaN input or weight, 0 · ±∞, or +∞ and −∞
    /// terms together make the output NaN, and an infinite term otherwise makes it that infinity, in any summation
    /// order. A NaN weight W[co, ci, ky, kx] therefore reaches every output of channel co whose window has tap (ky, kx)
    /// inside the input. Padding terms are skipped, not multiplied by 0, so a non-finite weight never reaches an output
    /// through a tap that lies in the padding (0 · ∞ would be NaN). This is the reading of "zero padding" in which the
    /// padding contributes nothing; it is what ONNX Runtime 1.31's dense Conv does (measured: an ∞ weight on a tap
    /// that falls in the padding leaves those outputs finite), while its depthwise kernel multiplies the zeros and gives
    /// NaN there (measured), as does any engine that materializes the padded input (an im2col buffer with zeros).
    /// Engines disagree; this is the rule LightNets holds all its kernels to.
    /// </para>
    /// </summary>
    // Optimized from the first call: a network calls this once per layer, too few times for tiered compilation to
    // promote it before the big layers have run in unoptimized code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b, Conv2dOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        ReferenceGuard.Rank(x, 4, nameof(x));
        ReferenceGuard.Rank(w, 4, nameof(w));
        int n = x.Shape.N, cin = x.Shape.C, h = x.Shape.H, wi = x.Shape.W;
        int cout = w.Shape[0], kh = op.KernelH, kw = op.KernelW, g = op.Groups;
        ReferenceGuard.That(g >= 1 && cin % g == 0 && cout % g == 0 && w.Shape[1] * g == cin,
            $"groups {g} do not match input [{x.Shape}] and weight [{w.Shape}]", nameof(op));
        ReferenceGuard.That(w.Shape[2] == kh && w.Shape[3] == kw,
            $"weight [{w.Shape}] does not match the {kh}×{kw} kernel", nameof(w));
        ReferenceGuard.That(op.StrideH >= 1 && op.StrideW >= 1 && op.DilationH >= 1 && op.DilationW >= 1,
            $"needs positive strides and dilations ({op})", nameof(op));
        var pad = op.Padding;
        ReferenceGuard.That(pad.Top >= 0 && pad.Left >= 0 && pad.Bottom >= 0 && pad.Right >= 0, $"negative padding {pad}", nameof(op));
        if (b is not null) ReferenceGuard.Vector(b, cout, nameof(b));

        var ho = ShapeInference.WindowOutputSize(h, kh, op.StrideH, op.DilationH, pad.Top, pad.Bottom, ceilMode: false);
        var wo = ShapeInference.WindowOutputSize(wi, kw, op.StrideW, op.DilationW, pad.Left, pad.Right, ceilMode: false);
        ReferenceGuard.That(ho >= 1 && wo >= 1, $"input [{x.Shape}] is smaller than the window of {op}", nameof(x));

        var cinPerGroup = cin / g;
        var coutPerGroup = cout / g;
        var y = new Tensor(Shape.Nchw(n, cout, ho, wo));
        var xd = x.Data;
        var wd = w.Data;
        var bd = b?.Data;
        var yd = y.Data;

        // The output columns each tap column kx reaches inside the input: ix = ox·StrideW − Left + kx·DilationW grows
        // with ox, so they are one run [first[kx], end[kx]) (empty when first ≥ end).
        var first = new int[kw];
        var end = new int[kw];
        for (var kx = 0; kx < kw; kx++)
        {
            first[kx] = wo;
            for (var ox = 0; ox < wo; ox++)
            {
                var ix = ox * op.StrideW - pad.Left + kx * op.DilationW;
                if (ix < 0 || ix >= wi) continue;
                first[kx] = Math.Min(first[kx], ox);
                end[kx] = ox + 1;
            }
        }

        // One output row at a time, accumulated in place (the new tensor starts at 0). The loops over ci, ky and kx
        // enclose the loop over ox, so every output still adds its own terms in the order ci, ky, kx, as specified
        // above; only the order in which different outputs are visited changes, and the row's input and output are
        // walked contiguously, which makes this reference fast enough to check whole networks at 224×224.
        for (var ni = 0; ni < n; ni++)
        {
            for (var co = 0; co < cout; co++)
            {
                var group = co / coutPerGroup;
                for (var oy = 0; oy < ho; oy++)
                {
                    var row = ((ni * cout + co) * ho + oy) * wo;
                    for (var ci = 0; ci < cinPerGroup; ci++)
                    {
                        var c = group * cinPerGroup + ci;
                        for (var ky = 0; ky < kh; ky++)
                        {
                            var iy = oy * op.StrideH - pad.Top + ky * op.DilationH;
                            if (iy < 0 || iy >= h) continue;
                            for (var kx = 0; kx < kw; kx++)
                            {
                                var wv = wd[((co * cinPerGroup + ci) * kh + ky) * kw + kx];
                                var input = ((ni * cin + c) * h + iy) * wi - pad.Left + kx * op.DilationW;
                                for (var ox = first[kx]; ox < end[kx]; ox++)
                                    yd[row + ox] += xd[input + ox * op.StrideW] * wv;
                            }
                        }
                    }
                    if (bd is not null)
                    {
                        for (var ox = 0; ox < wo; ox++) yd[row + ox] += bd[co];
                    }
                }
            }
        }
        return y;
    }
}
