namespace LightNets.Graphs;

/// <summary>The closed set of operators the five families and their ONNX exports need.</summary>
public enum OpKind
{
    Conv2d,
    BatchNorm,
    Relu,
    /// <summary>min(max(x, Min), Max); ReLU6 is Clip(0, 6).</summary>
    Clip,
    HardSigmoid,
    HardSwish,
    Sigmoid,
    Add,
    Mul,
    Concat,
    ChannelShuffle,
    /// <summary>A contiguous range of channels.</summary>
    Slice,
    /// <summary>Channels cut into consecutive parts, one output per part.</summary>
    Split,
    MaxPool,
    AveragePool,
    GlobalAveragePool,
    Flatten,
    /// <summary>Fully connected: Y = X·Wᵀ + b with W stored [out, in] (PyTorch's Linear, ONNX Gemm with transB = 1).</summary>
    Gemm,
    /// <summary>Identity at inference.</summary>
    Dropout,
    Softmax,
    /// <summary>QuantizeLinear + DequantizeLinear: values rounded to an 8-bit grid (see FakeQuantizeOp).</summary>
    FakeQuantize,
}
