using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Runtime.Kernels.Reference.Int8;
using LightNets.Tensors;
using static LightNets.Tests.Runtime.Cpu.Int8.Int8TestData;

namespace LightNets.Tests.Runtime.Cpu.Int8;

/// <summary>
/// <see cref="Int8Elementwise"/> on every tier against <see cref="Int8ElementwiseReference"/>, byte for byte (float
/// outputs bit for bit): channel counts around every register width (and the 64-byte blocks of the table lookup),
/// inputs as channel slices ending at a guard page, outputs as slices with sentinels in the gaps and around them,
/// zero points 0 and 255, values that saturate both ends and exact ties (power-of-two scales), huge values.
/// </summary>
public unsafe class Int8ElementwiseKernelTests
{
    private static readonly int[] Channels = [.. CpuTestData.Channels, 63, 64, 65, 100, 130];

    public static TheoryData<Isa> TierData() => [.. CpuTestData.Tiers];

    public static TheoryData<Isa, int> TiersByChannels()
    {
        var data = new TheoryData<Isa, int>();
        foreach (var isa in CpuTestData.Tiers)
            foreach (var c in Channels)
                data.Add(isa, c);
        return data;
    }

    private static QuantParams Params(Rng rng, int i, bool powerOfTwo = false) =>
        new(powerOfTwo ? 0.25f : (float)(rng.NextDouble() * 0.2 + 0.005), new[] { 0, 255, 128, Int(rng, 1, 254) }[i % 4]);

    [Theory]
    [MemberData(nameof(TiersByChannels))]
    public void Quantize_and_dequantize_match_the_reference(Isa isa, int c)
    {
        for (var v = 0; v < 4; v++)
        {
            var rng = new Rng((ulong)(c * 10 + v));
            var pixels = 1 + v * 2;
            var (xs, ys) = (c + v % 3, c + (v + 1) % 3);
            var q = Params(rng, v, powerOfTwo: v % 2 == 1);
            using var x = new GuardedBytes(((pixels - 1) * xs + c) * sizeof(float));
            var xf = (float*)x.Ptr;
            for (var i = 0; i < x.Length / 4; i++)
            {
                // Whole quarters give exact ties under a 0.25 scale; some values saturate or are huge.
                xf[i] = (i % 7) switch { 0 => Int(rng, -200, 200) * 0.125f, 1 => 1e30f, 2 => -3e9f, _ => (float)(rng.NextDouble() * 80 - 40) };
            }
            var y = new SentinelBuffer<byte>(pixels, ys, 0xA5);
            Int8Elementwise.Quantize(xf, xs, y.Ptr, ys, pixels, c, q, isa);
            for (var p = 0; p < pixels; p++)
                for (var ch = 0; ch < c; ch++)
                    Assert.True(y[p, ch] == Int8ElementwiseReference.Quantize(xf[p * xs + ch], q),
                        $"f32-u8-quantize__{isa.Word()} C={c}: ({p}, {ch}) from {xf[p * xs + ch]:R} is {y[p, ch]}");
            y.AssertOnlyWritten(0, pixels, c, $"quantize C={c}");

            using var b = new GuardedBytes((pixels - 1) * xs + c);
            Fill(rng, b.Span);
            var f = new SentinelBuffer<float>(pixels, ys, -777f);
            Int8Elementwise.Dequantize(b.Ptr, xs, q, f.Ptr, ys, pixels, c, isa);
            for (var p = 0; p < pixels; p++)
                for (var ch = 0; ch < c; ch++)
                    Assert.Equal(Int8ElementwiseReference.Dequantize(b.Span[p * xs + ch], q), f[p, ch]);
            f.AssertOnlyWritten(0, pixels, c, $"dequantize C={c}");
        }
    }

