using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;
using LightNets.Training;
using LightNets.Training.Kernels.Cpu.Gemm;

namespace LightNets.Tests.Training.Kernels;

/// <summary>
/// The training GEMM's two products against plain double-precision loops, on every tier, on one and two threads, with
/// operands that are strided slices of wider buffers (poisoned gaps and margins catch stray reads and writes).
/// </summary>
public unsafe class TrainGemmTests
{
    public static TheoryData<Isa, int> TiersAndThreads()
    {
        var data = new TheoryData<Isa, int>();
        foreach (var isa in TrainKernelKit.Tiers)
        {
            data.Add(isa, 1);
            data.Add(isa, 2);
        }
        return data;
    }

    private static readonly int[] Ms = [1, 2, 7, 9, 17, 100, 300, 1000];
    private static readonly int[] Ns = [1, 7, 8, 9, 16, 17, 24, 31, 32, 33, 40, 57, 70];
    private static readonly int[] Ks = [1, 3, 16, 27, 70, 300];

    [NativeOnlyTheory("large double loops, minutes per tier; the other training kernel tests and GemmKernelTests cover the micro-kernels")]
    [MemberData(nameof(TiersAndThreads))]
    public void Product_matches_a_double_loop(Isa isa, int threads)
    {
        using var ctx = TrainKernelKit.Context(threads, isa);
        var gemm = new TrainGemm();
        var i = 0;
        foreach (var layout in Enum.GetValues<BLayout>())
        {
            foreach (var n in Ns)
            {
                foreach (var m in Ms)
                {
                    var k = Ks[(i * 5 + n) % Ks.Length];
                    CheckProduct(ctx, gemm, layout, m, n, k, bias: i % 2 == 0, accumulate: i % 3 == 0, seed: (ulong)i);
                    i++;
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void Product_with_an_empty_k_is_the_bias(Isa isa, int threads)
    {
        using var ctx = TrainKernelKit.Context(threads, isa);
        CheckProduct(ctx, new TrainGemm(), BLayout.OutputMajor, 5, 9, 0, bias: true, accumulate: false, seed: 3);
        CheckProduct(ctx, new TrainGemm(), BLayout.RowMajor, 5, 9, 0, bias: true, accumulate: true, seed: 4);
    }

    private static void CheckProduct(TrainContext ctx, TrainGemm gemm, BLayout layout, int m, int n, int k, bool bias, bool accumulate, ulong seed)
    {
        var context = $"{ctx.Isa} ×{ctx.Threads} {layout} m={m} n={n} k={k} bias={bias} accumulate={accumulate}";
        int lda = k + 3, ldc = n + 5, ldb = layout == BLayout.OutputMajor ? k + 2 : n + 2;
        var a = Guarded.Normal(m * lda, seed * 7 + 1);
        var b = Guarded.Normal((layout == BLayout.OutputMajor ? n : k) * ldb, seed * 7 + 2, 0.5);
        var bs = Guarded.Normal(n, seed * 7 + 3, 0.3);
        var c = Guarded.Normal(m * ldc, seed * 7 + 4);
        var before = c.ToArray();
        var expected = new double[m * ldc];
        var bound = new double[m * ldc];
        for (var r = 0; r < m; r++)
        {
            for (var j = 0; j < ldc; j++)
            {
                var at = r * ldc + j;
                if (j >= n)
                {
                    expected[at] = before[at];
                    continue;
                }
                double sum = 0, magnitude = 0;
                for (var p = 0; p < k; p++)
                {
                    var w = layout == BLayout.OutputMajor ? b.Span[j * ldb + p] : b.Span[p * ldb + j];
                    var term = (double)a.Span[r * lda + p] * w;
                    sum += term;
                    magnitude += Math.Abs(term);
                }
                if (bias)
                {
                    sum += bs.Span[j];
                    magnitude += Math.Abs(bs.Span[j]);
                }
                if (accumulate)
                {
                    sum += before[at];
                    magnitude += Math.Abs(before[at]);
                }
                expected[at] = sum;
                bound[at] = TrainKernelKit.DotBound(k + 2, magnitude);
            }
        }
        var scratch = new Guarded((int)TrainGemm.ProductScratch(k, n, ctx.Isa) + 16);
        // The scratch must be 64-byte aligned, as TrainContext.Scratch's is.
        var aligned = (float*)(((nint)scratch.Ptr + 63) & ~(nint)63);
        gemm.Product(ctx, layout, m, n, k, a.Ptr, lda, b.Ptr, ldb, bias ? bs.Ptr : null, c.Ptr, ldc, accumulate, aligned);
        TrainKernelKit.AssertWithin(c.Span, expected, bound, context);
        c.AssertMarginsIntact(context);
        scratch.AssertMarginsIntact(context + " (scratch)");
    }

    private static readonly int[] ReductionMs = [1, 2, 5, 256, 257, 700, 5000, 9000];
    private static readonly int[] N1s = [1, 2, 3, 5, 7, 8, 9, 13, 16, 17, 24, 33, 64];
    private static readonly int[] N2s = [1, 3, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 70];

    [NativeOnlyTheory("large double loops, minutes per tier; the training kernel tests cover the reduction's use")]
    [MemberData(nameof(TiersAndThreads))]
    public void Reduction_matches_a_double_loop(Isa isa, int threads)
    {
        using var ctx = TrainKernelKit.Context(threads, isa);
        var gemm = new TrainGemm();
        var i = 0;
        foreach (var n2 in N2s)
        {
            foreach (var n1 in N1s)
            {
                var m = ReductionMs[(i * 3 + n2) % ReductionMs.Length];
                CheckReduction(ctx, gemm, m, n1, n2, (ulong)i);
                i++;
            }
        }
    }

    [Theory]
    [InlineData(9000, 16, 24)]
    [InlineData(5000, 96, 16)]
    [InlineData(64, 1280, 320)]
    [InlineData(20000, 3, 5)]
    public void Reduction_is_bit_identical_on_one_and_two_threads(int m, int n1, int n2)
    {
        foreach (var isa in TrainKernelKit.Tiers)
        {
            float[]? first = null;
            foreach (var threads in new[] { 1, 2, 2 })
            {
                using var ctx = TrainKernelKit.Context(threads, isa);
                var c = Run(ctx, new TrainGemm(), m, n1, n2, n2 + 1, seed: 11);
                if (first is null) first = c;
                else Assert.True(TrainKernelKit.BitEqual(first, c), $"{isa}: {threads} threads differ from 1 thread");
            }
        }
    }

    private static float[] Run(TrainContext ctx, TrainGemm gemm, int m, int n1, int n2, int ldc, ulong seed)
    {
        var a = Guarded.Normal(m * (n1 + 2), seed * 5 + 1);
        var b = Guarded.Normal(m * (n2 + 3), seed * 5 + 2);
        var c = new Guarded(n1 * ldc);
        var plan = new TrainGemm.ReductionPlan(m, n1, n2, ctx.Isa, ctx.Threads);
        var scratch = new Guarded((int)plan.ScratchFloats + 16);
        var aligned = (float*)(((nint)scratch.Ptr + 63) & ~(nint)63);
        gemm.Reduction(ctx, plan, a.Ptr, n1 + 2, b.Ptr, n2 + 3, null, c.Ptr, ldc, aligned);
        scratch.AssertMarginsIntact("scratch");
        return c.ToArray();
    }

    private static void CheckReduction(TrainContext ctx, TrainGemm gemm, int m, int n1, int n2, ulong seed)
    {
        var context = $"{ctx.Isa} ×{ctx.Threads} m={m} n1={n1} n2={n2}";
        int lda = n1 + 2, ldb = n2 + 3, ldc = n2 + 1;
        var a = Guarded.Normal(m * lda, seed * 5 + 1);
        var b = Guarded.Normal(m * ldb, seed * 5 + 2);
        var c = new Guarded(n1 * ldc);
        var expected = new double[n1 * ldc];
        var bound = new double[n1 * ldc];
        for (var i = 0; i < n1; i++)
        {
            expected[i * ldc + n2] = Guarded.Poison; // the gap column is never written (NaN: compared bit-wise below)
            for (var j = 0; j < n2; j++)
            {
                double sum = 0, magnitude = 0;
                for (var p = 0; p < m; p++)
                {
                    var term = (double)a.Span[p * lda + i] * b.Span[p * ldb + j];
                    sum += term;
                    magnitude += Math.Abs(term);
                }
                expected[i * ldc + j] = sum;
                bound[i * ldc + j] = TrainKernelKit.DotBound(m, magnitude);
            }
        }
        var plan = new TrainGemm.ReductionPlan(m, n1, n2, ctx.Isa, ctx.Threads);
        var scratch = new Guarded((int)plan.ScratchFloats + 16);
        var aligned = (float*)(((nint)scratch.Ptr + 63) & ~(nint)63);
        gemm.Reduction(ctx, plan, a.Ptr, lda, b.Ptr, ldb, null, c.Ptr, ldc, aligned);
        for (var i = 0; i < n1; i++)
        {
            var gap = c.Span[i * ldc + n2];
            Assert.True(BitConverter.SingleToInt32Bits(gap) == BitConverter.SingleToInt32Bits(Guarded.Poison), $"{context}: gap of row {i} written");
            expected[i * ldc + n2] = 0;
            bound[i * ldc + n2] = double.PositiveInfinity;
        }
        var actual = c.ToArray();
        for (var i = 0; i < n1; i++) actual[i * ldc + n2] = 0;
        TrainKernelKit.AssertWithin(actual, expected, bound, context);
        c.AssertMarginsIntact(context);
        scratch.AssertMarginsIntact(context + " (scratch)");
    }
}
