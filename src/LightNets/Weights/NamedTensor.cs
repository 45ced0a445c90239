namespace LightNets.Weights;

/// <summary>
/// One tensor of a weight file, converted to float32: its name as the file gives it, the dtype it was stored in, its
/// shape and its values, contiguous and row-major whatever the file's layout (strides, offsets, byte order).
/// </summary>
public sealed class NamedTensor
{
    internal NamedTensor(string name, string dtype, bool isInteger, int[] shape, float[] data, long bytes)
    {
        Name = name;
        DType = dtype;
        IsInteger = isInteger;
        Shape = shape;
        Data = data;
        Bytes = bytes;
    }

    /// <summary>The tensor's key in the file (a state dict key such as <c>features.0.0.weight</c>).</summary>
    public string Name { get; }

    /// <summary>
    /// The dtype the file stores, in PyTorch's words: <c>float32</c>, <c>float16</c>, <c>bfloat16</c>, <c>float64</c>,
    /// <c>int64</c>, <c>int32</c>, <c>int16</c>, <c>int8</c>, <c>uint8</c>, <c>bool</c>, ...
    /// </summary>
    public string DType { get; }

    /// <summary>
    /// Whether the source dtype is an integer or bool type (BatchNorm's <c>num_batches_tracked</c> is int64): such a
    /// tensor is a counter, not a weight, and its <see cref="Data"/> is exact only up to 2^24.
    /// </summary>
    public bool IsInteger { get; }

    /// <summary>The dimensions, outermost first; empty for a scalar (which has one value).</summary>
    public int[] Shape { get; }

    /// <summary>The values as float32, row-major, <c>product(Shape)</c> of them.</summary>
    public float[] Data { get; }

    /// <summary>The tensor's size in bytes in its source dtype (elements × the dtype's size).</summary>
    public long Bytes { get; }

    public override string ToString() => $"{Name} {DType}[{string.Join(", ", Shape)}]";
}