    [Theory]
    [MemberData(nameof(TiersByChannels))]
    public void Quantizing_an_nchw_image_matches_the_reference(Isa isa, int c)
    {
        var rng = new Rng((ulong)c);
        foreach (var pixels in new[] { 1, 5, 17, 49 })
        {
            var q = Params(rng, pixels);
            using var x = new GuardedBytes(pixels * c * sizeof(float));
            var xf = (float*)x.Ptr;
            for (var i = 0; i < pixels * c; i++) xf[i] = (float)(rng.NextDouble() * 60 - 30);
            var ys = c + 2;
            var y = new SentinelBuffer<byte>(pixels, ys, 0xA5);
            Int8Elementwise.QuantizeNchw(xf, pixels, c, y.Ptr, ys, q, isa);
            var expected = Int8ElementwiseReference.QuantizeNchw(new ReadOnlySpan<float>(xf, pixels * c), pixels, c, q);
            for (var p = 0; p < pixels; p++)
                for (var ch = 0; ch < c; ch++)
                    Assert.True(expected[p * c + ch] == y[p, ch], $"nchw quantize__{isa.Word()} C={c} pixels={pixels}: ({p}, {ch})");
            y.AssertOnlyWritten(0, pixels, c, $"nchw C={c}");
        }
    }

    /// <summary>An RGB image into packed 3-byte pixels (the stem's input): whole 64-pixel blocks interleaved by shuffles, the rest strided.</summary>
    [Theory]
    [MemberData(nameof(TierData))]
    public void Quantizing_an_rgb_image_into_packed_pixels_matches_the_reference(Isa isa)
    {
        var rng = new Rng(3);
        foreach (var pixels in new[] { 63, 64, 65, 128, 200, 3136 })
        {
            var q = Params(rng, pixels, powerOfTwo: pixels % 2 == 0);
            using var x = new GuardedBytes(pixels * 3 * sizeof(float));
            var xf = (float*)x.Ptr;
            for (var i = 0; i < pixels * 3; i++) xf[i] = i % 11 == 0 ? Int(rng, -300, 300) * 0.125f : (float)(rng.NextDouble() * 60 - 30);
            using var y = new GuardedBytes(pixels * 3);
            Int8Elementwise.QuantizeNchw(xf, pixels, 3, y.Ptr, 3, q, isa);
            var expected = Int8ElementwiseReference.QuantizeNchw(new ReadOnlySpan<float>(xf, pixels * 3), pixels, 3, q);
            Assert.True(expected.AsSpan().SequenceEqual(y.Span), $"rgb quantize__{isa.Word()} pixels={pixels}");
        }
    }

    [Theory]
    [MemberData(nameof(TiersByChannels))]
    public void Add_and_multiply_match_the_reference(Isa isa, int c)
    {
        for (var v = 0; v < 8; v++)
        {
            var rng = new Rng((ulong)(c * 100 + v));
            var pixels = 1 + v;
            int sa = c + v % 2, sb = c + v % 3, sy = c + (v + 1) % 2;
            QuantParams aq = Params(rng, v), bq = Params(rng, v + 1), yq = Params(rng, v + 2);
            using var a = new GuardedBytes((pixels - 1) * sa + c);
            using var b = new GuardedBytes((pixels - 1) * sb + c);
            using var bc = new GuardedBytes(c);
            Fill(rng, a.Span);
            Fill(rng, b.Span);
            Fill(rng, bc.Span);
            var add = new SentinelBuffer<byte>(pixels, sy, 0xA5);
            var mul = new SentinelBuffer<byte>(pixels, sy, 0xA5);
            var mulc = new SentinelBuffer<byte>(pixels, sy, 0xA5);
            Int8Elementwise.Add(a.Ptr, sa, aq, b.Ptr, sb, bq, add.Ptr, sy, yq, pixels, c, isa);
            Int8Elementwise.Multiply(a.Ptr, sa, aq, b.Ptr, sb, bq, mul.Ptr, sy, yq, pixels, c, isa);
            Int8Elementwise.MultiplyByChannel(a.Ptr, sa, aq, bc.Ptr, bq, mulc.Ptr, sy, yq, pixels, c, isa);
            for (var p = 0; p < pixels; p++)
                for (var ch = 0; ch < c; ch++)
                {
                    byte x = a.Span[p * sa + ch], z = b.Span[p * sb + ch], s = bc.Span[ch];
                    Assert.True(Int8ElementwiseReference.Add(x, aq, z, bq, yq) == add[p, ch], $"u8-vadd__{isa.Word()} C={c} v={v} ({p}, {ch})");
                    Assert.True(Int8ElementwiseReference.Multiply(x, aq, z, bq, yq) == mul[p, ch], $"u8-vmul__{isa.Word()} C={c} v={v} ({p}, {ch})");
                    Assert.True(Int8ElementwiseReference.Multiply(x, aq, s, bq, yq) == mulc[p, ch], $"u8-vmulc__{isa.Word()} C={c} v={v} ({p}, {ch})");
                }
            add.AssertOnlyWritten(0, pixels, c, "add");
            mul.AssertOnlyWritten(0, pixels, c, "mul");
            mulc.AssertOnlyWritten(0, pixels, c, "mulc");
        }
    }

