namespace LightNets.Graphs;

/// <summary>Padding of a 2-D window, which may be asymmetric (TF "SAME" pads 0 before and 1 after at stride 2).</summary>
public readonly record struct Padding2d(int Top, int Left, int Bottom, int Right)
{
    public static Padding2d Symmetric(int p) => new(p, p, p, p);
    public static readonly Padding2d None = default;
    public bool IsSymmetric => Top == Bottom && Left == Right && Top == Left;
    public override string ToString() => IsSymmetric ? Top.ToString() : $"{Top},{Left},{Bottom},{Right}";
}

/// <summary>
/// An operator with its attributes: one sealed record per <see cref="OpKind"/>. Inputs that are tensors (weights,
/// BN statistics) are graph values, usually initializers; only scalar settings live here.
/// </summary>
public abstract record Op
{
    public abstract OpKind Kind { get; }
}

/// <summary>
/// 2-D convolution. Inputs: X [N, Cin, H, W], W [Cout, Cin/Groups, KernelH, KernelW], optional B [Cout].
/// H_out = floor((H + Top + Bottom − DilationH·(KernelH − 1) − 1) / StrideH) + 1, likewise for W.
/// </summary>
public sealed record Conv2dOp(
    int KernelH, int KernelW,
    int StrideH, int StrideW,
    Padding2d Padding,
    int DilationH = 1, int DilationW = 1,
    int Groups = 1) : Op
{
    public override OpKind Kind => OpKind.Conv2d;

    /// <summary>
    /// The int8 grid the weights lie on (symmetric, per output channel along axis 0, or per tensor), when the model says
    /// they are quantized (a QDQ file's DequantizeLinear of int8 weights): the weight initializer holds the dequantized
    /// values, so float execution needs nothing else; the int8 compiler takes the integers from here. Null: float weights.
    /// </summary>
    public QuantParams? WeightQuant { get; init; }

    /// <summary>A square k×k convolution with PyTorch's symmetric padding (k − 1)/2 unless given.</summary>
    public static Conv2dOp Square(int kernel, int stride = 1, int groups = 1, int? padding = null) =>
        new(kernel, kernel, stride, stride, Padding2d.Symmetric(padding ?? (kernel - 1) / 2), 1, 1, groups);
}

/// <summary>Inference batch normalization. Inputs: X, scale γ, bias β, mean μ, variance σ² (each [C]). y = γ(x − μ)/√(σ² + ε) + β.</summary>
public sealed record BatchNormOp(float Epsilon) : Op
{
    public override OpKind Kind => OpKind.BatchNorm;
}

/// <summary>y = max(x, 0).</summary>
public sealed record ReluOp : Op
{
    public override OpKind Kind => OpKind.Relu;
}

/// <summary>y = min(max(x, Min), Max). ReLU6 is Clip(0, 6).</summary>
public sealed record ClipOp(float Min, float Max) : Op
{
    public override OpKind Kind => OpKind.Clip;
    public bool IsRelu6 => Min == 0f && Max == 6f;
    public static ClipOp Relu6 => new(0f, 6f);
}

/// <summary>y = max(0, min(1, Alpha·x + Beta)). MobileNetV3's h-sigmoid is Alpha = 1/6, Beta = 0.5 (= ReLU6(x + 3)/6).</summary>
public sealed record HardSigmoidOp(float Alpha, float Beta) : Op
{
    public override OpKind Kind => OpKind.HardSigmoid;
    public static HardSigmoidOp MobileNetV3 => new(1f / 6f, 0.5f);
}

/// <summary>y = x · ReLU6(x + 3) / 6.</summary>
public sealed record HardSwishOp : Op
{
    public override OpKind Kind => OpKind.HardSwish;
}

/// <summary>y = 1 / (1 + e^−x).</summary>
public sealed record SigmoidOp : Op
{
    public override OpKind Kind => OpKind.Sigmoid;
}

