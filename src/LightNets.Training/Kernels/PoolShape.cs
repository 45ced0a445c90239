using LightNets.Graphs;

namespace LightNets.Training.Kernels;

/// <summary>
/// The geometry of one max or average pooling during training: a batch of N NHWC images H×W×C, a KH×KW window,
/// output N×OutH×OutW×C. Output (oy, ox) covers rows iy = oy·StrideH − PadTop + ky and columns
/// ix = ox·StrideW − PadLeft + kx; only cells inside the image are pooled. The bottom and right padding are kept because
/// an average that counts padding divides by the window cells inside the padded input (PyTorch clips a ceil-mode window
/// that hangs past the padding).
/// </summary>
public readonly record struct PoolShape(int N, int H, int W, int C, int KH, int KW, int StrideH, int StrideW,
    int PadTop, int PadLeft, int PadBottom, int PadRight, int OutH, int OutW)
{
    /// <summary>The shape of <paramref name="op"/> applied to an N×C×H×W input, with ONNX/PyTorch's output size.</summary>
    public static PoolShape Create(int n, int h, int w, int c, PoolOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        var p = op.Padding;
        return new PoolShape(n, h, w, c, op.KernelH, op.KernelW, op.StrideH, op.StrideW, p.Top, p.Left, p.Bottom, p.Right,
            ShapeInference.WindowOutputSize(h, op.KernelH, op.StrideH, 1, p.Top, p.Bottom, op.CeilMode),
            ShapeInference.WindowOutputSize(w, op.KernelW, op.StrideW, 1, p.Left, p.Right, op.CeilMode));
    }

    public long InputLength => (long)N * H * W * C;
    public long OutputLength => (long)N * OutH * OutW * C;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless every size is positive, each padding is smaller than the window, and
    /// every window holds at least one input cell (so a max is always defined).
    /// </summary>
    public void Validate()
    {
        if (N < 1 || H < 1 || W < 1 || C < 1 || KH < 1 || KW < 1 || StrideH < 1 || StrideW < 1 || OutH < 1 || OutW < 1)
            throw new ArgumentException($"pooling {this} needs positive sizes and strides");
        if (PadTop < 0 || PadLeft < 0 || PadBottom < 0 || PadRight < 0
            || PadTop >= KH || PadBottom >= KH || PadLeft >= KW || PadRight >= KW)
            throw new ArgumentException($"pooling {this}: padding must be non-negative and smaller than the window");
        if ((OutH - 1) * StrideH - PadTop >= H || (OutW - 1) * StrideW - PadLeft >= W)
            throw new ArgumentException($"pooling {this}: the last window starts past the input");
    }
}
