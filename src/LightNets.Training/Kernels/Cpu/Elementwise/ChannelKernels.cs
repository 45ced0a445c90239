using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Threading;

namespace LightNets.Training.Kernels.Cpu.Elementwise;

/// <summary>
/// The channel-wise kernels: squeeze-and-excitation's channel scale forward and backward (f32-scale-channels-train and
/// -grad) and the channel maps of Concat, Split and channel shuffle (f32-gather-channels, f32-scatter-add-channels).
/// Written with the reference's operations in its order, so every result is bit-identical to
/// <see cref="Reference.TrainReference"/>. A channel map is first cut into runs of consecutive channels, each moved
/// with vector loads and stores (a Concat or Split is one run per input), in the map's order, which keeps the
/// reference's order of additions when a map repeats a channel. Maps of short runs (channel shuffles) move eight
/// channels per AVX2 gather instead, the scatter through the inverse map when no channel repeats. One call at a time
/// per instance.
/// </summary>
internal sealed unsafe class ChannelKernels
{
    private readonly ScaleWork _scale = new();
    private readonly MapWork _map = new();

    public void ScaleForward(TrainContext ctx, int n, int hw, int c, float* x, float* s, float* y) =>
        Scale(ctx, backward: false, n, hw, c, x, s, null, y, null);

    public void ScaleBackward(TrainContext ctx, int n, int hw, int c, float* x, float* s, float* dy, float* dx, float* ds) =>
        Scale(ctx, backward: true, n, hw, c, x, s, dy, dx, ds);

    private void Scale(TrainContext ctx, bool backward, int n, int hw, int c, float* x, float* s, float* dy, float* output, float* ds)
    {
        var w = _scale;
        w.BackwardPass = backward;
        w.N = n;
        w.Hw = hw;
        w.C = c;
        w.X = x;
        w.S = s;
        w.Dy = dy;
        w.Output = output;
        w.Ds = ds;
        w.Isa = ctx.Isa;
        // Forward: any rows. Backward: whole (image, 16-channel block) units, each summing ds over its pixels in order.
        w.Units = backward ? n * ((c + 15) / 16) : n * hw;
        ctx.Run(w, Partition.Parts(2L * n * hw * c, ctx.Threads, w.Units));
    }

    /// <summary>Ints of scratch <see cref="Gather"/> and <see cref="ScatterAdd"/> need for a map from <paramref name="cin"/> to <paramref name="cout"/> channels.</summary>
    public static long MapScratch(int cin, int cout) => Partition.Align(3L * cout) + Partition.Align(cin);

    /// <summary>y[r, j] = x[r, map[j]]; <paramref name="runs"/> is scratch for <see cref="MapScratch"/> ints.</summary>
    public void Gather(TrainContext ctx, int rows, int cin, int cout, int* map, float* x, float* y, int* runs) =>
        Map(ctx, scatter: false, rows, cin, cout, map, x, y, runs);

    /// <summary>dx[r, map[j]] += dy[r, j] in increasing j.</summary>
    public void ScatterAdd(TrainContext ctx, int rows, int cin, int cout, int* map, float* dy, float* dx, int* runs) =>
        Map(ctx, scatter: true, rows, cin, cout, map, dy, dx, runs);

    private void Map(TrainContext ctx, bool scatter, int rows, int cin, int cout, int* map, float* src, float* dst, int* runs)
    {
        var w = _map;
        w.Scatter = scatter;
        w.Cin = cin;
        w.Cout = cout;
        w.Src = src;
        w.Dst = dst;
        w.Rows = rows;
        w.Isa = ctx.Isa;
        // The indexed path is AVX2's gather: the V128 tier (ARM64 has no gather) copies runs like the scalar one.
        w.Indexed = ctx.Isa >= Isa.V256 && Indexable(scatter, cin, cout, map, runs + Partition.Align(3L * cout));
        if (w.Indexed)
        {
            w.Index = scatter ? runs + Partition.Align(3L * cout) : map;
            ctx.Run(w, Partition.Parts((long)rows * cout, ctx.Threads, rows));
            return;
        }
        // Runs of consecutive source channels: (first mapped index j, first source channel, length).
        var count = 0;
        for (var j = 0; j < cout;)
        {
            var length = 1;
            while (j + length < cout && map[j + length] == map[j] + length) length++;
            runs[3 * count] = j;
            runs[3 * count + 1] = map[j];
            runs[3 * count + 2] = length;
            count++;
            j += length;
        }
        w.Runs = runs;
        w.RunCount = count;
        ctx.Run(w, Partition.Parts((long)rows * cout, ctx.Threads, rows));
    }

    /// <summary>
    /// Whether the map is moved with gather instructions rather than by runs: its runs of consecutive channels average
    /// under 4 (a channel shuffle, or a split of a shuffled tensor, is all runs of 1), and for a scatter each source
    /// channel is hit at most once, so that dx[i] += dy[inverse[i]] is the reference's single addition per element.
    /// For a scatter, <paramref name="inverse"/> (cin ints) receives the inverse map, −1 where no j maps to i.
    /// </summary>
    private static bool Indexable(bool scatter, int cin, int cout, int* map, int* inverse)
    {
        var runs = 1;
        for (var j = 1; j < cout; j++)
        {
            if (map[j] != map[j - 1] + 1) runs++;
        }
        if (4L * runs <= cout || cout < 8) return false;
        if (!scatter) return true;
        new Span<int>(inverse, cin).Fill(-1);
        for (var j = 0; j < cout; j++)
        {
            if (inverse[map[j]] >= 0) return false;
            inverse[map[j]] = j;
        }
        return true;
    }

