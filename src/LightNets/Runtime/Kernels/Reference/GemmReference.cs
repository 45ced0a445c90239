using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Runtime.Kernels.Reference;

/// <summary>Reference fully connected layer (<c>f32-gemm__ref</c>): the semantic spec of <see cref="GemmOp"/>.</summary>
public static class GemmReference
{
    /// <summary>
    /// Y = X·Wᵀ + B with X [N, K], W [M, K] (PyTorch's Linear layout, ONNX Gemm with transB = 1), B [M] or null:
    /// <code>
    /// Y[n, m] = Σ_{k &lt; K} X[n, k] · W[m, k]  (+ B[m])
    /// </code>
    /// Arithmetic: float32, one accumulator starting at 0, terms added in increasing k, each product rounded before
    /// it is added (no fused multiply-add); the bias is added last. IEEE 754 throughout: a NaN in row m of W (or in
    /// B[m]) makes column m of Y NaN for every n; a NaN in row n of X makes row n of Y NaN; an infinite term makes the
    /// sum infinite, or NaN with an opposite infinity or a zero factor, in any summation order.
    /// </summary>
    public static Tensor Gemm(Tensor x, Tensor w, Tensor? b)
    {
        ReferenceGuard.Rank(x, 2, nameof(x));
        ReferenceGuard.Rank(w, 2, nameof(w));
        int n = x.Shape[0], k = x.Shape[1], m = w.Shape[0];
        ReferenceGuard.That(w.Shape[1] == k, $"weight [{w.Shape}] needs {k} input features to match [{x.Shape}]", nameof(w));
        if (b is not null) ReferenceGuard.Vector(b, m, nameof(b));

        var y = new Tensor(new Shape(n, m));
        var xd = x.Data;
        var wd = w.Data;
        var bd = b?.Data;
        var yd = y.Data;
        for (var ni = 0; ni < n; ni++)
        {
            for (var mi = 0; mi < m; mi++)
            {
                var acc = 0f;
                for (var ki = 0; ki < k; ki++) acc += xd[ni * k + ki] * wd[mi * k + ki];
                if (bd is not null) acc += bd[mi];
                yd[ni * m + mi] = acc;
            }
        }
        return y;
    }
}
