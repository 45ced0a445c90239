using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Threading;

namespace LightNets.Training.Kernels.Cpu.Elementwise;

/// <summary>Int lanes beside a register of float lanes: the flat input index of each channel's maximum.</summary>
internal unsafe interface IIndexLanes<TV, TI> where TV : unmanaged where TI : unmanaged
{
    /// <summary>start, start + 1, …, start + Count − 1.</summary>
    static abstract TI Ramp(int start);

    static abstract TI Select(TV mask, TI ifTrue, TI ifFalse);
    static abstract void Store(int* p, TI v);
}

internal readonly unsafe struct Index512 : IIndexLanes<Vector512<float>, Vector512<int>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> Ramp(int start) => Vector512.Create(start) + Vector512<int>.Indices;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Select(Vector512<float> mask, Vector512<int> ifTrue, Vector512<int> ifFalse) => Vector512.ConditionalSelect(mask.AsInt32(), ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(int* p, Vector512<int> v) => v.Store(p);
}

internal readonly unsafe struct Index256 : IIndexLanes<Vector256<float>, Vector256<int>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> Ramp(int start) => Vector256.Create(start) + Vector256<int>.Indices;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Select(Vector256<float> mask, Vector256<int> ifTrue, Vector256<int> ifFalse) => Vector256.ConditionalSelect(mask.AsInt32(), ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(int* p, Vector256<int> v) => v.Store(p);
}

internal readonly unsafe struct Index128 : IIndexLanes<Vector128<float>, Vector128<int>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> Ramp(int start) => Vector128.Create(start) + Vector128.Create(0, 1, 2, 3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Select(Vector128<float> mask, Vector128<int> ifTrue, Vector128<int> ifFalse) => Vector128.ConditionalSelect(mask.AsInt32(), ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(int* p, Vector128<int> v) => v.Store(p);
}

internal readonly unsafe struct IndexScalar : IIndexLanes<float, int>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int Ramp(int start) => start;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int Select(float mask, int ifTrue, int ifFalse) => mask != 0f ? ifTrue : ifFalse;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(int* p, int v) => *p = v;
}

/// <summary>
/// Max, average and global average pooling, forward and backward, over NHWC batches (kernel ids
/// f32-maxpool-train, f32-avgpool-train, f32-gap-train and their -grad twins). Each is written with the reference's
/// operations in its order, over channel vectors (channels past the last whole register one at a time through the same
/// body), so every result is bit-identical to <see cref="Reference.TrainReference"/>. Forward passes split output rows
/// across threads; backward passes that scatter (max and average pooling) split whole images, whose inputs do not
/// overlap, and add in the reference's output order. One call at a time per instance.
/// </summary>
internal sealed unsafe class PoolKernels
{
    private readonly PoolWork _work = new();

    private enum Op
    {
        MaxForward,
        MaxBackward,
        AvgForward,
        AvgBackward,
        GlobalForward,
        GlobalBackward,
    }

    public void MaxForward(TrainContext ctx, in PoolShape p, float* x, float* y, int* argmax) =>
        Run(ctx, Op.MaxForward, p, false, x, y, argmax, p.N * p.OutH, p.OutputLength * p.KH * p.KW);

    /// <summary>The caller has checked that every argmax of image n lies inside image n of the input.</summary>
    public void MaxBackward(TrainContext ctx, in PoolShape p, float* dy, int* argmax, float* dx) =>
        Run(ctx, Op.MaxBackward, p, false, dy, dx, argmax, p.N, p.InputLength + p.OutputLength);

    public void AvgForward(TrainContext ctx, in PoolShape p, bool countIncludePad, float* x, float* y) =>
        Run(ctx, Op.AvgForward, p, countIncludePad, x, y, null, p.N * p.OutH, p.OutputLength * p.KH * p.KW);

    public void AvgBackward(TrainContext ctx, in PoolShape p, bool countIncludePad, float* dy, float* dx) =>
        Run(ctx, Op.AvgBackward, p, countIncludePad, dy, dx, null, p.N, p.InputLength + p.OutputLength * p.KH * p.KW);

