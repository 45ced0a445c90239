namespace LightNets.Training.Kernels.Cpu;

public sealed unsafe partial class CpuTrainKernels
{
    public void ActivationForward(TrainContext ctx, Activation a, ReadOnlySpan<float> x, Span<float> y)
    {
        KernelArgs.Length<float>(y, x.Length, nameof(y));
        var ws = For(ctx);
        fixed (float* px = x)
        fixed (float* py = y)
            ws.Activations.Forward(ctx, a, px, py, x.Length);
    }

    public void ActivationBackward(TrainContext ctx, Activation a, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        KernelArgs.Length(dy, x.Length, nameof(dy));
        KernelArgs.Length<float>(dx, x.Length, nameof(dx));
        var ws = For(ctx);
        fixed (float* px = x)
        fixed (float* pdy = dy)
        fixed (float* pdx = dx)
            ws.Activations.Backward(ctx, a, px, pdy, pdx, x.Length);
    }

    public void ScaleChannelsForward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> s, Span<float> y)
    {
        CheckScale(n, hw, c, x, s, y, nameof(y));
        var ws = For(ctx);
        fixed (float* px = x)
        fixed (float* ps = s)
        fixed (float* py = y)
            ws.Channels.ScaleForward(ctx, n, hw, c, px, ps, py);
    }

    public void ScaleChannelsBackward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> s, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> ds)
    {
        CheckScale(n, hw, c, x, s, dy, nameof(dy));
        KernelArgs.Length<float>(dx, x.Length, nameof(dx));
        KernelArgs.Length<float>(ds, s.Length, nameof(ds));
        var ws = For(ctx);
        fixed (float* px = x)
        fixed (float* ps = s)
        fixed (float* pdy = dy)
        fixed (float* pdx = dx)
        fixed (float* pds = ds)
            ws.Channels.ScaleBackward(ctx, n, hw, c, px, ps, pdy, pdx, pds);
    }

    private static void CheckScale(int n, int hw, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> s, ReadOnlySpan<float> output, string outputName)
    {
        KernelArgs.Positive(n, nameof(n));
        KernelArgs.Positive(hw, nameof(hw));
        KernelArgs.Positive(c, nameof(c));
        KernelArgs.Length(x, (long)n * hw * c, nameof(x));
        KernelArgs.Length(s, (long)n * c, nameof(s));
        KernelArgs.Length(output, (long)n * hw * c, outputName);
    }

    public void MaxPoolForward(TrainContext ctx, in PoolShape p, ReadOnlySpan<float> x, Span<float> y, Span<int> argmax)
    {
        p.Validate();
        KernelArgs.Length(x, p.InputLength, nameof(x));
        KernelArgs.Length<float>(y, p.OutputLength, nameof(y));
        KernelArgs.Length<int>(argmax, p.OutputLength, nameof(argmax));
        var ws = For(ctx);
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (int* pa = argmax)
            ws.Pools.MaxForward(ctx, p, px, py, pa);
    }

    public void MaxPoolBackward(TrainContext ctx, in PoolShape p, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx)
    {
        p.Validate();
        KernelArgs.Length(dy, p.OutputLength, nameof(dy));
        KernelArgs.Length(argmax, p.OutputLength, nameof(argmax));
        KernelArgs.Length<float>(dx, p.InputLength, nameof(dx));
        // Images are scattered in parallel: each index must point into its own image (as MaxPoolForward's do), checked
        // here on the calling thread, where an exception can be thrown.
        // Image by image, without a division per index (it cost more than the scatter itself).
        var inputSize = (long)p.H * p.W * p.C;
        var outputSize = p.OutH * p.OutW * p.C;
        for (var n = 0; n < p.N; n++)
        {
            var low = n * inputSize;
            for (int o = n * outputSize, end = o + outputSize; o < end; o++)
            {
                if ((ulong)(argmax[o] - low) >= (ulong)inputSize)
                    throw new ArgumentException($"argmax[{o}] = {argmax[o]} is outside the input of its image", nameof(argmax));
            }
        }
        var ws = For(ctx);
        fixed (float* pdy = dy)
        fixed (int* pa = argmax)
        fixed (float* pdx = dx)
            ws.Pools.MaxBackward(ctx, p, pdy, pa, pdx);
    }

    public void AvgPoolForward(TrainContext ctx, in PoolShape p, bool countIncludePad, ReadOnlySpan<float> x, Span<float> y)
    {
        p.Validate();
        KernelArgs.Length(x, p.InputLength, nameof(x));
        KernelArgs.Length<float>(y, p.OutputLength, nameof(y));
        var ws = For(ctx);
        fixed (float* px = x)
        fixed (float* py = y)
            ws.Pools.AvgForward(ctx, p, countIncludePad, px, py);
    }

    public void AvgPoolBackward(TrainContext ctx, in PoolShape p, bool countIncludePad, ReadOnlySpan<float> dy, Span<float> dx)
    {
        p.Validate();
        KernelArgs.Length(dy, p.OutputLength, nameof(dy));
        KernelArgs.Length<float>(dx, p.InputLength, nameof(dx));
        var ws = For(ctx);
        fixed (float* pdy = dy)
        fixed (float* pdx = dx)
            ws.Pools.AvgBackward(ctx, p, countIncludePad, pdy, pdx);
    }

    public void GlobalAvgPoolForward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckGlobal(n, hw, c, x, y, nameof(x), nameof(y));
        var ws = For(ctx);
        fixed (float* px = x)
        fixed (float* py = y)
            ws.Pools.GlobalForward(ctx, n, hw, c, px, py);
    }

    public void GlobalAvgPoolBackward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<float> dy, Span<float> dx)
    {
        CheckGlobal(n, hw, c, dx, dy, nameof(dx), nameof(dy));
        var ws = For(ctx);
        fixed (float* pdy = dy)
        fixed (float* pdx = dx)
            ws.Pools.GlobalBackward(ctx, n, hw, c, pdy, pdx);
    }

    private static void CheckGlobal(int n, int hw, int c, ReadOnlySpan<float> planes, ReadOnlySpan<float> pooled, string planesName, string pooledName)
    {
        KernelArgs.Positive(n, nameof(n));
        KernelArgs.Positive(hw, nameof(hw));
        KernelArgs.Positive(c, nameof(c));
        KernelArgs.Length(planes, (long)n * hw * c, planesName);
        KernelArgs.Length(pooled, (long)n * c, pooledName);
    }

    public void GatherChannels(TrainContext ctx, int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckMap(rows, cin, cout, map, x, y, nameof(x), nameof(y));
        var ws = For(ctx);
        fixed (int* pm = map)
        fixed (float* px = x)
        fixed (float* py = y)
            ws.Channels.Gather(ctx, rows, cin, cout, pm, px, py, (int*)ctx.ScratchOf(Elementwise.ChannelKernels.MapScratch(cin, cout)));
    }

    public void ScatterAddChannels(TrainContext ctx, int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<float> dy, Span<float> dx)
    {
        CheckMap(rows, cin, cout, map, dx, dy, nameof(dx), nameof(dy));
        var ws = For(ctx);
        fixed (int* pm = map)
        fixed (float* pdy = dy)
        fixed (float* pdx = dx)
            ws.Channels.ScatterAdd(ctx, rows, cin, cout, pm, pdy, pdx, (int*)ctx.ScratchOf(Elementwise.ChannelKernels.MapScratch(cin, cout)));
    }

    private static void CheckMap(int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<float> wide, ReadOnlySpan<float> mapped,
        string wideName, string mappedName)
    {
        KernelArgs.Positive(rows, nameof(rows));
        KernelArgs.Positive(cin, nameof(cin));
        KernelArgs.Positive(cout, nameof(cout));
        KernelArgs.Length(map, cout, nameof(map));
        foreach (var m in map)
        {
            if ((uint)m >= (uint)cin) throw new ArgumentException($"channel map entry {m} is outside the {cin} input channels", nameof(map));
        }
        KernelArgs.Length(wide, (long)rows * cin, wideName);
        KernelArgs.Length(mapped, (long)rows * cout, mappedName);
    }

    public float SoftmaxCrossEntropy(TrainContext ctx, int n, int classes, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, float smoothing,
        Span<float> dlogits)
    {
        KernelArgs.Positive(n, nameof(n));
        KernelArgs.Positive(classes, nameof(classes));
        KernelArgs.Length(logits, (long)n * classes, nameof(logits));
        KernelArgs.Length(labels, n, nameof(labels));
        KernelArgs.Length<float>(dlogits, (long)n * classes, nameof(dlogits));
        if (!(smoothing >= 0f && smoothing <= 1f))
            throw new ArgumentException($"label smoothing must lie in [0, 1] but is {smoothing}", nameof(smoothing));
        for (var i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"label {labels[i]} of sample {i} is outside the {classes} classes", nameof(labels));
        }
        var ws = For(ctx);
        fixed (float* pl = logits)
        fixed (int* plab = labels)
        fixed (float* pd = dlogits)
            return ws.Loss.Run(ctx, n, classes, pl, plab, smoothing, pd, ctx.ScratchOf(n));
    }
}
