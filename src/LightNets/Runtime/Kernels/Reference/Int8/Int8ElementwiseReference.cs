using LightNets.Runtime.Kernels.Cpu.Int8;

namespace LightNets.Runtime.Kernels.Reference.Int8;

/// <summary>
/// Reference element-wise int8 kernels, twins of <see cref="Int8Elementwise"/>: one value at a time, on dense spans
/// (element i of a tensor of <c>pixels</c> rows is at p·stride + c for the strided kernels, here i = p·C + c).
/// </summary>
public static class Int8ElementwiseReference
{
    /// <summary>
    /// ONNX QuantizeLinear to uint8: saturate(round_half_even(x / scale) + zero point), the division in float32, the
    /// sum and clamp in double (exact).
    /// </summary>
    public static byte Quantize(float x, QuantParams q) => (byte)Math.Clamp((double)MathF.Round(x / q.Scale) + q.ZeroPoint, 0, 255);

    /// <summary>
    /// The binary operations' output quantization: saturate(round_half_even(x · (1/scale)) + zero point), the reciprocal
    /// and the product in float32 (see <see cref="Int8Elementwise.Add"/>).
    /// </summary>
    public static byte QuantizeByReciprocal(float x, QuantParams q) =>
        (byte)Math.Clamp((double)MathF.Round(x * (1f / q.Scale)) + q.ZeroPoint, 0, 255);

    /// <summary>ONNX DequantizeLinear: (float)(q − zero point) · scale.</summary>
    public static float Dequantize(byte q, QuantParams p) => (q - p.ZeroPoint) * p.Scale;

    /// <summary>QLinearAdd: QuantizeByReciprocal(Dequantize(a) + Dequantize(b)), each step rounded to float32.</summary>
    public static byte Add(byte a, QuantParams aq, byte b, QuantParams bq, QuantParams yq) =>
        QuantizeByReciprocal(Dequantize(a, aq) + Dequantize(b, bq), yq);

    /// <summary>QLinearMul: QuantizeByReciprocal(Dequantize(a) · Dequantize(b)), each step rounded to float32.</summary>
    public static byte Multiply(byte a, QuantParams aq, byte b, QuantParams bq, QuantParams yq) =>
        QuantizeByReciprocal(Dequantize(a, aq) * Dequantize(b, bq), yq);

    /// <summary>NCHW floats of one image (plane c at c·pixels) to NHWC bytes: y[p·C + c] = Quantize(x[c·pixels + p]).</summary>
    public static byte[] QuantizeNchw(ReadOnlySpan<float> x, int pixels, int channels, QuantParams q)
    {
        var y = new byte[pixels * channels];
        for (var c = 0; c < channels; c++)
            for (var p = 0; p < pixels; p++)
                y[p * channels + c] = Quantize(x[c * pixels + p], q);
        return y;
    }

    /// <summary>The Squeeze-and-Excite scale: y[p·C + c] = Multiply(a[p·C + c], b[c]).</summary>
    public static byte[] MultiplyByChannel(ReadOnlySpan<byte> a, QuantParams aq, ReadOnlySpan<byte> b, QuantParams bq, QuantParams yq,
        int pixels, int channels)
    {
        var y = new byte[pixels * channels];
        for (var p = 0; p < pixels; p++)
            for (var c = 0; c < channels; c++)
                y[p * channels + c] = Multiply(a[p * channels + c], aq, b[c], bq, yq);
        return y;
    }
}