    /// <summary>y[n, j] = Σ_p x[n, p, j] / hw, split by image and channel block.</summary>
    public void GlobalForward(TrainContext ctx, int n, int hw, int c, float* x, float* y) =>
        Run(ctx, Op.GlobalForward, new PoolShape(n, hw, 1, c, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1), false, x, y, null, n * ((c + 15) / 16), (long)n * hw * c);

    public void GlobalBackward(TrainContext ctx, int n, int hw, int c, float* dy, float* dx) =>
        Run(ctx, Op.GlobalBackward, new PoolShape(n, hw, 1, c, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1), false, dy, dx, null, n * hw, (long)n * hw * c);

    private void Run(TrainContext ctx, Op op, in PoolShape p, bool countIncludePad, float* input, float* output, int* argmax, int units, long work)
    {
        var w = _work;
        w.Op = op;
        w.P = p;
        w.CountIncludePad = countIncludePad;
        w.In = input;
        w.Out = output;
        w.Argmax = argmax;
        w.Units = units;
        w.Isa = ctx.Isa;
        ctx.Run(w, Partition.Parts(work, ctx.Threads, units));
    }

    private sealed class PoolWork : IParallelWork
    {
        public Op Op;
        public PoolShape P;
        public bool CountIncludePad;
        public float* In;
        public float* Out;
        public int* Argmax;
        public int Units;
        public Isa Isa;

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Share(Units, part, parts);
            switch (Isa)
            {
                case Isa.V512: Execute<Vector512<float>, Simd512, Vector512<int>, Index512>(start, end); break;
                case Isa.V256: Execute<Vector256<float>, Simd256, Vector256<int>, Index256>(start, end); break;
                case Isa.V128: Execute<Vector128<float>, Simd128, Vector128<int>, Index128>(start, end); break;
                default: Execute<float, SimdScalar, int, IndexScalar>(start, end); break;
            }
        }

