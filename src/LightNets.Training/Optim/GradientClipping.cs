namespace LightNets.Training.Optim;

/// <summary>
/// Gradient clipping over the trainable parameters (frozen ones have no gradient, as in PyTorch), between the backward
/// pass and the optimizer step.
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// The L2 norm of all trainable gradients taken together, summed in double in a fixed order (so it is the same on
    /// every run and thread count, and cannot overflow where float32 squares would).
    /// </summary>
    public static double GlobalNorm(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var sum = 0.0;
        for (var p = 0; p < parameters.Count; p++)
        {
            if (parameters[p].Trainable) sum += SumOfSquares(parameters[p].Grad);
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Scales every trainable gradient by maxNorm / (norm + 1e-6) when that is below 1, as
    /// <c>torch.nn.utils.clip_grad_norm_</c> does, and returns the norm before clipping. When the norm is NaN or
    /// infinite the gradients are left as they are (PyTorch would multiply them all by NaN or 0, or raise): the caller
    /// sees the non-finite norm and can skip the step or stop the run.
    /// </summary>
    public static double ClipByGlobalNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        OptimizationSettingsException.RequireFinite("gradient clipping norm", maxNorm, 0, double.PositiveInfinity, minExclusive: true);
        var norm = GlobalNorm(parameters);
        var coefficient = maxNorm / (norm + 1e-6);
        if (!double.IsFinite(norm) || coefficient >= 1) return norm;
        var scale = (float)coefficient;
        for (var p = 0; p < parameters.Count; p++)
        {
            if (!parameters[p].Trainable) continue;
            var g = parameters[p].Grad;
            for (var i = 0; i < g.Length; i++) g[i] *= scale;
        }
        return norm;
    }

    /// <summary>Clamps every trainable gradient element to [−limit, limit], as <c>torch.nn.utils.clip_grad_value_</c> (NaN stays NaN).</summary>
    public static void ClipByValue(IReadOnlyList<Parameter> parameters, double limit)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        OptimizationSettingsException.RequireFinite("gradient clipping value", limit, 0, double.PositiveInfinity, minExclusive: true);
        var max = (float)limit;
        for (var p = 0; p < parameters.Count; p++)
        {
            if (!parameters[p].Trainable) continue;
            var g = parameters[p].Grad;
            for (var i = 0; i < g.Length; i++) g[i] = Math.Clamp(g[i], -max, max);
        }
    }

    // Four running sums break the add chain's latency; their order is fixed, so the result is too.
    private static double SumOfSquares(float[] values)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        var i = 0;
        for (; i <= values.Length - 4; i += 4)
        {
            s0 += (double)values[i] * values[i];
            s1 += (double)values[i + 1] * values[i + 1];
            s2 += (double)values[i + 2] * values[i + 2];
            s3 += (double)values[i + 3] * values[i + 3];
        }
        for (; i < values.Length; i++) s0 += (double)values[i] * values[i];
        return s0 + s1 + (s2 + s3);
    }
}
