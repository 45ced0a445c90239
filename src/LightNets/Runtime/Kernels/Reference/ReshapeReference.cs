using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Runtime.Kernels.Reference;

/// <summary>Reference operators that do not change values: <see cref="FlattenOp"/> and <see cref="DropoutOp"/> (inference).</summary>
public static class ReshapeReference
{
    /// <summary>
    /// [N, d1, …, dk] → [N, d1·…·dk] (axis 1): the same row-major elements in the same order, e.g.
    /// Y[n, (c·H + h)·W + w] = X[n, c, h, w]. The result owns a copy of the data, so it never aliases X.
    /// </summary>
    public static Tensor Flatten(Tensor x)
    {
        ReferenceGuard.AtLeastRank(x, 1, nameof(x));
        var n = x.Shape[0];
        return new Tensor(new Shape(n, checked((int)(x.Shape.ElementCount / n))), (float[])x.Data.Clone());
    }

    /// <summary>Dropout at inference: Y = X (a copy; the training-time ratio is ignored).</summary>
    public static Tensor Identity(Tensor x)
    {
        ReferenceGuard.NotNull(x, nameof(x));
        return x.Clone();
    }
}
