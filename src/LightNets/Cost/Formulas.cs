namespace LightNets.Cost;

/// <summary>
/// The closed-form costs the source document argues with, as functions. Sizes: a feature map of h×w (or N×N) pixels,
/// kernel K×K, channels c_in/c_out (c1/c2), groups g; B is a layer's MACs.
/// </summary>
public static class Formulas
{
    /// <summary>Standard K×K convolution at stride 1: N·N·K·K·Cin·Cout MACs (MobileNetV1 §3.1).</summary>
    public static long StandardConvMacs(int n, int k, int cin, int cout) => (long)n * n * k * k * cin * cout;

    /// <summary>Depthwise (N·N·K·K·Cin) plus pointwise (N·N·Cin·Cout) MACs.</summary>
    public static long DepthwiseSeparableMacs(int n, int k, int cin, int cout) =>
        (long)n * n * k * k * cin + (long)n * n * cin * cout;

    /// <summary>
    /// Depthwise-separable over standard cost: 1/Cout + 1/K². (The source document's "Ratio = C_out + K·K" lost the
    /// reciprocals in transcription; MobileNetV1 eq. 5 divides the two costs and gets 1/N + 1/D_K².)
    /// </summary>
    public static double DepthwiseSeparableRatio(int k, int cout) => 1.0 / cout + 1.0 / (k * k);

    /// <summary>1×1 convolution MACs: B = h·w·c1·c2.</summary>
    public static long PointwiseMacs(int h, int w, int c1, int c2) => (long)h * w * c1 * c2;

    /// <summary>1×1 convolution memory access cost (G1): MAC = h·w·(c1 + c2) + c1·c2.</summary>
    public static long PointwiseMemoryAccess(int h, int w, int c1, int c2) => (long)h * w * (c1 + c2) + (long)c1 * c2;

    /// <summary>
    /// G1's lower bound for a 1×1 convolution of B MACs on h·w pixels: MAC ≥ 2·√(h·w·B) + B/(h·w), reached when c1 = c2
    /// (AM–GM on h·w·c1 + h·w·c2).
    /// </summary>
    public static double PointwiseMemoryAccessLowerBound(long hw, double b) => 2 * Math.Sqrt(hw * b) + b / hw;

    /// <summary>1×1 group convolution MACs (G2): B = h·w·c1·c2 / g.</summary>
    public static double GroupConvMacs(int h, int w, int c1, int c2, int g) => (double)h * w * c1 * c2 / g;

    /// <summary>1×1 group convolution memory access (G2): MAC = h·w·(c1 + c2) + c1·c2/g.</summary>
    public static double GroupConvMemoryAccess(int h, int w, int c1, int c2, int g) => (double)h * w * (c1 + c2) + (double)c1 * c2 / g;

    /// <summary>G2's form with B held fixed: MAC = h·w·c1 + B·g/c1 + B/(h·w). Grows with g at fixed B and c1.</summary>
    public static double GroupConvMemoryAccessAtFixedMacs(int h, int w, int c1, double b, int g) =>
        (double)h * w * c1 + b * g / c1 + b / (h * w);
}
