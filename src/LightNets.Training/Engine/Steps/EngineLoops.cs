using System.Numerics;
using LightNets.Runtime.Threading;
using LightNets.Training.Kernels.Cpu;

namespace LightNets.Training.Engine.Steps;

/// <summary>
/// The engine's memory-bound loops (residual adds, gradient accumulation, Concat's channel copies, the input's layout
/// change) on the context's threads. Each part takes a fixed range of elements or rows, computed from the shape and the
/// part count alone, and every element's result is the same single IEEE operation whichever part computes it, so the
/// split changes no bit and results do not depend on the thread count. The work items are made once per plan and
/// reused: nothing is allocated per step. One call at a time, as a plan runs one step at a time.
/// </summary>
internal sealed unsafe class EngineLoops<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Elements per unit of an element-wise split: a few cache lines, so parts never share one.</summary>
    private const int Grain = 64;

    private readonly SumWork _sum = new();
    private readonly BlockWork _block = new();
    private readonly LayoutWork _layout = new();

    /// <summary>dst[i] = a[i] + b[i] (dst may be a or b).</summary>
    public void Add(TrainContext ctx, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> dst)
    {
        if (a.Length != dst.Length || b.Length != dst.Length)
            throw new ArgumentException($"adding {a.Length} and {b.Length} elements into {dst.Length}");
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pd = dst)
            RunSum(ctx, pa, pb, pd, dst.Length);
    }

    /// <summary>dst = src, or dst += src (as dst[i] + src[i]) when <paramref name="accumulate"/>.</summary>
    public void CopyOrAdd(TrainContext ctx, ReadOnlySpan<T> src, Span<T> dst, bool accumulate)
    {
        if (src.Length != dst.Length) throw new ArgumentException($"copying {src.Length} elements into {dst.Length}");
        fixed (T* ps = src)
        fixed (T* pd = dst)
            RunSum(ctx, accumulate ? pd : null, ps, pd, dst.Length);
    }

    /// <summary>dst = b when <paramref name="a"/> is null, else dst = a + b.</summary>
    private void RunSum(TrainContext ctx, T* a, T* b, T* dst, int length)
    {
        var w = _sum;
        w.A = a;
        w.B = b;
        w.Dst = dst;
        w.Length = length;
        ctx.Run(w, Partition.Parts(length, ctx.Threads, Math.Max(1, length / Grain)));
    }

    /// <summary>
    /// dst[r, dstStart + j] (+)= src[r, srcStart + j] for j &lt; count between two row-major tensors of
    /// <paramref name="rows"/> rows (Concat forward and backward), rows split across threads.
    /// </summary>
    public void CopyChannels(TrainContext ctx, int rows, int count, ReadOnlySpan<T> src, int srcWidth, int srcStart,
        Span<T> dst, int dstWidth, int dstStart, bool accumulate)
    {
        if ((long)rows * srcWidth != src.Length || (long)rows * dstWidth != dst.Length || srcStart + count > srcWidth || dstStart + count > dstWidth)
            throw new ArgumentException($"a block of {count} channels does not fit {rows} rows of {srcWidth} and {dstWidth} channels");
        fixed (T* ps = src)
        fixed (T* pd = dst)
        {
            var w = _block;
            w.Src = ps + srcStart;
            w.SrcWidth = srcWidth;
            w.Dst = pd + dstStart;
            w.DstWidth = dstWidth;
            (w.Rows, w.Count, w.Accumulate) = (rows, count, accumulate);
            ctx.Run(w, Partition.Parts((long)rows * count, ctx.Threads, rows));
        }
    }

    /// <summary>nhwc[(i·hw + p)·c + j] = nchw[(i·c + j)·hw + p], converted to T; the pixel rows are split across threads.</summary>
    public void ToNhwc(TrainContext ctx, ReadOnlySpan<float> nchw, Span<T> nhwc, int n, int c, int hw)
    {
        if ((long)n * c * hw != nchw.Length || nchw.Length != nhwc.Length)
            throw new ArgumentException($"an NCHW batch of {nchw.Length} values is not {n}×{c}×{hw}");
        fixed (float* ps = nchw)
        fixed (T* pd = nhwc)
        {
            var w = _layout;
            w.Src = ps;
            w.Dst = pd;
            (w.C, w.Hw, w.Rows) = (c, hw, n * hw);
            ctx.Run(w, Partition.Parts(nchw.Length, ctx.Threads, Math.Max(1, n * hw / Grain)));
        }
    }

    private sealed class SumWork : IParallelWork
    {
        public T* A;
        public T* B;
        public T* Dst;
        public int Length;

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Share(Length, part, parts, Grain);
            T* a = A, b = B, d = Dst;
            var i = start;
            if (a is null)
            {
                new ReadOnlySpan<T>(b + start, end - start).CopyTo(new Span<T>(d + start, end - start));
                return;
            }
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            {
                for (; i + Vector<T>.Count <= end; i += Vector<T>.Count)
                    (Vector.Load(a + i) + Vector.Load(b + i)).Store(d + i);
            }
            for (; i < end; i++) d[i] = a[i] + b[i];
        }
    }

    private sealed class BlockWork : IParallelWork
    {
        public T* Src;
        public int SrcWidth;
        public T* Dst;
        public int DstWidth;
        public int Rows;
        public int Count;
        public bool Accumulate;

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Share(Rows, part, parts);
            var count = Count;
            for (var r = start; r < end; r++)
            {
                T* s = Src + (nint)r * SrcWidth, d = Dst + (nint)r * DstWidth;
                if (!Accumulate)
                {
                    new ReadOnlySpan<T>(s, count).CopyTo(new Span<T>(d, count));
                    continue;
                }
                var j = 0;
                if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
                {
                    for (; j + Vector<T>.Count <= count; j += Vector<T>.Count)
                        (Vector.Load(d + j) + Vector.Load(s + j)).Store(d + j);
                }
                for (; j < count; j++) d[j] += s[j];
            }
        }
    }

    private sealed class LayoutWork : IParallelWork
    {
        public float* Src;
        public T* Dst;
        public int C;
        public int Hw;
        public int Rows;

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Share(Rows, part, parts, Grain);
            int c = C, hw = Hw;
            // Image by image within the range, each channel's plane read contiguously.
            for (var r = start; r < end;)
            {
                var i = r / hw;
                int p0 = r - i * hw, p1 = Math.Min(hw, p0 + (end - r));
                for (var j = 0; j < c; j++)
                {
                    var src = Src + ((nint)i * c + j) * hw;
                    var dst = Dst + (nint)i * hw * c + j;
                    for (var p = p0; p < p1; p++) dst[(nint)p * c] = T.CreateChecked(src[p]);
                }
                r += p1 - p0;
            }
        }
    }
}
