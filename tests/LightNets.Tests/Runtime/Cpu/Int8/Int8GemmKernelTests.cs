using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Runtime.Kernels.Reference.Int8;
using LightNets.Tensors;
using static LightNets.Tests.Runtime.Cpu.Int8.Int8TestData;

namespace LightNets.Tests.Runtime.Cpu.Int8;

/// <summary>
/// <see cref="Int8Gemm"/> on every path this process has against <see cref="Int8GemmReference"/>, byte for byte: every
/// K around the groups of 4, every N around the panel and register widths, row counts around every tile height, all
/// three weight families (full range: vpmaddubsw would saturate; 7-bit; pair-safe extremes), every epilogue variant,
/// with and without a residual, A read through a row stride wider than K and ending at a guard page, C and the
/// residual with their own strides, rows split in two calls starting after row 0, sentinels all around C.
/// </summary>
public unsafe class Int8GemmKernelTests
{
    private static readonly int[] Ks = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 64, 96, 144, 200];
    private static readonly int[] Ns = [.. Enumerable.Range(1, 33), 40, 64, 96];
    private static readonly int[] Ms = [1, 2, 3, 5, 6, 7, 13, 49];

    public static TheoryData<Int8Isa, int> PathsByK()
    {
        var data = new TheoryData<Int8Isa, int>();
        foreach (var isa in Int8Caps.Available)
            foreach (var k in Ks)
                data.Add(isa, k);
        return data;
    }

    [Theory]
    [MemberData(nameof(PathsByK))]
    public void Matches_the_reference_byte_for_byte(Int8Isa isa, int k)
    {
        for (var i = 0; i < Ns.Length; i++)
        {
            var n = Ns[i];
            var m = Ms[(i + k) % Ms.Length];
            var c = new GemmCase(isa, m, k, n, (WeightKind)(i % 3), Variant: i + k, Residual: (i + k) % 2 == 0,
                ExtraLda: (i / 2 % 4) switch { 0 => 0, 1 => 1, 2 => 5, _ => 13 }, ExtraLdc: i % 3 == 0 ? 3 : 0, Channel: i % 4 == 1 ? 3 : 0);
            Check(c, floatOutput: false);
        }
    }

    /// <summary>The float-output form (the logits of a last FC layer) on a smaller sweep: every value bit for bit (±0 alike).</summary>
    [Theory]
    [MemberData(nameof(PathsByK))]
    public void Float_output_matches_the_reference(Int8Isa isa, int k)
    {
        if (k % 3 != 1 && k != 144) return;
        for (var i = 0; i < Ns.Length; i += 3)
            Check(new GemmCase(isa, Ms[i % Ms.Length], k, Ns[i], (WeightKind)(i % 3), i, i % 2 == 1, i % 4, i % 3, 0), floatOutput: true);
    }

    /// <summary>MobileNetV2's 1×1 shapes (scaled down in M where the reference would be slow), on every path and weight family.</summary>
    [Theory]
    [MemberData(nameof(ModelShapes))]
    public void Model_shapes_match_the_reference(Int8Isa isa, int m, int k, int n, WeightKind weights)
    {
        Check(new GemmCase(isa, m, k, n, weights, Variant: k + n, Residual: n % 3 == 0, ExtraLda: 0, ExtraLdc: 0, Channel: 0), floatOutput: false);
    }

    public static TheoryData<Int8Isa, int, int, int, WeightKind> ModelShapes()
    {
        var data = new TheoryData<Int8Isa, int, int, int, WeightKind>();
        (int M, int K, int N)[] shapes = [(98, 144, 24), (61, 144, 32), (50, 192, 64), (49, 384, 64), (13, 960, 320), (3, 1280, 100)];
        foreach (var isa in Int8Caps.Available)
            foreach (var (m, k, n) in shapes)
                foreach (var w in Enum.GetValues<WeightKind>())
                    data.Add(isa, m, k, n, w);
        return data;
    }

    [Fact]
    public void Pair_safety_is_recorded_at_pack_time()
    {
        var rng = new Rng(7);
        foreach (var k in Ks)
        {
            var n = 5;
            Assert.Equal(k >= 2 ? false : true, PackedInt8Matrix.Pack(Weights8(rng, n * k, WeightKind.FullRange, k), n, k, Int8Isa.V512).PairSafe);
            Assert.True(PackedInt8Matrix.Pack(Weights8(rng, n * k, WeightKind.SevenBit, k), n, k, Int8Isa.V512).PairSafe);
            Assert.True(PackedInt8Matrix.Pack(Weights8(rng, n * k, WeightKind.PairSafeExtremes, k), n, k, Int8Isa.V256).PairSafe);
        }
        Assert.True(PackedInt8Matrix.SafePair(-128, 127) && PackedInt8Matrix.SafePair(64, 64) && PackedInt8Matrix.SafePair(-128, 0));
        Assert.False(PackedInt8Matrix.SafePair(65, 64) || PackedInt8Matrix.SafePair(-128, -1) || PackedInt8Matrix.SafePair(127, 2));
    }

    [Fact]
    public void The_default_packing_picks_a_path_this_process_runs()
    {
        var rng = new Rng(5);
        foreach (var kind in Enum.GetValues<WeightKind>())
            foreach (var n in new[] { 8, 24, 32, 100 })
            {
                var w = Weights8(rng, n * 20, kind, 20);
                var p = PackedInt8Matrix.Pack(w, n, 20);
                Assert.True(Int8Caps.Supports(p.Isa));
                Assert.Equal(p.Isa, Int8Gemm.EffectivePath(p, p.Isa));
                Assert.Equal(PackedInt8Matrix.IsPairSafe(w, n, 20), p.PairSafe);
            }
    }

    /// <summary>
    /// A clamp whose range lies wholly below, across or above the output's representable range, with small and large
    /// output scales: the kernels merge it into the rounding's clamp, which must change no byte.
    /// </summary>
    [Fact]
    public void A_clamp_merged_into_the_rounding_changes_no_byte()
    {
        (float Lo, float Hi)[] clamps = [(-10f, -5f), (300f, 400f), (-1f, 1f), (0f, 0f), (2.5f, 2.5f), (float.NegativeInfinity, -0.3f)];
        float[] scales = [0.5f, 1f, 37f, 1e6f];
        var v = 0;
        foreach (var isa in Int8Caps.Available)
            foreach (var (lo, hi) in clamps)
                foreach (var os in scales)
                {
                    var rng = new Rng((ulong)v++);
                    var q = Epilogue(rng, 2, 40, 33) with { ClampMin = lo, ClampMax = hi, OutputScale = os, OutputZeroPoint = v % 3 * 100 };
                    CheckWith(new GemmCase(isa, 7, 33, 40, WeightKind.SevenBit, v, v % 2 == 0, 1, 0, 0), q);
                }
    }

    [Fact]
    public void Packing_round_trips_every_weight()
    {
        var rng = new Rng(11);
        foreach (var isa in Enum.GetValues<Int8Isa>())
            foreach (var (n, k) in new[] { (1, 1), (33, 7), (40, 17), (96, 5) })
            {
                var w = Weights8(rng, n * k, WeightKind.FullRange, k);
                var p = PackedInt8Matrix.Pack(w, n, k, isa);
                for (var j = 0; j < n; j++)
                {
                    var sum = 0;
                    for (var p0 = 0; p0 < k; p0++)
                    {
                        Assert.Equal(w[j * k + p0], p.At(j, p0));
                        sum += w[j * k + p0];
                    }
                    Assert.Equal(sum, p.ColumnSums[j]);
                }
            }
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var b = PackedInt8Matrix.Pack(new sbyte[12], 3, 4, Int8Isa.Scalar);
        var q = new Requantize { Scale = new float[3], Bias = new float[3] };
        var a = new byte[16];
        var c = new byte[16];
        fixed (byte* pa = a) fixed (byte* pc = c)
        {
            var ok = new Int8GemmArgs { A = pa, Lda = 4, C = pc, Ldc = 3 };
            Int8Gemm.Run(b, ok, q, 0, 2, Int8Isa.Scalar);
            Assert.Throws<ArgumentException>(() => Int8Gemm.Run(b, ok with { Lda = 3 }, q, 0, 2, Int8Isa.Scalar));
            Assert.Throws<ArgumentException>(() => Int8Gemm.Run(b, ok with { ZeroPointA = 256 }, q, 0, 2, Int8Isa.Scalar));
            Assert.Throws<ArgumentException>(() => Int8Gemm.Run(b, ok with { Channel = 1 }, q, 0, 2, Int8Isa.Scalar));
            Assert.Throws<ArgumentException>(() => Int8Gemm.Run(b, ok, q with { QMax = 256 }, 0, 2, Int8Isa.Scalar));
            Assert.Throws<ArgumentNullException>(() => Int8Gemm.RunFloat(b, ok, q, 0, 2, Int8Isa.Scalar));
        }
        Assert.Throws<ArgumentException>(() => PackedInt8Matrix.Pack(new sbyte[11], 3, 4, Int8Isa.V512));
    }

    public sealed record GemmCase(Int8Isa Isa, int M, int K, int N, WeightKind Weights, int Variant, bool Residual, int ExtraLda,
        int ExtraLdc, int Channel)
    {
        public override string ToString() =>
            $"i8-gemm__{Isa.Word()} M={M} K={K} N={N} {Weights} variant {Variant}{(Residual ? " residual" : "")} lda+{ExtraLda} ldc+{ExtraLdc} channel {Channel}";
    }

    private static void CheckWith(GemmCase t, Requantize q) => Check(t, floatOutput: false, q);

    private static void Check(GemmCase t, bool floatOutput, Requantize? epilogue = null)
    {
        var rng = new Rng((ulong)(t.M * 100_003 + t.K * 1009 + t.N * 17 + t.Variant));
        int m = t.M, k = t.K, n = t.N;
        var lda = k + t.ExtraLda;
        var ldc = n + t.ExtraLdc;
        var ldr = n + (t.Variant % 2 == 0 ? 2 : 0);
        var za = new[] { 0, 255, 128, Int(rng, 1, 254) }[t.Variant % 4];
        var w = Weights8(rng, n * k, t.Weights, k);
        var q = epilogue ?? Epilogue(rng, t.Variant, t.Channel + n + 2, k);
        var packed = PackedInt8Matrix.Pack(w, n, k, t.Isa);

        // A ends exactly at a guard page: the last row has K bytes, not lda. Row 0 is all 255 (saturates unsafe pairs).
        using var a = new GuardedBytes((m - 1) * lda + k);
        Fill(rng, a.Span);
        a.Span[..k].Fill(255);
        using var r = new GuardedBytes(t.Residual ? (m - 1) * ldr + n : 0);
        Fill(rng, r.Span);

        // Rows [rowStart, m) in two calls, as two threads would; rows before rowStart must stay untouched.
        var rowStart = m > 2 ? 1 : 0;
        var split = rowStart + (m - rowStart) / 2;
        var args = new Int8GemmArgs
        {
            A = a.Ptr, Lda = lda, ZeroPointA = za, Ldc = ldc, Residual = t.Residual ? r.Ptr : null, Ldr = ldr, Channel = t.Channel,
        };
        var residual = t.Residual ? r.Span : default;
        if (floatOutput)
        {
            var c = new SentinelBuffer<float>(m, ldc, -1234.5f);
            args.FloatC = c.Ptr;
            Int8Gemm.RunFloat(packed, args, q, rowStart, split, t.Isa);
            Int8Gemm.RunFloat(packed, args, q, split, m, t.Isa);
            var expected = new float[m * ldc];
            Int8GemmReference.GemmFloat(a.Span, lda, za, w, m, n, k, q, t.Channel, residual, ldr, expected, ldc);
            for (var i = rowStart; i < m; i++)
                for (var j = 0; j < n; j++)
                    if (c[i, j] != expected[i * ldc + j] && !(float.IsNaN(c[i, j]) && float.IsNaN(expected[i * ldc + j])))
                        Assert.Fail($"{t} float: ({i}, {j}) is {c[i, j]:R}, the reference {expected[i * ldc + j]:R}");
            c.AssertOnlyWritten(rowStart, m, n, t.ToString());
        }
        else
        {
            var c = new SentinelBuffer<byte>(m, ldc, 0xA5);
            args.C = (byte*)c.Ptr;
            Int8Gemm.Run(packed, args, q, rowStart, split, t.Isa);
            Int8Gemm.Run(packed, args, q, split, m, t.Isa);
            var expected = new byte[m * ldc];
            Int8GemmReference.Gemm(a.Span, lda, za, w, m, n, k, q, t.Channel, residual, ldr, expected, ldc);
            for (var i = rowStart; i < m; i++)
                for (var j = 0; j < n; j++)
                    if (c[i, j] != expected[i * ldc + j])
                        Assert.Fail($"{t}: ({i}, {j}) is {c[i, j]}, the reference {expected[i * ldc + j]} (PairSafe {packed.PairSafe}, za {za})");
            c.AssertOnlyWritten(rowStart, m, n, t.ToString());
        }
    }
}
