using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>
/// Copies a view into another of the same logical shape, through channel maps and any strides: ShuffleNet's concat of
/// the untouched half (the one copy its concat + shuffle + split needs), materializing a permuted view for an op that
/// cannot absorb the permutation, and NHWC → NCHW where a feature map leaves the runtime.
/// </summary>
internal sealed class CopyChannelsStep(string name, IReadOnlyList<Node> nodes, TensorView source, TensorView target,
    (int Source, int Target, int Length)[]? runs = null) : Step(name, nodes)
{
    /// <summary>Contiguous runs of physical channels, in the given order, packed one after another in the target.</summary>
    public static (int Source, int Target, int Length)[] Runs(IReadOnlyList<int> physical)
    {
        var list = new List<(int, int, int)>();
        var start = 0;
        for (var i = 1; i <= physical.Count; i++)
        {
            if (i < physical.Count && physical[i] == physical[i - 1] + 1) continue;
            list.Add((physical[start], start, i - start));
            start = i;
        }
        return list.ToArray();
    }

    public override string Describe() => runs is not null ? $"copy {source.Channels} channels in {runs.Length} runs"
        : source.Map is null ? $"copy {source.Channels} channels" : $"gather {source.Channels} channels";

    public override IEnumerable<TensorView> Operands() => [source, target];

    private int Rows => source.Batch * source.Height;

    public override int Parts(int threads) => PartsFor((long)Rows * source.Width * source.Channels, threads, Rows);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        var src = ctx.Base(source);
        var dst = ctx.Base(target);
        var contiguous = source.Map is null && source.ChannelStride == 1 && target.ChannelStride == 1 && target.Map is null
            && source.PixelStride >= source.Channels && target.PixelStride >= source.Channels;
        if (runs is not null)
        {
            // Pixel matrices: each run is one strided copy over all the rows of this part.
            var pixelsPerRow = source.Width;
            foreach (var (from, to, length) in runs)
            {
                Elementwise.CopyChannels(src + (long)start * pixelsPerRow * source.PixelStride + from, source.PixelStride,
                    dst + (long)start * pixelsPerRow * target.PixelStride + to, target.PixelStride, (end - start) * pixelsPerRow, length, ctx.Isa);
            }
            return;
        }
        if (contiguous)
        {
            for (var row = start; row < end; row++)
            {
                var n = row / source.Height;
                var y = row % source.Height;
                Elementwise.CopyChannels(src + n * source.BatchStride + y * source.RowStride, source.PixelStride,
                    dst + n * target.BatchStride + y * target.RowStride, target.PixelStride, source.Width, source.Channels, ctx.Isa);
            }
            return;
        }
        fixed (int* map = source.Map)
        {
            for (var row = start; row < end; row++)
            {
                var n = row / source.Height;
                var y = row % source.Height;
                var s = src + n * source.BatchStride + y * source.RowStride;
                var d = dst + n * target.BatchStride + y * target.RowStride;
                for (var x = 0; x < source.Width; x++)
                {
                    var sp = s + (long)x * source.PixelStride;
                    var dp = d + (long)x * target.PixelStride;
                    if (contiguous)
                    {
                        Buffer.MemoryCopy(sp, dp, source.Channels * sizeof(float), source.Channels * sizeof(float));
                    }
                    else if (map != null)
                    {
                        for (var c = 0; c < source.Channels; c++) dp[c * (long)target.ChannelStride] = sp[map[c] * (long)source.ChannelStride];
                    }
                    else
                    {
                        for (var c = 0; c < source.Channels; c++) dp[c * (long)target.ChannelStride] = sp[c * (long)source.ChannelStride];
                    }
                }
            }
        }
    }
}
