using LightNets.Graphs;

namespace LightNets.Training.Kernels;

/// <summary>
/// The geometry of one convolution during training: a batch of N NHWC images H×W×Cin, OIHW weights
/// [Cout, Cin/Groups, KH, KW], output N×OutH×OutW×Cout. Output (oy, ox) reads input rows
/// iy = oy·StrideH − PadTop + ky·DilationH and columns ix = ox·StrideW − PadLeft + kx·DilationW; cells outside the image
/// are the zero padding and contribute nothing. The bottom and right padding only decide OutH and OutW, so they are not
/// kept. Depthwise is Groups == Cin == Cout.
/// </summary>
public readonly record struct ConvShape(int N, int H, int W, int Cin, int Cout, int KH, int KW,
    int StrideH, int StrideW, int PadTop, int PadLeft, int DilationH, int DilationW, int Groups, int OutH, int OutW)
{
    /// <summary>The shape of <paramref name="op"/> applied to an N×Cin×H×W input, with ONNX/PyTorch's output size.</summary>
    public static ConvShape Create(int n, int h, int w, int cin, int cout, Conv2dOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        var p = op.Padding;
        return new ConvShape(n, h, w, cin, cout, op.KernelH, op.KernelW, op.StrideH, op.StrideW, p.Top, p.Left,
            op.DilationH, op.DilationW, op.Groups,
            ShapeInference.WindowOutputSize(h, op.KernelH, op.StrideH, op.DilationH, p.Top, p.Bottom, ceilMode: false),
            ShapeInference.WindowOutputSize(w, op.KernelW, op.StrideW, op.DilationW, p.Left, p.Right, ceilMode: false));
    }

    public int CinPerGroup => Cin / Groups;
    public int CoutPerGroup => Cout / Groups;
    public bool IsDepthwise => Groups == Cin && Groups == Cout;

    /// <summary>Elements of the input x (and of dx).</summary>
    public long InputLength => (long)N * H * W * Cin;
    /// <summary>Elements of the output y (and of dy).</summary>
    public long OutputLength => (long)N * OutH * OutW * Cout;
    /// <summary>Elements of the weight w (and of dw).</summary>
    public long WeightLength => (long)Cout * CinPerGroup * KH * KW;

    /// <summary>Throws <see cref="ArgumentException"/> unless every size is positive and the groups divide both channel counts.</summary>
    public void Validate()
    {
        if (N < 1 || H < 1 || W < 1 || Cin < 1 || Cout < 1 || KH < 1 || KW < 1 || OutH < 1 || OutW < 1)
            throw new ArgumentException($"convolution {this} needs positive sizes");
        if (StrideH < 1 || StrideW < 1 || DilationH < 1 || DilationW < 1 || PadTop < 0 || PadLeft < 0)
            throw new ArgumentException($"convolution {this} needs positive strides and dilations and non-negative padding");
        if (Groups < 1 || Cin % Groups != 0 || Cout % Groups != 0)
            throw new ArgumentException($"convolution {this}: {Groups} groups do not divide {Cin} input and {Cout} output channels");
    }
}
