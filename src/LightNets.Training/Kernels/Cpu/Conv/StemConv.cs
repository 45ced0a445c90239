using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Threading;

namespace LightNets.Training.Kernels.Cpu.Conv;

/// <summary>
/// Dense k×k convolutions with few input channels (the stems: Cin = 1 or 3) computed directly over output-channel
/// vectors (kernel ids f32-conv-stem-train-fwd, f32-conv-stem-train-bwd-weight), where im2col + GEMM spends its time
/// building a 27-column matrix for a 16-wide product. The weights are repacked per call into scratch as
/// [KH·KW·Cin, Cout rounded up to 16]: one vector per (tap, input channel).
/// <list type="bullet">
/// <item>forward: per output pixel and output-channel block, one accumulator over the taps inside the image and the
/// input channels, each a broadcast input value times a weight vector, four pixels at a time; parts take output rows,
/// each output is computed by one part;</item>
/// <item>backward-weight: per output row, tap and output block, Σ x[tap, ci]·dy[block] over the row's pixels in
/// registers, added into a per-segment partial; the pixels are cut into segments fixed by the shape and the partials
/// added in segment order, so the result is the same for every thread count.</item>
/// </list>
/// One call at a time per instance.
/// </summary>
internal sealed unsafe class StemConv
{
    private readonly Work _work = new();

    /// <summary>Whether the direct kernels take this convolution: dense, k×k, and at most 4 input channels.</summary>
    public static bool Fits(in ConvShape s) => s.Groups == 1 && s.Cin <= 4 && s.KH * s.KW > 1 && (long)s.KH * s.KW * s.Cin <= 256;

    private static int PaddedCout(in ConvShape s) => (s.Cout + 15) & ~15;
    private static int Rows(in ConvShape s) => s.KH * s.KW * s.Cin;

    /// <summary>Floats of packed weights.</summary>
    public static long ForwardScratch(in ConvShape s) => Partition.Align((long)Rows(s) * PaddedCout(s));

    /// <summary>Pixel segments of the weight gradient: a function of the shape alone.</summary>
    private static int Segments(in ConvShape s) => Partition.ReductionSegments((long)s.N * s.OutH * s.OutW, 16);

    /// <summary>Floats of per-segment partial weight gradients.</summary>
    public static long WeightScratch(in ConvShape s) => (long)Segments(s) * ForwardScratch(s);

    /// <summary>y = conv(x, w) + bias, NHWC.</summary>
    public void Forward(TrainContext ctx, in ConvShape s, float* x, float* w, float* bias, float* y, float* scratch)
    {
        var cp = PaddedCout(s);
        var rows = Rows(s);
        new Span<float>(scratch, rows * cp).Clear();
        for (var co = 0; co < s.Cout; co++)
        for (var ci = 0; ci < s.Cin; ci++)
        for (var t = 0; t < s.KH * s.KW; t++)
            scratch[(t * s.Cin + ci) * cp + co] = w[(co * s.Cin + ci) * s.KH * s.KW + t];
        var k = _work;
        k.S = s;
        k.X = x;
        k.W = scratch;
        k.Bias = bias;
        k.Y = y;
        k.Backward = false;
        k.Isa = ctx.Isa;
        ctx.Run(k, Partition.Parts(s.OutputLength * rows, ctx.Threads, s.N * s.OutH));
    }

    /// <summary>dw[co, ci, ky, kx] = Σ over output pixels of dy[·, co]·x[·, ci] at that tap (overwritten).</summary>
    public void BackwardWeight(TrainContext ctx, in ConvShape s, float* x, float* dy, float* dw, float* scratch)
    {
        var k = _work;
        var segments = Segments(s);
        k.S = s;
        k.X = x;
        k.Dy = dy;
        k.W = scratch;
        k.Backward = true;
        k.Isa = ctx.Isa;
        ctx.Run(k, segments);
        var cp = PaddedCout(s);
        var stride = (nint)Rows(s) * cp;
        var taps = s.KH * s.KW;
        for (var co = 0; co < s.Cout; co++)
        for (var ci = 0; ci < s.Cin; ci++)
        for (var t = 0; t < taps; t++)
        {
            var p = scratch + (t * s.Cin + ci) * cp + co;
            var sum = p[0];
            for (var seg = 1; seg < segments; seg++) sum += p[seg * stride];
            dw[(co * s.Cin + ci) * taps + t] = sum;
        }
    }

