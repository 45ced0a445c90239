using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Runtime.Kernels.Reference;

/// <summary>
/// Reference activations (<c>f32-relu__ref</c>, <c>f32-clip__ref</c>, ...): element-wise maps in float32, plus softmax over
/// axis 1. Each scalar function is public so that tests and fused kernels can name the exact formula they must match.
/// NaN handling is not specified: these networks never produce NaN, so kernels need not agree on it.
/// </summary>
public static class ActivationReference
{
    /// <summary>ReLU: y = max(x, 0).</summary>
    public static float Relu(float x) => x > 0f ? x : 0f;

    /// <summary>Clip: y = min(max(x, min), max). ReLU6 is Clip(0, 6).</summary>
    public static float Clip(float x, float min, float max) => Math.Min(Math.Max(x, min), max);

    /// <summary>Hard sigmoid: y = max(0, min(1, α·x + β)), with α·x + β evaluated in float32 (product rounded, then sum).</summary>
    public static float HardSigmoid(float x, float alpha, float beta) => Math.Max(0f, Math.Min(1f, alpha * x + beta));

    /// <summary>Hard swish: y = x · ReLU6(x + 3) / 6, evaluated as <c>(x · min(max(x + 3, 0), 6)) / 6</c> in float32.</summary>
    public static float HardSwish(float x) => x * Clip(x + 3f, 0f, 6f) / 6f;

    /// <summary>Logistic sigmoid: y = 1 / (1 + e^−x), with <see cref="MathF.Exp"/>; saturates to exactly 0 or 1 far out.</summary>
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
