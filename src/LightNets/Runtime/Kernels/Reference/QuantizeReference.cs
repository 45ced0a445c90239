using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Runtime.Kernels.Reference;

/// <summary>
/// Reference quantization (<c>f32-fakequant__ref</c>): ONNX's QuantizeLinear then DequantizeLinear on float32, per tensor
/// or per slice along an axis. Division by the scale (not multiplication by its inverse) and ties to even, as the ONNX
/// specification writes it; a NaN (which no integer can hold) becomes the zero point, i.e. 0.
/// </summary>
public static class QuantizeReference
{
    public static Tensor FakeQuantize(Tensor x, QuantParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.FakeQuantize(x);
    }
}
