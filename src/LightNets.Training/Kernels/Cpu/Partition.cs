namespace LightNets.Training.Kernels.Cpu;

/// <summary>
/// How the fast training kernels cut their work into parts for <see cref="TrainContext.Run"/>. Two kinds of split:
/// <list type="bullet">
/// <item>splits that never change the arithmetic of any output element (rows of a GEMM, channel blocks, images): these
/// may depend on the thread count, to give every thread work;</item>
/// <item>splits of a reduction (a weight gradient summed over pixels, BatchNorm's statistics): these depend only on the
/// shapes (<see cref="ReductionSegments"/>), so a reduction is summed in the same order whatever the thread count, and
/// results are bit-identical across thread counts, not only for a given one.</item>
/// </list>
/// </summary>
internal static class Partition
{
    /// <summary>
    /// Work (multiply-adds, or element operations) below which a kernel stays on the calling thread: about 3 µs, a
    /// little more than handing a part to a spinning worker costs (the inference runtime measured the same threshold).
    /// </summary>
    public const long MinParallelWork = 300_000;

    /// <summary>
    /// How many parts to cut <paramref name="work"/> into: 1 when it is small or there is one thread, else four per
    /// thread (parts are claimed from a shared counter, so a thread that starts late takes fewer), at most
    /// <paramref name="maxParts"/>.
    /// </summary>
    public static int Parts(long work, int threads, int maxParts)
    {
        if (threads <= 1 || work < MinParallelWork) return 1;
        return Math.Max(1, Math.Min(4 * threads, maxParts));
    }

    /// <summary>Splits [0, count) into <paramref name="parts"/> contiguous ranges whose starts are multiples of <paramref name="grain"/>.</summary>
    public static (int Start, int End) Share(int count, int part, int parts, int grain = 1)
    {
        var units = (count + grain - 1) / grain;
        var start = (int)((long)units * part / parts) * grain;
        var end = (int)((long)units * (part + 1) / parts) * grain;
        return (Math.Min(start, count), Math.Min(end, count));
    }

    /// <summary>
    /// Into how many consecutive row segments a reduction over <paramref name="rows"/> rows is cut, each summed into its
    /// own partial result and the partials then added in segment order: about one per 2,048 rows, at most
    /// <paramref name="maxSegments"/>. A function of the shape alone (see the class summary).
    /// </summary>
    public static int ReductionSegments(long rows, int maxSegments) => (int)Math.Clamp(rows / 2048, 1, Math.Max(1, maxSegments));

    /// <summary><paramref name="floats"/> rounded up to a multiple of 16, so that scratch carved from one block stays 64-byte aligned.</summary>
    public static long Align(long floats) => (floats + 15) & ~15L;
}

internal static unsafe class ScratchExtensions
{
    /// <summary><see cref="TrainContext.Scratch"/> for a size computed in 64-bit arithmetic (checked on 32-bit hosts).</summary>
    public static float* ScratchOf(this TrainContext ctx, long floats) => ctx.Scratch(checked((nint)floats));
}