        private void Execute<TV, TL, TI, TX>(int start, int end)
            where TV : unmanaged where TL : ISimd<TV> where TI : unmanaged where TX : IIndexLanes<TV, TI>
        {
            var p = P;
            switch (Op)
            {
                case Op.MaxForward:
                    for (var row = start; row < end; row++)
                    {
                        var (n, oy) = Math.DivRem(row, p.OutH);
                        for (var ox = 0; ox < p.OutW; ox++)
                        {
                            var c = 0;
                            for (; c + TL.Count <= p.C; c += TL.Count) MaxBlock<TV, TL, TI, TX>(n, oy, ox, c);
                            if (HalfTail<TV, TL>(c, p.C)) MaxBlock<Vector256<float>, Simd256, Vector256<int>, Index256>(n, oy, ox, (c += 8) - 8);
                            for (; c < p.C; c++) MaxBlock<float, SimdScalar, int, IndexScalar>(n, oy, ox, c);
                        }
                    }
                    break;
                case Op.AvgForward:
                    for (var row = start; row < end; row++)
                    {
                        var (n, oy) = Math.DivRem(row, p.OutH);
                        for (var ox = 0; ox < p.OutW; ox++)
                        {
                            var divisor = (float)AvgDivisor(p, CountIncludePad, oy, ox);
                            var c = 0;
                            for (; c + TL.Count <= p.C; c += TL.Count) AvgBlock<TV, TL>(n, oy, ox, c, divisor);
                            if (HalfTail<TV, TL>(c, p.C)) AvgBlock<Vector256<float>, Simd256>(n, oy, ox, (c += 8) - 8, divisor);
                            for (; c < p.C; c++) AvgBlock<float, SimdScalar>(n, oy, ox, c, divisor);
                        }
                    }
                    break;
                case Op.MaxBackward:
                    for (var n = start; n < end; n++) MaxGradImage(n);
                    break;
                case Op.AvgBackward:
                    for (var n = start; n < end; n++)
                    {
                        new Span<float>(Out + (nint)n * p.H * p.W * p.C, p.H * p.W * p.C).Clear();
                        for (var oy = 0; oy < p.OutH; oy++)
                        {
                            for (var ox = 0; ox < p.OutW; ox++)
                            {
                                var divisor = (float)AvgDivisor(p, CountIncludePad, oy, ox);
                                var c = 0;
                                for (; c + TL.Count <= p.C; c += TL.Count) AvgGradBlock<TV, TL>(n, oy, ox, c, divisor);
                                if (HalfTail<TV, TL>(c, p.C)) AvgGradBlock<Vector256<float>, Simd256>(n, oy, ox, (c += 8) - 8, divisor);
                                for (; c < p.C; c++) AvgGradBlock<float, SimdScalar>(n, oy, ox, c, divisor);
                            }
                        }
                    }
                    break;
                case Op.GlobalForward:
                    var blocks = (p.C + 15) / 16;
                    for (var unit = start; unit < end; unit++)
                    {
                        var (n, block) = Math.DivRem(unit, blocks);
                        int c = block * 16, stop = Math.Min(p.C, c + 16);
                        for (; c + TL.Count <= stop; c += TL.Count) GlobalBlock<TV, TL>(n, c);
                        if (HalfTail<TV, TL>(c, stop)) GlobalBlock<Vector256<float>, Simd256>(n, (c += 8) - 8);
                        for (; c < stop; c++) GlobalBlock<float, SimdScalar>(n, c);
                    }
                    break;
                default:
                    for (var unit = start; unit < end; unit++)
                    {
                        var n = unit / p.H;
                        var c = 0;
                        for (; c + TL.Count <= p.C; c += TL.Count) GlobalGradBlock<TV, TL>(n, unit, c);
                        if (HalfTail<TV, TL>(c, p.C)) GlobalGradBlock<Vector256<float>, Simd256>(n, unit, (c += 8) - 8);
                        for (; c < p.C; c++) GlobalGradBlock<float, SimdScalar>(n, unit, c);
                    }
                    break;
            }
        }

        /// <summary>
        /// Whether 8 or more channels are left after the 16-lane blocks: they take one 8-lane block (every lane's
        /// arithmetic is the same at any width) instead of 8 one-lane passes (ShuffleNetV2's 24-channel stem pool).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool HalfTail<TV, TL>(int c, int stop) where TV : unmanaged where TL : ISimd<TV> => TL.Count == 16 && c + 8 <= stop;

