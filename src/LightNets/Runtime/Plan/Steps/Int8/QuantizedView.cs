using LightNets.Graphs;
using LightNets.Runtime.Compiler;

namespace LightNets.Runtime.Plan.Steps.Int8;

/// <summary>
/// A value held as 8-bit codes: the view (its strides count bytes, one per element) and the grid that gives them their
/// real values. Int8 files' codes are stored shifted by 128 into uint8 (q + 128 with zero point z + 128), so every
/// int8 kernel reads and writes uint8 alone; <see cref="Grid"/> is that uint8 grid.
/// </summary>
internal sealed record QuantizedView(TensorView View, QuantParams Grid)
{
    public float Scale => Grid.Scale[0];

    public int ZeroPoint => Grid.ZeroPoint[0];

    /// <summary>The uint8 grid that holds the values of <paramref name="grid"/> (int8 codes shifted by 128).</summary>
    public static QuantParams AsUInt8(QuantParams grid) => grid.Type == QuantType.UInt8
        ? grid
        : QuantParams.PerTensor(grid.Scale[0], grid.ZeroPoint[0] + 128, QuantType.UInt8);
}

internal static unsafe class QuantizedMemory
{
    /// <summary>Address of byte (n, 0, 0, physical channel 0) of a uint8 view.</summary>
    public static byte* Base(in RunContext ctx, TensorView view, int n = 0) =>
        (byte*)ctx.Slot(view.Slot) + n * view.BatchStride + view.ChannelOffset;

    /// <summary>Floats of arena to hold <paramref name="bytes"/> bytes.</summary>
    public static long Floats(long bytes) => (bytes + 3) / 4;
}