    private sealed class ScaleWork : IParallelWork
    {
        public bool BackwardPass;
        public int N;
        public int Hw;
        public int C;
        public float* X;
        public float* S;
        public float* Dy;
        public float* Output;
        public float* Ds;
        public int Units;
        public Isa Isa;

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Share(Units, part, parts);
            switch (Isa)
            {
                case Isa.V512: Execute<Vector512<float>, Simd512>(start, end); break;
                case Isa.V256: Execute<Vector256<float>, Simd256>(start, end); break;
                case Isa.V128: Execute<Vector128<float>, Simd128>(start, end); break;
                default: Execute<float, SimdScalar>(start, end); break;
            }
        }

        private void Execute<TV, TL>(int start, int end) where TV : unmanaged where TL : ISimd<TV>
        {
            if (!BackwardPass)
            {
                for (var row = start; row < end; row++)
                {
                    var n = row / Hw;
                    var c = 0;
                    for (; c + TL.Count <= C; c += TL.Count) ScaleBlock<TV, TL>(row, n, c);
                    for (; c < C; c++) ScaleBlock<float, SimdScalar>(row, n, c);
                }
                return;
            }
            var blocks = (C + 15) / 16;
            for (var unit = start; unit < end; unit++)
            {
                var (n, block) = Math.DivRem(unit, blocks);
                int c = block * 16, stop = Math.Min(C, c + 16);
                for (; c + TL.Count <= stop; c += TL.Count) GradBlock<TV, TL>(n, c);
                for (; c < stop; c++) GradBlock<float, SimdScalar>(n, c);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void ScaleBlock<TV, TL>(int row, int n, int c) where TV : unmanaged where TL : ISimd<TV>
        {
            var at = (nint)row * C + c;
            TL.Store(Output + at, TL.Multiply(TL.Load(X + at), TL.Load(S + n * C + c)));
        }

        /// <summary>dx = dy·s for image n's pixels and ds[n, c..] = Σ_p dy·x, products rounded then added in pixel order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void GradBlock<TV, TL>(int n, int c) where TV : unmanaged where TL : ISimd<TV>
        {
            var s = TL.Load(S + n * C + c);
            var sum = TL.Broadcast(0f);
            var at = (nint)n * Hw * C + c;
            for (var p = 0; p < Hw; p++, at += C)
            {
                var d = TL.Load(Dy + at);
                TL.Store(Output + at, TL.Multiply(d, s));
                sum = TL.Add(sum, TL.Multiply(d, TL.Load(X + at)));
            }
            TL.Store(Ds + n * C + c, sum);
        }
    }

    private sealed class MapWork : IParallelWork
    {
        public bool Scatter;
        public int Cin;
        public int Cout;
        public int* Runs;
        public int RunCount;
        public float* Src;
        public float* Dst;
        public int Rows;
        public Isa Isa;
        public bool Indexed;
        public int* Index;

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Share(Rows, part, parts);
            if (Indexed)
            {
                if (Scatter) ScatterIndexed(start, end);
                else GatherIndexed(start, end);
                return;
            }
            switch (Isa)
            {
                case Isa.V512: Execute<Vector512<float>, Simd512>(start, end); break;
                case Isa.V256: Execute<Vector256<float>, Simd256>(start, end); break;
                case Isa.V128: Execute<Vector128<float>, Simd128>(start, end); break;
                default: Execute<float, SimdScalar>(start, end); break;
            }
        }

        /// <summary>y[r, j] = x[r, map[j]], eight channels per gather instruction.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void GatherIndexed(int start, int end)
        {
            for (var r = start; r < end; r++)
            {
                var x = Src + (nint)r * Cin;
                var y = Dst + (nint)r * Cout;
                var j = 0;
                for (; j + 8 <= Cout; j += 8) Avx2.GatherVector256(x, Vector256.Load(Index + j), 4).Store(y + j);
                for (; j < Cout; j++) y[j] = x[Index[j]];
            }
        }

        /// <summary>dx[r, i] += dy[r, inverse[i]] where inverse[i] ≥ 0 (the other lanes are neither read nor written).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void ScatterIndexed(int start, int end)
        {
            for (var r = start; r < end; r++)
            {
                var dy = Src + (nint)r * Cout;
                var dx = Dst + (nint)r * Cin;
                var i = 0;
                for (; i + 8 <= Cin; i += 8)
                {
                    var index = Vector256.Load(Index + i);
                    var mask = Vector256.GreaterThanOrEqual(index, Vector256<int>.Zero).AsSingle();
                    var g = Avx2.GatherMaskVector256(Vector256<float>.Zero, dy, index, mask, 4);
                    Avx.MaskStore(dx + i, mask, Avx.MaskLoad(dx + i, mask) + g);
                }
                for (; i < Cin; i++)
                {
                    if (Index[i] >= 0) dx[i] += dy[Index[i]];
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Execute<TV, TL>(int start, int end) where TV : unmanaged where TL : ISimd<TV>
        {
            for (var r = start; r < end; r++)
            {
                var wide = (Scatter ? Dst : Src) + (nint)r * Cin;
                var mapped = (Scatter ? Src : Dst) + (nint)r * Cout;
                for (var k = 0; k < RunCount; k++)
                {
                    var j = Runs[3 * k];
                    var from = wide + Runs[3 * k + 1];
                    var to = mapped + j;
                    var length = Runs[3 * k + 2];
                    var i = 0;
                    if (Scatter)
                    {
                        for (; i + TL.Count <= length; i += TL.Count) TL.Store(from + i, TL.Add(TL.Load(from + i), TL.Load(to + i)));
                        for (; i < length; i++) from[i] += to[i];
                    }
                    else
                    {
                        for (; i + TL.Count <= length; i += TL.Count) TL.Store(to + i, TL.Load(from + i));
                        for (; i < length; i++) to[i] = from[i];
                    }
                }
            }
        }
    }
}
