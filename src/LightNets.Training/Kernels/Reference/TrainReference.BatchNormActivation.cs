using System.Numerics;

namespace LightNets.Training.Kernels.Reference;

public static partial class TrainReference
{
    /// <summary>
    /// BatchNorm in training mode followed by an activation, as one rule: z = f(y) with y =
    /// <see cref="BatchNormTrainForward{T}"/>(x). Defined as the two rules in turn (the training plan fuses them when
    /// nothing else reads y, so y is never stored). The activation is ReLU, Clip or h-swish, the ones that follow
    /// BatchNorm in the five families.
    /// </summary>
    public static void BatchNormActivationTrainForward<T>(int rows, int c, Activation a, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> beta, T eps, T momentum, Span<T> runningMean, Span<T> runningVar, Span<T> saveMean, Span<T> saveInvStd, Span<T> saveScale,
        Span<T> z)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckFusable(a);
        KernelArgs.Length<T>(saveScale, c, nameof(saveScale));
        BatchNormTrainForward(rows, c, x, gamma, beta, eps, momentum, runningMean, runningVar, saveMean, saveInvStd, z);
        ActivationForward(a, z, z);
        for (var j = 0; j < c; j++) saveScale[j] = gamma[j] * saveInvStd[j];
    }

    /// <summary>
    /// The gradients of <see cref="BatchNormActivationTrainForward{T}"/> from dz, the gradient of its output: y is
    /// recomputed from x with the saved statistics exactly as the forward computed it, dy = dz·f′(y) (the activation's
    /// rule, <see cref="ActivationBackward{T}"/>), then <see cref="BatchNormBackward{T}"/>. dx holds dy in between.
    /// <paramref name="saveScale"/> is the forward's (checked, not needed: y is recomputed with the forward's formula).
    /// </summary>
    public static void BatchNormActivationBackward<T>(int rows, int c, Activation a, ReadOnlySpan<T> x, ReadOnlySpan<T> dz, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> beta, ReadOnlySpan<T> saveMean, ReadOnlySpan<T> saveInvStd, ReadOnlySpan<T> saveScale, Span<T> dx, Span<T> dgamma,
        Span<T> dbeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckFusable(a);
        KernelArgs.Positive(rows, nameof(rows));
        KernelArgs.Positive(c, nameof(c));
        KernelArgs.Length(x, (long)rows * c, nameof(x));
        KernelArgs.Length(dz, (long)rows * c, nameof(dz));
        KernelArgs.Length<T>(dx, (long)rows * c, nameof(dx));
        KernelArgs.Length(gamma, c, nameof(gamma));
        KernelArgs.Length(beta, c, nameof(beta));
        KernelArgs.Length(saveMean, c, nameof(saveMean));
        KernelArgs.Length(saveInvStd, c, nameof(saveInvStd));
        KernelArgs.Length(saveScale, c, nameof(saveScale));
        for (var r = 0; r < rows; r++)
        for (var j = 0; j < c; j++)
        {
            var i = r * c + j;
            var y = gamma[j] * ((x[i] - saveMean[j]) * saveInvStd[j]) + beta[j];
            dx[i] = dz[i] * Slope(a, y);
        }
        // Each dx[i] is read (as dy) before it is written, element by element, so BatchNorm's backward runs in place.
        BatchNormBackward(rows, c, x, dx, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
    }

    private static void CheckFusable(Activation a)
    {
        if (a.Kind is not (ActivationKind.Relu or ActivationKind.Clip or ActivationKind.HardSwish))
            throw new ArgumentException($"BatchNorm fuses ReLU, Clip and h-swish, not {a.Kind}", nameof(a));
    }
}