        /// <summary>
        /// The reference's scan in row-major window order: the first cell inside the image starts the maximum; a later
        /// cell replaces it when it is larger or NaN, unless the maximum is already NaN (the scan stops at the first NaN).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void MaxBlock<TV, TL, TI, TX>(int n, int oy, int ox, int c)
            where TV : unmanaged where TL : ISimd<TV> where TI : unmanaged where TX : IIndexLanes<TV, TI>
        {
            var p = P;
            var best = default(TV);
            var at = default(TI);
            var first = true;
            for (var ky = 0; ky < p.KH; ky++)
            {
                var iy = oy * p.StrideH - p.PadTop + ky;
                if ((uint)iy >= (uint)p.H) continue;
                for (var kx = 0; kx < p.KW; kx++)
                {
                    var ix = ox * p.StrideW - p.PadLeft + kx;
                    if ((uint)ix >= (uint)p.W) continue;
                    var index = ((n * p.H + iy) * p.W + ix) * p.C + c;
                    var v = TL.Load(In + index);
                    if (first)
                    {
                        best = v;
                        at = TX.Ramp(index);
                        first = false;
                        continue;
                    }
                    var take = TL.AndNot(TL.Or(TL.GreaterThan(v, best), TL.IsNaN(v)), TL.IsNaN(best));
                    best = TL.Select(take, v, best);
                    at = TX.Select(take, TX.Ramp(index), at);
                }
            }
            var o = ((n * p.OutH + oy) * p.OutW + ox) * p.C + c;
            TL.Store(Out + o, best);
            TX.Store(Argmax + o, at);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void AvgBlock<TV, TL>(int n, int oy, int ox, int c, float divisor) where TV : unmanaged where TL : ISimd<TV>
        {
            var p = P;
            var sum = TL.Broadcast(0f);
            for (var ky = 0; ky < p.KH; ky++)
            {
                var iy = oy * p.StrideH - p.PadTop + ky;
                if ((uint)iy >= (uint)p.H) continue;
                for (var kx = 0; kx < p.KW; kx++)
                {
                    var ix = ox * p.StrideW - p.PadLeft + kx;
                    if ((uint)ix < (uint)p.W) sum = TL.Add(sum, TL.Load(In + ((n * p.H + iy) * p.W + ix) * p.C + c));
                }
            }
            TL.Store(Out + ((n * p.OutH + oy) * p.OutW + ox) * p.C + c, TL.Divide(sum, TL.Broadcast(divisor)));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void AvgGradBlock<TV, TL>(int n, int oy, int ox, int c, float divisor) where TV : unmanaged where TL : ISimd<TV>
        {
            var p = P;
            var share = TL.Divide(TL.Load(In + ((n * p.OutH + oy) * p.OutW + ox) * p.C + c), TL.Broadcast(divisor));
            for (var ky = 0; ky < p.KH; ky++)
            {
                var iy = oy * p.StrideH - p.PadTop + ky;
                if ((uint)iy >= (uint)p.H) continue;
                for (var kx = 0; kx < p.KW; kx++)
                {
                    var ix = ox * p.StrideW - p.PadLeft + kx;
                    if ((uint)ix >= (uint)p.W) continue;
                    var dst = Out + ((n * p.H + iy) * p.W + ix) * p.C + c;
                    TL.Store(dst, TL.Add(TL.Load(dst), share));
                }
            }
        }

        /// <summary>dx[argmax[o]] += dy[o] over image n's outputs in order, after clearing image n of dx.</summary>
        private void MaxGradImage(int n)
        {
            var p = P;
            var inputSize = p.H * p.W * p.C;
            var outputSize = p.OutH * p.OutW * p.C;
            new Span<float>(Out + (nint)n * inputSize, inputSize).Clear();
            var dy = In + (nint)n * outputSize;
            var index = Argmax + (nint)n * outputSize;
            for (var o = 0; o < outputSize; o++) Out[index[o]] += dy[o];
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void GlobalBlock<TV, TL>(int n, int c) where TV : unmanaged where TL : ISimd<TV>
        {
            var p = P;
            var sum = TL.Broadcast(0f);
            var src = In + (nint)n * p.H * p.C + c;
            for (var i = 0; i < p.H; i++, src += p.C) sum = TL.Add(sum, TL.Load(src));
            TL.Store(Out + n * p.C + c, TL.Divide(sum, TL.Broadcast(p.H)));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void GlobalGradBlock<TV, TL>(int n, int pixel, int c) where TV : unmanaged where TL : ISimd<TV>
        {
            var p = P;
            TL.Store(Out + (nint)pixel * p.C + c, TL.Divide(TL.Load(In + n * p.C + c), TL.Broadcast(p.H)));
        }
    }

    /// <summary>The divisor of average-pooling window (oy, ox), as the reference defines it.</summary>
    private static int AvgDivisor(in PoolShape p, bool countIncludePad, int oy, int ox)
    {
        int y0 = oy * p.StrideH - p.PadTop, x0 = ox * p.StrideW - p.PadLeft;
        int lowY = countIncludePad ? -p.PadTop : 0, highY = countIncludePad ? p.H + p.PadBottom : p.H;
        int lowX = countIncludePad ? -p.PadLeft : 0, highX = countIncludePad ? p.W + p.PadRight : p.W;
        return (Math.Min(y0 + p.KH, highY) - Math.Max(y0, lowY)) * (Math.Min(x0 + p.KW, highX) - Math.Max(x0, lowX));
    }
}
