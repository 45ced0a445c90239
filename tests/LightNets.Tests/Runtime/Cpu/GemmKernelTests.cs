using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime.Cpu;

/// <summary>The packed GEMM (every ISA tier the machine has) against a plain double-precision loop.</summary>
public unsafe class GemmKernelTests
{
    /// <summary>
    /// Relative to max(1, |expected|): float32 accumulation of up to 70 products in another order, with FMA contraction,
    /// stays within a few ULPs × K of the double result.
    /// </summary>
    private const double Tolerance = 2e-5;

    private const float Sentinel = -12345.678f;

    public static IEnumerable<object[]> Cases()
    {
        var rng = new Rng(2024);
        int[] ms = [1, 5, 7, 8, 9, 17, 33];
        int[] ks = [1, 3, 16, 17, 64];
        int[] ns = [1, 7, 8, 15, 16, 17, 31, 32, 33, 48, 70];
        var acts = Enum.GetValues<FusedActivation>();
        var i = 0;
        foreach (var isa in Emulation.Tiers)
        {
            foreach (var n in ns)
            {
                var m = ms[i % ms.Length];
                var k = ks[(i / 3) % ks.Length];
                var act = acts[i % acts.Length];
                var residual = i % 2 == 0;
                var gather = i % 3 == 0;
                i++;
                yield return [isa, m, k, n, act, residual, gather];
            }
        }
        _ = rng;
    }

    /// <summary>
    /// Every row count a tile can be given: the kernel shares M evenly among ⌈M/8⌉ tiles (49 = 7 × 7, 196 = 21 × 8 + 4 × 7),
    /// so each count from 1 to 8 runs as its own tile.
    /// </summary>
    public static IEnumerable<object[]> RowCounts()
    {
        int[] ms = [.. Enumerable.Range(1, 20), 49, 196];
        foreach (var isa in Emulation.Tiers)
            foreach (var m in ms)
                yield return [isa, m, 19, m % 3 == 0 ? 40 : 64, m % 2 == 0 ? FusedActivation.Relu : FusedActivation.HardSwish, m % 2 == 1, m % 4 == 0];
    }

    /// <summary>
    /// The models' long K (MobileNetV1's 1024, V2/V3's 576–960 projections) with a full, a part-filled (29, 61) and a
    /// narrower tail panel (56 = 32 + 24), dense and gathered A.
    /// </summary>
    public static IEnumerable<object[]> LongK()
    {
        int[] ks = [385, 600, 1100];
        int[] ns = [29, 32, 56, 61];
        int[] ms = [2, 7, 16, 49];
        var acts = Enum.GetValues<FusedActivation>();
        var i = 0;
        foreach (var isa in Emulation.Tiers)
            foreach (var k in ks)
                foreach (var n in ns)
                {
                    yield return [isa, ms[i % ms.Length], k, n, acts[i % acts.Length], i % 2 == 0, i % 3 == 0];
                    i++;
                }
    }

    /// <summary>
    /// Every panel width a tier packs (V512: 8, 16, 24 and 32, full and part-filled; V256: 8 and 16) against every row
    /// count a tile can be given (M = 1..17 split in two calls: 0 to 9 rows each, shared among tiles of at most 8 or 6):
    /// each pair is its own specialization of the one tile body, and a single row is the GEMV, K unrolled by four with a
    /// tail (K = 20..22: <see cref="RowCounts"/> has K = 19, so no case repeats one of those).
    /// </summary>
    public static IEnumerable<object[]> PanelWidthsByRowCounts()
    {
        int[] ns = [8, 16, 20, 24, 40, 48, 56, 61];
        var acts = Enum.GetValues<FusedActivation>();
        var i = 0;
        foreach (var isa in Emulation.Tiers)
            foreach (var n in ns)
                for (var m = 1; m <= 17; m++, i++)
                    yield return [isa, m, 20 + i % 3, n, acts[i % acts.Length], i % 2 == 0, i % 3 == 0];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    [MemberData(nameof(RowCounts))]
    [MemberData(nameof(LongK))]
    [MemberData(nameof(PanelWidthsByRowCounts))]
    public void Matches_the_plain_loop(Isa isa, int m, int k, int n, FusedActivation act, bool residual, bool gather)
    {
        var rng = new Rng((ulong)(m * 1000 + k * 100 + n));
        var lda = k + 5;                 // A is a channel slice of a wider NHWC buffer
        var ldc = n + 3;
        var a = new float[m * lda + 8];
        rng.FillNormal(a, 0, 1);
        var w = new float[n * k];
        rng.FillNormal(w, 0, 0.5);
        var bias = new float[n];
        rng.FillNormal(bias, 0, 0.3);
        var r = new float[m * ldc];
        rng.FillNormal(r, 0, 1);
        // A gathered K reads columns in a scrambled order from the slice [2, 2 + k).
        var index = Enumerable.Range(0, k).Select(j => 2 + (j * 7) % k).ToArray();
        if (gather && k > 1 && index.Distinct().Count() != k) index = Enumerable.Range(0, k).Select(j => 2 + (k - 1 - j)).ToArray();

        var packed = PackedMatrix.FromOutputMajor(w, n, k, bias, isa);
        var c = new float[m * ldc + 32];
        Array.Fill(c, Sentinel);
        fixed (float* pa = a) fixed (float* pc = c) fixed (float* pr = r) fixed (int* pi = index)
        {
            var args = new GemmArgs
            {
                A = gather ? pa : pa + 2, Lda = lda, KIndex = gather ? pi : null,
                C = pc + 16, Ldc = ldc, Residual = residual ? pr : null, Ldr = ldc, Activation = act,
            };
            // Split the rows in two calls, as two threads would.
            var half = m / 2;
            GemmKernel.Run(packed, args, 0, half, isa);
            GemmKernel.Run(packed, args, half, m, isa);
        }

        for (var i = 0; i < 16; i++) Assert.Equal(Sentinel, c[i]);
        for (var row = 0; row < m; row++)
        {
            for (var col = 0; col < ldc; col++)
            {
                var got = c[16 + row * ldc + col];
                if (col >= n)
                {
                    Assert.True(got == Sentinel, $"{isa} wrote outside its columns at ({row}, {col})");
                    continue;
                }
                double acc = bias[col];
                for (var p = 0; p < k; p++)
                    acc += (double)a[row * lda + (gather ? index[p] : 2 + p)] * w[col * k + p];
                if (residual) acc += r[row * ldc + col];
                var expected = Activations.Apply((float)acc, act);
                // Rounding error grows with K: the sweep's K ≤ 64 gets the base tolerance, longer K proportionally more.
                Assert.True(Math.Abs(got - expected) <= Tolerance * Math.Max(1, k / 64.0) * Math.Max(1, Math.Abs(expected)),
                    $"f32-gemm__{isa.Word()} m={m} k={k} n={n} {act} res={residual} gather={gather}: ({row},{col}) {got} vs {expected}");
            }
        }
        for (var i = 16 + m * ldc; i < c.Length; i++) Assert.Equal(Sentinel, c[i]);
    }
}
