using System.Numerics;

namespace LightNets.Training.Kernels.Reference;

public static partial class TrainReference
{
    /// <summary>
    /// BatchNorm in training mode over x [rows, c] (rows = N·H·W of an NHWC tensor, or N of an [N, C] one), as PyTorch:
    /// <code>
    /// mean[j] = Σ_r x[r, j] / rows                 var[j] = Σ_r (x[r, j] − mean[j])² / rows   (biased: normalises)
    /// y[r, j] = γ[j] · (x[r, j] − mean[j]) / √(var[j] + eps) + β[j]
    /// runningMean[j] = (1 − momentum) · runningMean[j] + momentum · mean[j]
    /// runningVar[j]  = (1 − momentum) · runningVar[j]  + momentum · var[j] · rows / (rows − 1)   (unbiased: updates)
    /// </code>
    /// momentum is PyTorch's (0.1 by default; TF's decay d is momentum 1 − d). Saves mean and 1/√(var + eps) for the
    /// backward pass. Needs rows ≥ 2 (PyTorch: "expected more than 1 value per channel when training").
    /// </summary>
    public static void BatchNormTrainForward<T>(int rows, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        T eps, T momentum, Span<T> runningMean, Span<T> runningVar, Span<T> saveMean, Span<T> saveInvStd, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows < 2) throw new ArgumentException($"batch normalization in training mode needs more than 1 value per channel, got {rows}", nameof(rows));
        KernelArgs.Positive(c, nameof(c));
        KernelArgs.Length(x, (long)rows * c, nameof(x));
        KernelArgs.Length<T>(y, (long)rows * c, nameof(y));
        KernelArgs.Length(gamma, c, nameof(gamma));
        KernelArgs.Length(beta, c, nameof(beta));
        KernelArgs.Length<T>(runningMean, c, nameof(runningMean));
        KernelArgs.Length<T>(runningVar, c, nameof(runningVar));
        KernelArgs.Length<T>(saveMean, c, nameof(saveMean));
        KernelArgs.Length<T>(saveInvStd, c, nameof(saveInvStd));
        var count = T.CreateChecked(rows);
        for (var j = 0; j < c; j++)
        {
            var sum = T.Zero;
            for (var r = 0; r < rows; r++) sum += x[r * c + j];
            var mean = sum / count;
            var squares = T.Zero;
            for (var r = 0; r < rows; r++)
            {
                var d = x[r * c + j] - mean;
                squares += d * d;
            }
            var variance = squares / count;
            var invStd = T.One / T.Sqrt(variance + eps);
            for (var r = 0; r < rows; r++) y[r * c + j] = gamma[j] * ((x[r * c + j] - mean) * invStd) + beta[j];
            saveMean[j] = mean;
            saveInvStd[j] = invStd;
            runningMean[j] = (T.One - momentum) * runningMean[j] + momentum * mean;
            runningVar[j] = (T.One - momentum) * runningVar[j] + momentum * (squares / (count - T.One));
        }
    }

    /// <summary>
    /// The gradients of <see cref="BatchNormTrainForward{T}"/> with batch statistics, x̂ = (x − mean)·invStd:
    /// <code>
    /// dβ[j] = Σ_r dy[r, j]        dγ[j] = Σ_r dy[r, j] · x̂[r, j]
    /// dx[r, j] = γ[j] · invStd[j] / rows · (rows · dy[r, j] − dβ[j] − x̂[r, j] · dγ[j])
    /// </code>
    /// (the mean and variance depend on every x of the channel). Overwrites dx, dγ and dβ.
    /// </summary>
    public static void BatchNormBackward<T>(int rows, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> saveMean, ReadOnlySpan<T> saveInvStd, Span<T> dx, Span<T> dgamma, Span<T> dbeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArgs.Positive(rows, nameof(rows));
        KernelArgs.Positive(c, nameof(c));
        KernelArgs.Length(x, (long)rows * c, nameof(x));
        KernelArgs.Length(dy, (long)rows * c, nameof(dy));
        KernelArgs.Length<T>(dx, (long)rows * c, nameof(dx));
        KernelArgs.Length(gamma, c, nameof(gamma));
        KernelArgs.Length(saveMean, c, nameof(saveMean));
        KernelArgs.Length(saveInvStd, c, nameof(saveInvStd));
        KernelArgs.Length<T>(dgamma, c, nameof(dgamma));
        KernelArgs.Length<T>(dbeta, c, nameof(dbeta));
        var count = T.CreateChecked(rows);
        for (var j = 0; j < c; j++)
        {
            T mean = saveMean[j], invStd = saveInvStd[j];
            T sumDy = T.Zero, sumDyXhat = T.Zero;
            for (var r = 0; r < rows; r++)
            {
                var d = dy[r * c + j];
                sumDy += d;
                sumDyXhat += d * ((x[r * c + j] - mean) * invStd);
            }
            var scale = gamma[j] * invStd / count;
            for (var r = 0; r < rows; r++)
            {
                var xhat = (x[r * c + j] - mean) * invStd;
                dx[r * c + j] = scale * (count * dy[r * c + j] - sumDy - xhat * sumDyXhat);
            }
            dgamma[j] = sumDyXhat;
            dbeta[j] = sumDy;
        }
    }

    /// <summary>
    /// BatchNorm in evaluation mode (a frozen layer): y[r, j] = γ[j] · (x[r, j] − runningMean[j]) / √(runningVar[j] + eps) + β[j].
    /// Nothing is updated.
    /// </summary>
    public static void BatchNormEvalForward<T>(int rows, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        T eps, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArgs.Positive(rows, nameof(rows));
        KernelArgs.Positive(c, nameof(c));
        KernelArgs.Length(x, (long)rows * c, nameof(x));
        KernelArgs.Length<T>(y, (long)rows * c, nameof(y));
        KernelArgs.Length(gamma, c, nameof(gamma));
        KernelArgs.Length(beta, c, nameof(beta));
        KernelArgs.Length(runningMean, c, nameof(runningMean));
        KernelArgs.Length(runningVar, c, nameof(runningVar));
        for (var j = 0; j < c; j++)
        {
            var invStd = T.One / T.Sqrt(runningVar[j] + eps);
            for (var r = 0; r < rows; r++) y[r * c + j] = gamma[j] * ((x[r * c + j] - runningMean[j]) * invStd) + beta[j];
        }
    }
}
