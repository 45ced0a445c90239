using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Runtime.Kernels.Reference;

/// <summary>
/// Reference pooling: <see cref="MaxPoolOp"/>, <see cref="AveragePoolOp"/>, <see cref="GlobalAveragePoolOp"/>.
/// <para>
/// Windows: output (oy, ox) covers rows iy = oy·StrideH − Top + ky, ky ∈ [0, KH), and columns
/// ix = ox·StrideW − Left + kx, kx ∈ [0, KW). The output size is
/// <see cref="ShapeInference.WindowOutputSize"/> with dilation 1: floor, or in ceil mode ceil, of
/// (size + padBefore + padAfter − kernel)/stride, plus 1, dropping a last window that would start at or after
/// size + padBefore (PyTorch and ONNX). Every window therefore holds at least one real input cell.
/// </para>
/// </summary>
public static class PoolReference
{
    /// <summary>
    /// Y[n, c, oy, ox] = max of X[n, c, iy, ix] over the window cells with 0 ≤ iy &lt; H and 0 ≤ ix &lt; W.
    /// Padded cells are skipped, never read as 0 (or −∞): an all-negative window yields its largest negative value.
    /// A NaN anywhere in the window makes the output NaN, wherever it sits in the window, as in PyTorch, whose CPU
    /// max pooling takes a value when <c>val &gt; max || isnan(val)</c> (aten/src/ATen/native/cpu/MaxPoolKernel.cpp).
    /// (ONNX Runtime 1.31 keeps a NaN only when it comes after the window's finite values: order-dependent, so not a
    /// rule to copy.) ±∞ compare as usual: +∞ wins, −∞ loses to anything else.
    /// </summary>
    public static Tensor MaxPool(Tensor x, MaxPoolOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        return Pool(x, op, (window, _) =>
        {
            // Math.Max returns NaN when either operand is NaN (.NET Core 3.0 on), so a NaN, once met, stays.
            var max = float.NegativeInfinity;
            foreach (var v in window) max = Math.Max(max, v);
            return max;
        });
    }

    /// <summary>
    /// Y[n, c, oy, ox] = S / D, where S is the float32 sum of the in-bounds window cells (padding adds 0), taken in
    /// row-major window order, and D is:
    /// <list type="bullet">
    /// <item><c>CountIncludePad = false</c>: the number of in-bounds cells, 0 ≤ iy &lt; H and 0 ≤ ix &lt; W.</item>
    /// <item><c>CountIncludePad = true</c>: the number of window cells inside the padded input,
    /// −Top ≤ iy &lt; H + Bottom and −Left ≤ ix &lt; W + Right. This is KH·KW except where ceil mode lets a last
    /// window hang past the padding, where PyTorch clips the divisor to the padded extent; we do the same.</item>
    /// </list>
    /// The sum is IEEE 754: a NaN in the window, or +∞ and −∞ together, give NaN; otherwise an infinity gives that
    /// infinity. Padding adds nothing, so it never turns a window NaN.
    /// </summary>
    public static Tensor AveragePool(Tensor x, AveragePoolOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        return Pool(x, op, (window, padded) =>
        {
            var sum = 0f;
            foreach (var v in window) sum += v;
            return sum / (op.CountIncludePad ? padded : window.Count);
        });
    }

    /// <summary>
    /// Mean over the spatial plane: Y[n, c, 0, 0] = (Σ_{h, w} X[n, c, h, w]) / (H·W), the float32 sum taken in
    /// row-major order, then one division. Output [N, C, 1, 1]. Non-finite values as in <see cref="AveragePool"/>: NaN,
    /// or +∞ with −∞, in a plane gives NaN; an infinity alone gives that infinity.
    /// </summary>
    public static Tensor GlobalAveragePool(Tensor x)
    {
        ReferenceGuard.Rank(x, 4, nameof(x));
        var s = x.Shape;
        var plane = s.H * s.W;
        var y = new Tensor(Shape.Nchw(s.N, s.C, 1, 1));
        var xd = x.Data;
        for (var nc = 0; nc < s.N * s.C; nc++)
        {
            var sum = 0f;
            for (var i = 0; i < plane; i++) sum += xd[nc * plane + i];
            y.Data[nc] = sum / plane;
        }
        return y;
    }

    /// <summary>
    /// Collects, for each output cell, the in-bounds input values of its window (row-major) and the count of window
    /// cells inside the padded input, and stores <paramref name="reduce"/>(values, paddedCount).
    /// </summary>
    private static Tensor Pool(Tensor x, PoolOp op, Func<List<float>, int, float> reduce)
    {
        ReferenceGuard.Rank(x, 4, nameof(x));
        var pad = op.Padding;
        ReferenceGuard.That(op.KernelH >= 1 && op.KernelW >= 1 && op.StrideH >= 1 && op.StrideW >= 1,
            $"needs a positive kernel and stride ({op})", nameof(op));
        ReferenceGuard.That(pad.Top >= 0 && pad.Left >= 0 && pad.Bottom >= 0 && pad.Right >= 0
                            && pad.Top < op.KernelH && pad.Bottom < op.KernelH && pad.Left < op.KernelW && pad.Right < op.KernelW,
            $"padding {pad} must be non-negative and smaller than the {op.KernelH}×{op.KernelW} window", nameof(op));
        var s = x.Shape;
        int h = s.H, w = s.W;
        var ho = ShapeInference.WindowOutputSize(h, op.KernelH, op.StrideH, 1, pad.Top, pad.Bottom, op.CeilMode);
        var wo = ShapeInference.WindowOutputSize(w, op.KernelW, op.StrideW, 1, pad.Left, pad.Right, op.CeilMode);
        ReferenceGuard.That(ho >= 1 && wo >= 1, $"input [{s}] is smaller than the window of {op}", nameof(x));

        var y = new Tensor(Shape.Nchw(s.N, s.C, ho, wo));
        var xd = x.Data;
        var yd = y.Data;
        var window = new List<float>(op.KernelH * op.KernelW);
        for (var nc = 0; nc < s.N * s.C; nc++)
        {
            for (var oy = 0; oy < ho; oy++)
            {
                for (var ox = 0; ox < wo; ox++)
                {
                    window.Clear();
                    var padded = 0;
                    for (var ky = 0; ky < op.KernelH; ky++)
                    {
                        var iy = oy * op.StrideH - pad.Top + ky;
                        for (var kx = 0; kx < op.KernelW; kx++)
                        {
                            var ix = ox * op.StrideW - pad.Left + kx;
                            if (iy >= -pad.Top && iy < h + pad.Bottom && ix >= -pad.Left && ix < w + pad.Right) padded++;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) window.Add(xd[(nc * h + iy) * w + ix]);
                        }
                    }
                    if (window.Count == 0)
                        throw new InvalidOperationException($"pooling window ({oy}, {ox}) of {op} on [{s}] holds no input cell");
                    yd[(nc * ho + oy) * wo + ox] = reduce(window, padded);
                }
            }
        }
        return y;
    }
}
