namespace LightNets.Runtime.Compiler;

/// <summary>A region of the run-time arena, or one of the caller's inputs, that holds one or more views.</summary>
internal sealed class BufferSlot
{
    public BufferSlot(int id, long floats, string name)
    {
        Id = id;
        Floats = floats;
        Name = name;
    }

    public int Id { get; }
    public long Floats { get; }
    public string Name { get; }

    /// <summary>Offset in the arena in floats (64-byte aligned), set by the memory planner; unused for inputs.</summary>
    public long Offset { get; set; } = -1;

    /// <summary>Index of the graph input this slot is (the caller's NCHW memory, read in place, never planned); −1 for arena slots.</summary>
    public int InputIndex { get; init; } = -1;

    public bool IsGraphInput => InputIndex >= 0;

    /// <summary>Index of the first and last step that touch the slot (inclusive), for liveness.</summary>
    public int FirstUse { get; set; } = int.MaxValue;
    public int LastUse { get; set; } = -1;

    public void Touch(int step)
    {
        FirstUse = Math.Min(FirstUse, step);
        LastUse = Math.Max(LastUse, step);
    }

    public override string ToString() => $"slot {Id} '{Name}' ({Floats} floats @ {Offset})";
}

/// <summary>
/// Where a graph value lives at run time: element (n, y, x, c) is at
/// slot + n·BatchStride + y·RowStride + x·PixelStride + ChannelOffset + ChannelStride·Map(c), where Map is the identity
/// unless a channel permutation (ShuffleNet's shuffle) was absorbed instead of executed. The runtime layout is NHWC
/// (ChannelStride 1); only the caller's inputs are NCHW. A value of rank below 4 takes the trailing dimensions as 1
/// (<see cref="PlanCompiler.Dims"/>): vectors [N, F] are N×1×1×F.
/// </summary>
internal sealed record TensorView(
    BufferSlot Slot, int Batch, int Height, int Width, int Channels,
    long BatchStride, long RowStride, int PixelStride, int ChannelStride, int ChannelOffset, int[]? Map = null)
{
    /// <summary>A dense NHWC tensor filling <paramref name="slot"/>.</summary>
    public static TensorView Nhwc(BufferSlot slot, int n, int h, int w, int c) =>
        new(slot, n, h, w, c, (long)h * w * c, (long)w * c, c, 1, 0);

    /// <summary>A channel slice [offset, offset + channels) of a wider NHWC buffer whose pixels hold <paramref name="stride"/> channels.</summary>
    public static TensorView NhwcSlice(BufferSlot slot, int n, int h, int w, int channels, int stride, int offset) =>
        new(slot, n, h, w, channels, (long)h * w * stride, (long)w * stride, stride, 1, offset);

    /// <summary>An NCHW tensor (the caller's input). With a 1×1 image it is the same memory as NHWC, and says so.</summary>
    public static TensorView Nchw(BufferSlot slot, int n, int c, int h, int w) =>
        h * w == 1 ? Nhwc(slot, n, h, w, c) : new(slot, n, h, w, c, (long)c * h * w, w, 1, h * w, 0);

    public bool IsNhwc => ChannelStride == 1;

    /// <summary>NHWC with the pixels of an image packed back to back, so that all N·H·W pixels form one matrix with row stride PixelStride.</summary>
    public bool IsPixelMatrix => IsNhwc && RowStride == (long)Width * PixelStride && BatchStride == Height * RowStride;

    /// <summary>Physical channel (before ChannelOffset) of logical channel <paramref name="c"/>.</summary>
    public int Physical(int c) => Map?[c] ?? c;

    /// <summary>The physical channels as one contiguous run [start, start + Channels), if they are one (in any order).</summary>
    public bool TryContiguous(out int start)
    {
        if (Map is null)
        {
            start = 0;
            return true;
        }
        var min = Map.Min();
        var max = Map.Max();
        start = min;
        return max - min + 1 == Channels && Map.Distinct().Count() == Channels;
    }
}