/// <summary>Element-wise sum of two tensors with NumPy broadcasting.</summary>
public sealed record AddOp : Op
{
    public override OpKind Kind => OpKind.Add;
}

/// <summary>Element-wise product with NumPy broadcasting (SE's N×C×1×1 scale against N×C×H×W).</summary>
public sealed record MulOp : Op
{
    public override OpKind Kind => OpKind.Mul;
}

/// <summary>Concatenation along the channel axis (axis 1).</summary>
public sealed record ConcatOp : Op
{
    public override OpKind Kind => OpKind.Concat;
}

/// <summary>Channel shuffle with g groups: out[j·g + i] = in[i·n + j], n = C/g (ShuffleNetV1 §3.1).</summary>
public sealed record ChannelShuffleOp(int Groups) : Op
{
    public override OpKind Kind => OpKind.ChannelShuffle;
}

/// <summary>Channels [Start, End) of the input.</summary>
public sealed record SliceOp(int Start, int End) : Op
{
    public override OpKind Kind => OpKind.Slice;
}

/// <summary>Consecutive channel parts of the given sizes, one output each (ShuffleNetV2's channel split is Split(C/2, C/2)).</summary>
public sealed record SplitOp(IReadOnlyList<int> Sizes) : Op
{
    public override OpKind Kind => OpKind.Split;
    public bool Equals(SplitOp? other) => other is not null && Sizes.SequenceEqual(other.Sizes);
    public override int GetHashCode() => Sizes.Aggregate(17, (h, s) => h * 31 + s);
    public override string ToString() => $"SplitOp({string.Join(", ", Sizes)})";
}

/// <summary>
/// Max or average pooling window. Output size uses floor, or ceil when <see cref="CeilMode"/> (Caffe-converted graphs).
/// Max pooling ignores padded cells; average pooling divides by the full window when <c>CountIncludePad</c>
/// (PyTorch's default, used by ShuffleNetV1's shortcut) and by the in-bounds cells otherwise.
/// </summary>
public abstract record PoolOp(int KernelH, int KernelW, int StrideH, int StrideW, Padding2d Padding, bool CeilMode) : Op;

public sealed record MaxPoolOp(int KernelH, int KernelW, int StrideH, int StrideW, Padding2d Padding, bool CeilMode = false)
    : PoolOp(KernelH, KernelW, StrideH, StrideW, Padding, CeilMode)
{
    public override OpKind Kind => OpKind.MaxPool;
}

public sealed record AveragePoolOp(int KernelH, int KernelW, int StrideH, int StrideW, Padding2d Padding, bool CountIncludePad, bool CeilMode = false)
    : PoolOp(KernelH, KernelW, StrideH, StrideW, Padding, CeilMode)
{
    public override OpKind Kind => OpKind.AveragePool;
}

/// <summary>Mean over H×W: N×C×H×W → N×C×1×1.</summary>
public sealed record GlobalAveragePoolOp : Op
{
    public override OpKind Kind => OpKind.GlobalAveragePool;
}

/// <summary>N×C×H×W → N×(C·H·W) (axis 1).</summary>
public sealed record FlattenOp : Op
{
    public override OpKind Kind => OpKind.Flatten;
}

/// <summary>Fully connected layer. Inputs: X [N, K], W [M, K], optional B [M]. Y = X·Wᵀ + B.</summary>
public sealed record GemmOp : Op
{
    public override OpKind Kind => OpKind.Gemm;

    /// <summary>The int8 grid the weights lie on, per output feature (axis 0) or per tensor; see <see cref="Conv2dOp.WeightQuant"/>.</summary>
    public QuantParams? WeightQuant { get; init; }
}

/// <summary>Dropout with the given training-time ratio; the identity at inference.</summary>
public sealed record DropoutOp(float Ratio) : Op
{
    public override OpKind Kind => OpKind.Dropout;
}

/// <summary>Softmax over axis 1 (classes, or channels of a feature map).</summary>
public sealed record SoftmaxOp : Op
{
    public override OpKind Kind => OpKind.Softmax;
}
