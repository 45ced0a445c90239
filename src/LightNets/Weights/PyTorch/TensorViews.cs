using System.Runtime.CompilerServices;

namespace LightNets.Weights.PyTorch;

/// <summary>
/// A tensor as a view of its storage (offset, sizes, strides in elements), checked against the storage and copied out
/// into a contiguous row-major float32 array. <c>torch.save</c> keeps views as they are: a transposed weight is its
/// original storage with swapped strides, and two tensors may be two windows of one storage.
/// </summary>
internal static class TensorViews
{
    /// <summary>
    /// The element count of <paramref name="tensor"/>, after checking that every element it addresses lies within its
    /// storage's declared element count (which the caller checks against the file), with arithmetic that cannot
    /// overflow.
    /// </summary>
    public static long Check(string name, TensorRef tensor, Func<string, Exception> fail)
    {
        var what = $"tensor '{TorchUnpickler.Clip(name)}'";
        var count = TensorShapes.Elements(tensor.Size, Array.MaxLength);
        if (count < 0)
            throw fail($"{what} has size [{string.Join(", ", tensor.Size)}], more elements than one .NET array can hold");
        var storage = tensor.Storage;
        var elements = storage.Elements;
        if (tensor.Offset > elements || (count > 0 && tensor.Offset == elements))
            throw fail($"{what} starts at element {tensor.Offset} of storage '{TorchUnpickler.Clip(storage.Key)}', which has {elements}");
        if (count == 0) return 0;
        // The last element addressed: offset + Σ (size − 1) × stride, each step bounded by what the storage has left.
        var last = tensor.Offset;
        for (var i = 0; i < tensor.Size.Length; i++)
        {
            if (tensor.Size[i] <= 1 || tensor.Stride[i] == 0) continue;
            if (tensor.Size[i] - 1 > (elements - 1 - last) / tensor.Stride[i])
                throw fail($"{what} (offset {tensor.Offset}, size [{string.Join(", ", tensor.Size)}], stride [{string.Join(", ", tensor.Stride)}]) " +
                           $"reaches past the end of storage '{TorchUnpickler.Clip(storage.Key)}', which has {elements} elements");
            last += (tensor.Size[i] - 1) * tensor.Stride[i];
        }
        return count;
    }

    /// <summary>
    /// Copies the <paramref name="count"/> elements of a view that <see cref="Check"/> accepted out of its storage's
    /// bytes (<c>Elements × Type.Size</c> of them), converting them to float32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] Gather(TensorRef tensor, long count, byte[] storage, bool bigEndian)
    {
        var type = tensor.Storage.Type;
        var result = count == 0 ? [] : new float[count];
        if (count == 0) return result;
        if (IsContiguous(tensor))
        {
            type.Decode(storage.AsSpan((int)(tensor.Offset * type.Size)), result, bigEndian);
            return result;
        }
        // An odometer over every dimension but the last, which the inner loop walks by its stride.
        var rank = tensor.Size.Length;
        var index = new long[rank];
        var inner = tensor.Size[rank - 1];
        var innerStride = tensor.Stride[rank - 1];
        long start = tensor.Offset, written = 0;
        while (written < count)
        {
            for (long j = 0, at = start; j < inner; j++, at += innerStride)
                result[written++] = type.DecodeOne(storage.AsSpan((int)(at * type.Size)), bigEndian);
            for (var d = rank - 2; d >= 0; d--)
            {
                start += tensor.Stride[d];
                if (++index[d] < tensor.Size[d]) break;
                start -= tensor.Stride[d] * tensor.Size[d];
                index[d] = 0;
            }
        }
        return result;
    }

    /// <summary>Row-major without gaps: each stride is the product of the sizes after it (dimensions of size 1 aside).</summary>
    private static bool IsContiguous(TensorRef tensor)
    {
        long expected = 1;
        for (var i = tensor.Size.Length - 1; i >= 0; i--)
        {
            if (tensor.Size[i] == 1) continue;
            if (tensor.Stride[i] != expected) return false;
            expected *= tensor.Size[i];
        }
        return true;
    }
}
