namespace LightNets.Runtime.Kernels.Reference.Int8;

/// <summary>Twin of <see cref="Cpu.Int8.Int8Gather"/>: target channel i of pixel p is source channel from[i] of pixel p, one byte at a time.</summary>
public static class Int8GatherReference
{
    public static void Run(ReadOnlySpan<int> from, ReadOnlySpan<byte> src, int srcStride, Span<byte> dst, int dstStride, int pixels)
    {
        for (var p = 0; p < pixels; p++)
            for (var i = 0; i < from.Length; i++)
                dst[p * dstStride + i] = src[p * srcStride + from[i]];
    }
}
