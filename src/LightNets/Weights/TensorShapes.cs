namespace LightNets.Weights;

/// <summary>Shape checks shared by the readers: dimensions a .NET array can index, element counts it can hold.</summary>
internal static class TensorShapes
{
    /// <summary>
    /// The shape as <see cref="int"/>s. The caller has already bounded the element count by the bytes the file really
    /// holds; this refuses a dimension that no <see cref="NamedTensor.Shape"/> can express.
    /// </summary>
    public static int[] ToInt(IReadOnlyList<long> shape, string name, Func<string, Exception> fail)
    {
        var result = new int[shape.Count];
        for (var i = 0; i < result.Length; i++)
        {
            if (shape[i] is < 0 or > int.MaxValue)
                throw fail($"tensor '{name}' has shape [{string.Join(", ", shape)}], a dimension outside 0 to {int.MaxValue}");
            result[i] = (int)shape[i];
        }
        return result;
    }

    /// <summary>
    /// The number of elements of <paramref name="shape"/> (1 for a scalar), or −1 when it exceeds
    /// <paramref name="limit"/>; the product is checked at every factor, so it never overflows.
    /// </summary>
    public static long Elements(IReadOnlyList<long> shape, long limit)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) return -1;
            if (d == 0) return 0;
        }
        foreach (var d in shape)
        {
            if (count > limit / d) return -1;
            count *= d;
        }
        return count;
    }

    /// <summary>A float32 array of <paramref name="count"/> elements, a count already bounded by the file's size.</summary>
    public static float[] Allocate(long count, string name, Func<string, Exception> fail)
    {
        if (count > Array.MaxLength) throw fail($"tensor '{name}' has {count} elements, more than one .NET array can hold");
        return count == 0 ? [] : new float[count];
    }
}