    private sealed class Work : IParallelWork
    {
        public ConvShape S;
        public float* X, W, Bias, Y, Dy;
        public bool Backward;
        public Isa Isa;

        public void Execute(int part, int parts)
        {
            switch (Isa)
            {
                case Isa.V512: Execute<Vector512<float>, Simd512>(part, parts); break;
                case Isa.V256: Execute<Vector256<float>, Simd256>(part, parts); break;
                case Isa.V128: Execute<Vector128<float>, Simd128>(part, parts); break;
                default: Execute<float, SimdScalar>(part, parts); break;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Execute<TV, TS>(int part, int parts) where TV : unmanaged where TS : ISimd<TV>
        {
            var s = S;
            if (Backward)
            {
                var (p0, p1) = Partition.Share(s.N * s.OutH * s.OutW, part, parts);
                var partial = W + part * (nint)Rows(s) * PaddedCout(s);
                new Span<float>(partial, Rows(s) * PaddedCout(s)).Clear();
                // The segment's pixels, row by row: [p0, p1) starts and ends anywhere in a row.
                for (var p = p0; p < p1;)
                {
                    var row = p / s.OutW;
                    var ox0 = p - row * s.OutW;
                    var ox1 = Math.Min(s.OutW, ox0 + (p1 - p));
                    for (var co = 0; co < s.Cout; co += TS.Count) WeightRow<TV, TS>(s, row, ox0, ox1, co, partial);
                    p += ox1 - ox0;
                }
                return;
            }
            var (r0, r1) = Partition.Share(s.N * s.OutH, part, parts);
            for (var row = r0; row < r1; row++)
            {
                var ox = 0;
                for (; ox + 4 <= s.OutW; ox += 4) ForwardPixels<TV, TS>(s, row, ox);
                for (; ox < s.OutW; ox++) ForwardPixel<TV, TS>(s, row, ox);
            }
        }

        /// <summary>
        /// Every output channel of four neighbouring pixels: four independent accumulators, so the multiply-adds of a
        /// window overlap instead of waiting on each other (each output's own sum keeps the single-pixel order).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void ForwardPixels<TV, TS>(in ConvShape s, int row, int ox) where TV : unmanaged where TS : ISimd<TV>
        {
            var n = row / s.OutH;
            var oy = row - n * s.OutH;
            var cp = PaddedCout(s);
            nint cin = s.Cin, step = (nint)s.StrideW * s.Cin;
            var w = (uint)s.W;
            var output = Y + ((nint)row * s.OutW + ox) * s.Cout;
            for (var co = 0; co < s.Cout; co += TS.Count)
            {
                var lanes = Math.Min(TS.Count, s.Cout - co);
                var mask = TS.MaskFor(lanes);
                var acc0 = Bias == null ? TS.Zero : lanes == TS.Count ? TS.Load(Bias + co) : TS.LoadMasked(Bias + co, mask);
                TV acc1 = acc0, acc2 = acc0, acc3 = acc0;
                for (var ky = 0; ky < s.KH; ky++)
                {
                    var iy = oy * s.StrideH - s.PadTop + ky * s.DilationH;
                    if ((uint)iy >= (uint)s.H) continue;
                    var xRow = X + ((nint)n * s.H + iy) * s.W * s.Cin;
                    for (var kx = 0; kx < s.KW; kx++)
                    {
                        var ix = ox * s.StrideW - s.PadLeft + kx * s.DilationW;
                        var xp = xRow + (nint)ix * cin;
                        bool in0 = (uint)ix < w, in1 = (uint)(ix + s.StrideW) < w, in2 = (uint)(ix + 2 * s.StrideW) < w, in3 = (uint)(ix + 3 * s.StrideW) < w;
                        var wp = W + (nint)(ky * s.KW + kx) * s.Cin * cp + co;
                        for (var ci = 0; ci < s.Cin; ci++, wp += cp)
                        {
                            var wv = TS.Load(wp);
                            if (in0) acc0 = TS.MultiplyAdd(TS.Broadcast(xp[ci]), wv, acc0);
                            if (in1) acc1 = TS.MultiplyAdd(TS.Broadcast(xp[step + ci]), wv, acc1);
                            if (in2) acc2 = TS.MultiplyAdd(TS.Broadcast(xp[2 * step + ci]), wv, acc2);
                            if (in3) acc3 = TS.MultiplyAdd(TS.Broadcast(xp[3 * step + ci]), wv, acc3);
                        }
                    }
                }
                if (lanes == TS.Count)
                {
                    TS.Store(output + co, acc0);
                    TS.Store(output + s.Cout + co, acc1);
                    TS.Store(output + 2 * s.Cout + co, acc2);
                    TS.Store(output + 3 * s.Cout + co, acc3);
                }
                else
                {
                    TS.StoreMasked(output + co, mask, acc0);
                    TS.StoreMasked(output + s.Cout + co, mask, acc1);
                    TS.StoreMasked(output + 2 * s.Cout + co, mask, acc2);
                    TS.StoreMasked(output + 3 * s.Cout + co, mask, acc3);
                }
            }
        }

        /// <summary>Every output channel of one pixel: block by block, one accumulator over the window.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void ForwardPixel<TV, TS>(in ConvShape s, int row, int ox) where TV : unmanaged where TS : ISimd<TV>
        {
            var n = row / s.OutH;
            var oy = row - n * s.OutH;
            var cp = PaddedCout(s);
            var output = Y + ((nint)row * s.OutW + ox) * s.Cout;
            for (var co = 0; co < s.Cout; co += TS.Count)
            {
                var lanes = Math.Min(TS.Count, s.Cout - co);
                var mask = TS.MaskFor(lanes);
                var acc = Bias == null ? TS.Zero : lanes == TS.Count ? TS.Load(Bias + co) : TS.LoadMasked(Bias + co, mask);
                for (var ky = 0; ky < s.KH; ky++)
                {
                    var iy = oy * s.StrideH - s.PadTop + ky * s.DilationH;
                    if ((uint)iy >= (uint)s.H) continue;
                    var xRow = X + ((nint)n * s.H + iy) * s.W * s.Cin;
                    for (var kx = 0; kx < s.KW; kx++)
                    {
                        var ix = ox * s.StrideW - s.PadLeft + kx * s.DilationW;
                        if ((uint)ix >= (uint)s.W) continue;
                        var xp = xRow + (nint)ix * s.Cin;
                        var wp = W + (nint)(ky * s.KW + kx) * s.Cin * cp + co;
                        for (var ci = 0; ci < s.Cin; ci++, wp += cp) acc = TS.MultiplyAdd(TS.Broadcast(xp[ci]), TS.Load(wp), acc);
                    }
                }
                if (lanes == TS.Count) TS.Store(output + co, acc);
                else TS.StoreMasked(output + co, mask, acc);
            }
        }

        /// <summary>
        /// Output pixels [ox0, ox1) of one row, output block co: for each tap, Σ dy[block]·x[tap, ci] over the pixels in
        /// registers (up to 4 input channels, even and odd pixels in separate accumulators so that the multiply-adds
        /// overlap), then added to the partial.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void WeightRow<TV, TS>(in ConvShape s, int row, int ox0, int ox1, int co, float* partial) where TV : unmanaged where TS : ISimd<TV>
        {
            var n = row / s.OutH;
            var oy = row - n * s.OutH;
            var cp = PaddedCout(s);
            var lanes = Math.Min(TS.Count, s.Cout - co);
            var mask = TS.MaskFor(lanes);
            var full = lanes == TS.Count;
            var dyRow = Dy + (nint)row * s.OutW * s.Cout + co;
            int cin = s.Cin;
            var w = (uint)s.W;
            for (var ky = 0; ky < s.KH; ky++)
            {
                var iy = oy * s.StrideH - s.PadTop + ky * s.DilationH;
                if ((uint)iy >= (uint)s.H) continue;
                var xRow = X + ((nint)n * s.H + iy) * s.W * s.Cin;
                for (var kx = 0; kx < s.KW; kx++)
                {
                    TV e0 = TS.Zero, e1 = TS.Zero, e2 = TS.Zero, e3 = TS.Zero, o0 = TS.Zero, o1 = TS.Zero, o2 = TS.Zero, o3 = TS.Zero;
                    var ox = ox0;
                    for (; ox + 1 < ox1; ox += 2)
                    {
                        var ix = ox * s.StrideW - s.PadLeft + kx * s.DilationW;
                        var xp = xRow + (nint)ix * cin;
                        if ((uint)ix < w)
                        {
                            var g = full ? TS.Load(dyRow + (nint)ox * s.Cout) : TS.LoadMasked(dyRow + (nint)ox * s.Cout, mask);
                            e0 = TS.MultiplyAdd(TS.Broadcast(xp[0]), g, e0);
                            if (cin > 1) e1 = TS.MultiplyAdd(TS.Broadcast(xp[1]), g, e1);
                            if (cin > 2) e2 = TS.MultiplyAdd(TS.Broadcast(xp[2]), g, e2);
                            if (cin > 3) e3 = TS.MultiplyAdd(TS.Broadcast(xp[3]), g, e3);
                        }
                        if ((uint)(ix + s.StrideW) < w)
                        {
                            var g = full ? TS.Load(dyRow + (nint)(ox + 1) * s.Cout) : TS.LoadMasked(dyRow + (nint)(ox + 1) * s.Cout, mask);
                            var xq = xp + (nint)s.StrideW * cin;
                            o0 = TS.MultiplyAdd(TS.Broadcast(xq[0]), g, o0);
                            if (cin > 1) o1 = TS.MultiplyAdd(TS.Broadcast(xq[1]), g, o1);
                            if (cin > 2) o2 = TS.MultiplyAdd(TS.Broadcast(xq[2]), g, o2);
                            if (cin > 3) o3 = TS.MultiplyAdd(TS.Broadcast(xq[3]), g, o3);
                        }
                    }
                    if (ox < ox1)
                    {
                        var ix = ox * s.StrideW - s.PadLeft + kx * s.DilationW;
                        if ((uint)ix < w)
                        {
                            var xp = xRow + (nint)ix * cin;
                            var g = full ? TS.Load(dyRow + (nint)ox * s.Cout) : TS.LoadMasked(dyRow + (nint)ox * s.Cout, mask);
                            e0 = TS.MultiplyAdd(TS.Broadcast(xp[0]), g, e0);
                            if (cin > 1) e1 = TS.MultiplyAdd(TS.Broadcast(xp[1]), g, e1);
                            if (cin > 2) e2 = TS.MultiplyAdd(TS.Broadcast(xp[2]), g, e2);
                            if (cin > 3) e3 = TS.MultiplyAdd(TS.Broadcast(xp[3]), g, e3);
                        }
                    }
                    // The partial is padded to whole 16-lane blocks: full loads and stores stay inside it.
                    var acc = partial + (nint)(ky * s.KW + kx) * cin * cp + co;
                    TS.Store(acc, TS.Add(TS.Load(acc), TS.Add(e0, o0)));
                    if (cin > 1) TS.Store(acc + cp, TS.Add(TS.Load(acc + cp), TS.Add(e1, o1)));
                    if (cin > 2) TS.Store(acc + 2 * cp, TS.Add(TS.Load(acc + 2 * cp), TS.Add(e2, o2)));
                    if (cin > 3) TS.Store(acc + 3 * cp, TS.Add(TS.Load(acc + 3 * cp), TS.Add(e3, o3)));
                }
            }
        }
    }
}
