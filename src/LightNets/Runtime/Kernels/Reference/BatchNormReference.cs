using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Runtime.Kernels.Reference;

/// <summary>Reference inference batch normalization (<c>f32-batchnorm__ref</c>): the semantic spec of <see cref="BatchNormOp"/>.</summary>
public static class BatchNormReference
{
    /// <summary>
    /// Per-channel affine normalization with frozen statistics. X is [N, C, …] (rank ≥ 2); γ, β, μ, σ² are [C]:
    /// <code>
    /// Y[n, c, …] = γ[c] · (X[n, c, …] − μ[c]) / √(σ²[c] + ε) + β[c]
    /// </code>
    /// <para>
    /// Arithmetic: float32, evaluated per element exactly as written, left to right:
    /// <c>((γ · (x − μ)) / MathF.Sqrt(σ² + ε)) + β</c>. The form an optimizer folds into a convolution,
    /// <c>x·s + t</c> with s = γ/√(σ² + ε) and t = β − μ·s, is algebraically equal but rounds differently
    /// (a few ulps), so it is compared against this with a tolerance.
    /// </para>
    /// <para>
    /// IEEE 754 per element: NaN in x or in a channel's parameters gives NaN; ±∞ in x gives ±∞ times the sign of γ
    /// (NaN when γ = 0); a negative σ² + ε gives NaN for the whole channel.
    /// </para>
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor scale, Tensor bias, Tensor mean, Tensor variance, float epsilon)
    {
        ReferenceGuard.AtLeastRank(x, 2, nameof(x));
        var shape = x.Shape;
        int n = shape.N, c = shape.C;
        ReferenceGuard.Vector(scale, c, nameof(scale));
        ReferenceGuard.Vector(bias, c, nameof(bias));
        ReferenceGuard.Vector(mean, c, nameof(mean));
        ReferenceGuard.Vector(variance, c, nameof(variance));
        var inner = ReferenceGuard.InnerSize(shape);

        var y = new Tensor(shape);
        var xd = x.Data;
        var yd = y.Data;
        var gamma = scale.Data;
        var beta = bias.Data;
        var mu = mean.Data;
        var sigma2 = variance.Data;
        for (var ni = 0; ni < n; ni++)
        {
            for (var ci = 0; ci < c; ci++)
            {
                var std = MathF.Sqrt(sigma2[ci] + epsilon);
                var offset = (ni * c + ci) * inner;
                for (var i = 0; i < inner; i++)
                    yd[offset + i] = gamma[ci] * (xd[offset + i] - mu[ci]) / std + beta[ci];
            }
        }
        return y;
    }
}