    [Fact]
    public void Add_may_write_in_place()
    {
        var rng = new Rng(3);
        QuantParams q = new(0.1f, 100);
        var a = new byte[100];
        var b = new byte[100];
        Fill(rng, a);
        Fill(rng, b);
        var expected = a.Select((x, i) => Int8ElementwiseReference.Add(x, q, b[i], q, q)).ToArray();
        foreach (var isa in CpuTestData.Tiers)
        {
            var y = (byte[])a.Clone();
            fixed (byte* py = y) fixed (byte* pb = b)
                Int8Elementwise.Add(py, 100, q, pb, 100, q, py, 100, q, 1, 100, isa);
            Assert.Equal(expected, y);
        }
    }

    [Theory]
    [MemberData(nameof(TiersByChannels))]
    public void Table_lookup_matches_the_table(Isa isa, int c)
    {
        var rng = new Rng((ulong)(c + 5));
        var table = new byte[256];
        Fill(rng, table);
        foreach (var pixels in new[] { 1, 3 })
        {
            var xs = c + pixels;
            using var x = new GuardedBytes((pixels - 1) * xs + c);
            Fill(rng, x.Span);
            if (x.Length > 2) (x.Span[0], x.Span[1]) = (0, 255);
            var y = new SentinelBuffer<byte>(pixels, c + 1, 0xA5);
            fixed (byte* t = table) Int8Elementwise.Lookup(x.Ptr, xs, y.Ptr, c + 1, pixels, c, t, isa);
            for (var p = 0; p < pixels; p++)
                for (var ch = 0; ch < c; ch++)
                    Assert.True(table[x.Span[p * xs + ch]] == y[p, ch], $"u8-lut__{isa.Word()} C={c}: ({p}, {ch})");
            y.AssertOnlyWritten(0, pixels, c, "lut");
        }
        // Packed pixels (strides = C) run as one stretch of bytes: 37 pixels cross 64-byte blocks at any C.
        using var packed = new GuardedBytes(37 * c);
        Fill(rng, packed.Span);
        var z = new SentinelBuffer<byte>(37 * c, 1, 0xA5);
        fixed (byte* t = table) Int8Elementwise.Lookup(packed.Ptr, c, z.Ptr, c, 37, c, t, isa);
        for (var i = 0; i < 37 * c; i++) Assert.True(table[packed.Span[i]] == z[i, 0], $"u8-lut__{isa.Word()} C={c} packed: byte {i}");
        z.AssertOnlyWritten(0, 37 * c, 1, "lut packed");
    }

    [Fact]
    public void Bad_parameters_are_refused()
    {
        var x = new byte[8];
        var y = new byte[8];
        fixed (byte* px = x) fixed (byte* py = y)
        {
            var (ix, iy) = ((nint)px, (nint)py);
            Assert.Throws<ArgumentException>(() => Int8Elementwise.Dequantize((byte*)ix, 8, new QuantParams(0f, 0), (float*)iy, 2, 1, 2, Isa.V512));
            Assert.Throws<ArgumentException>(() => Int8Elementwise.Dequantize((byte*)ix, 8, new QuantParams(1f, 256), (float*)iy, 2, 1, 2, Isa.V512));
            Assert.Throws<ArgumentException>(() => Int8Elementwise.Add((byte*)ix, 1, new(1f, 0), (byte*)ix, 2, new(1f, 0), (byte*)iy, 2, new(1f, 0), 1, 2, Isa.V512));
        }
    }
}
