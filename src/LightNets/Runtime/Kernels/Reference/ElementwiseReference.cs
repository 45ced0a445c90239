using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Runtime.Kernels.Reference;

/// <summary>
/// Reference binary element-wise operators (<see cref="AddOp"/>, <see cref="MulOp"/>) with NumPy broadcasting. Each
/// element is one IEEE 754 float32 operation, as in PyTorch and ONNX: NaN in either operand gives NaN,
/// +∞ + −∞ = NaN, 0 · ±∞ = NaN, and otherwise infinities carry their sign.
/// </summary>
public static class ElementwiseReference
{
    /// <summary>Y = A + B, broadcast (see <see cref="BroadcastShape"/>), one float32 addition per element.</summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary(a, b, static (p, q) => p + q);

    /// <summary>Y = A · B, broadcast (see <see cref="BroadcastShape"/>), one float32 multiplication per element.</summary>
    public static Tensor Mul(Tensor a, Tensor b) => Binary(a, b, static (p, q) => p * q);

    /// <summary>
    /// NumPy's rule: align the shapes on the right, treat missing leading dimensions as 1; in each position the
    /// dimensions must be equal or one of them 1, and the result takes the larger. A dimension of size 1 is read
    /// repeatedly (stride 0) along that axis. Example: [N, C, 1, 1] against [N, C, H, W] gives [N, C, H, W].
    /// </summary>
    public static Shape BroadcastShape(Shape a, Shape b)
    {
        var rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = DimAligned(a, i, rank);
            var db = DimAligned(b, i, rank);
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"cannot broadcast [{a}] with [{b}]: dimension {i} is {da} vs {db}");
            dims[i] = Math.Max(da, db);
        }
        return new Shape(dims);
    }

    /// <summary>
    /// Applies <paramref name="f"/> to each pair of broadcast elements. For each output multi-index (walked in
    /// row-major order), the operand index is the same multi-index with every broadcast axis held at 0.
    /// </summary>
    public static Tensor Binary(Tensor a, Tensor b, Func<float, float, float> f)
    {
        ReferenceGuard.NotNull(a, nameof(a));
        ReferenceGuard.NotNull(b, nameof(b));
        ArgumentNullException.ThrowIfNull(f);
        var shape = BroadcastShape(a.Shape, b.Shape);
        var rank = shape.Rank;
        var stridesA = BroadcastStrides(a.Shape, shape);
        var stridesB = BroadcastStrides(b.Shape, shape);

        var y = new Tensor(shape);
        var ad = a.Data;
        var bd = b.Data;
        var yd = y.Data;
        var index = new int[rank];
        for (var o = 0; o < yd.Length; o++)
        {
            int ia = 0, ib = 0;
            for (var d = 0; d < rank; d++)
            {
                ia += index[d] * stridesA[d];
                ib += index[d] * stridesB[d];
            }
            yd[o] = f(ad[ia], bd[ib]);

            // Advance the output multi-index like an odometer, last axis fastest.
            for (var d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
        return y;
    }

    private static int DimAligned(Shape s, int i, int rank)
    {
        var j = i - (rank - s.Rank);
        return j >= 0 ? s[j] : 1;
    }

    /// <summary>Row-major strides of <paramref name="operand"/> laid against <paramref name="result"/>; 0 on broadcast axes.</summary>
    private static int[] BroadcastStrides(Shape operand, Shape result)
    {
        var rank = result.Rank;
        var strides = new int[rank];
        var stride = 1;
        for (var i = rank - 1; i >= 0; i--)
        {
            var d = DimAligned(operand, i, rank);
            strides[i] = d == 1 ? 0 : stride;
            stride *= d;
        }
        return strides;
    }
}
