using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Runtime.Kernels.Reference;

/// <summary>
/// Reference activations (<c>f32-relu__ref</c>, <c>f32-clip__ref</c>, ...): element-wise maps in float32, plus softmax over
/// axis 1. Each scalar function is public so that tests and fused kernels can name the exact formula they must match.
/// <para>
/// Non-finite values follow PyTorch (the specification this interpreter stands for; ONNX Runtime agrees wherever it is
/// consistent with itself): NaN in gives NaN out for every activation, and ±∞ goes through the formula in IEEE 754
/// arithmetic, so ReLU(+∞) = +∞, ReLU6(±∞) = 6 or 0, h-sigmoid(±∞) = 1 or 0, h-swish(+∞) = +∞ and h-swish(−∞) = −∞·0 =
/// NaN. Each function names its source. The clamps use <see cref="Math.Max(float, float)"/> and
/// <see cref="Math.Min(float, float)"/>, which since .NET Core 3.0 return NaN when either operand is NaN (IEEE 754-2019
/// maximum/minimum), the same as PyTorch's NaN-propagating <c>vec::maximum</c>/<c>vec::minimum</c>.
/// </para>
/// </summary>
public static class ActivationReference
{
    /// <summary>
    /// ReLU: y = max(x, 0), with ReLU(NaN) = NaN, ReLU(+∞) = +∞, ReLU(−∞) = 0. PyTorch's <c>torch.relu</c> is
    /// <c>clamp_min(x, 0)</c>, whose CPU kernel (<c>clamp_min_scalar_kernel_impl</c> in
    /// aten/src/ATen/native/cpu/TensorCompareKernel.cpp) is <c>std::max(x, 0)</c>, which returns x when x is NaN, in
    /// vector form <c>vmaxps(0, x)</c>, which does too; ONNX Runtime 1.31 gives NaN as well (measured). A plain
    /// <c>x &gt; 0 ? x : 0</c> would map NaN to 0 and hide a broken input or weight behind a plausible output.
    /// </summary>
    public static float Relu(float x) => x > 0f || float.IsNaN(x) ? x : 0f;

    /// <summary>
    /// Clip: y = min(max(x, min), max). ReLU6 is Clip(0, 6). NaN stays NaN (<c>torch.clamp</c> and <c>hardtanh</c>, which
    /// <c>relu6</c> calls, propagate it); ±∞ clamps to the bounds.
    /// </summary>
    public static float Clip(float x, float min, float max) => Math.Min(Math.Max(x, min), max);

    /// <summary>
    /// Hard sigmoid: y = max(0, min(1, α·x + β)), with α·x + β evaluated in float32 (product rounded, then sum).
    /// NaN stays NaN; +∞ gives 1 and −∞ gives 0 (for α &gt; 0), as PyTorch's <c>hardsigmoid</c>
    /// (<c>min(max(x + 3, 0), 6) / 6</c> with NaN-propagating clamps) and the ONNX formula do.
    /// </summary>
    public static float HardSigmoid(float x, float alpha, float beta) => Math.Max(0f, Math.Min(1f, alpha * x + beta));

    /// <summary>
    /// Hard swish: y = x · ReLU6(x + 3) / 6, evaluated as <c>x · (min(max(x + 3, 0), 6) / 6)</c> in float32: the gate
    /// first, then one product, the order of the ONNX definition <c>x · max(0, min(1, x/6 + 1/2))</c>.
    /// <list type="bullet">
    /// <item>NaN → NaN; +∞ → +∞·1 = +∞; −∞ → −∞·0 = NaN. PyTorch's CPU kernel
    /// (aten/src/ATen/native/cpu/Activation.cpp, <c>hardswish_kernel</c>: <c>x * min(max(x + 3, 0), 6) / 6</c>) and
    /// ONNX Runtime 1.31 (measured) give exactly these three.</item>
    /// <item>Finite x ≥ 3 gives x exactly, up to float.MaxValue. PyTorch multiplies before it divides, so its x·6
    /// overflows to +∞ for x above ≈ 5.7·10³⁷; ONNX Runtime, like this formula, returns x. We take the form that
    /// never overflows where the true value is finite.</item>
    /// </list>
    /// </summary>
    public static float HardSwish(float x) => x * (Clip(x + 3f, 0f, 6f) / 6f);

    /// <summary>
    /// Logistic sigmoid: y = 1 / (1 + e^−x), with <see cref="MathF.Exp"/>; saturates to exactly 0 or 1 far out, gives
    /// 1 at +∞, 0 at −∞ and NaN at NaN (as <c>torch.sigmoid</c>).
    /// </summary>
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    public static Tensor Relu(Tensor x) => Map(x, Relu);

    public static Tensor Clip(Tensor x, ClipOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        return Map(x, v => Clip(v, op.Min, op.Max));
    }

    public static Tensor HardSigmoid(Tensor x, HardSigmoidOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        return Map(x, v => HardSigmoid(v, op.Alpha, op.Beta));
    }

    public static Tensor HardSwish(Tensor x) => Map(x, HardSwish);

    public static Tensor Sigmoid(Tensor x) => Map(x, Sigmoid);

    /// <summary>
    /// Softmax over axis 1 of an [N, C, …] tensor (rank ≥ 2), independently for every n and every position in the
    /// trailing axes:
    /// <code>
    /// m = max_c X[n, c, …];   e_c = exp(X[n, c, …] − m);   Y[n, c, …] = e_c / Σ_c' e_c'
    /// </code>
    /// Subtracting the maximum keeps every exponent ≤ 0, so large inputs cannot overflow; the largest term is
    /// exp(0) = 1, so the sum is ≥ 1. Float32, sum in increasing c.
    /// <para>
    /// Non-finite inputs, as PyTorch's <c>softmax</c> (the same max-subtracting algorithm): a NaN anywhere along the
    /// axis makes the whole slice NaN (m is NaN); a +∞ makes it NaN too (+∞ − +∞ = NaN); a −∞ gives 0 where it is,
    /// unless every value of the slice is −∞, which is NaN (−∞ − −∞). Other slices are unaffected.
    /// </para>
    /// </summary>
    public static Tensor Softmax(Tensor x)
    {
        ReferenceGuard.AtLeastRank(x, 2, nameof(x));
        var shape = x.Shape;
        int n = shape.N, c = shape.C;
        var inner = ReferenceGuard.InnerSize(shape);
        var y = new Tensor(shape);
        var xd = x.Data;
        var yd = y.Data;
        for (var ni = 0; ni < n; ni++)
        {
            for (var i = 0; i < inner; i++)
            {
                var max = float.NegativeInfinity;
                for (var ci = 0; ci < c; ci++)
                    max = Math.Max(max, xd[(ni * c + ci) * inner + i]);
                var sum = 0f;
                for (var ci = 0; ci < c; ci++)
                {
                    var e = MathF.Exp(xd[(ni * c + ci) * inner + i] - max);
                    yd[(ni * c + ci) * inner + i] = e;
                    sum += e;
                }
                for (var ci = 0; ci < c; ci++)
                    yd[(ni * c + ci) * inner + i] /= sum;
            }
        }
        return y;
    }

    /// <summary>Applies <paramref name="f"/> to every element, into a new tensor of the same shape.</summary>
    private static Tensor Map(Tensor x, Func<float, float> f)
    {
        ReferenceGuard.NotNull(x, nameof(x));
        var y = new Tensor(x.Shape);
        var xd = x.Data;
        var yd = y.Data;
        for (var i = 0; i < xd.Length; i++) yd[i] = f(xd[i]);
        return y;
    }
}
