using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Reference;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime.Cpu;

/// <summary>
/// <see cref="Elementwise"/> on every tier: the element-wise maps and data movements must match
/// their formulas bit for bit (one rounding each, no reordering), softmax within <see cref="CpuTolerance.SoftmaxPerTerm"/>.
/// </summary>
public class ElementwiseKernelTests
{
    /// <summary>Lengths around every register width and a long one with a ragged end.</summary>
    public static TheoryData<int> Lengths => new(0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 1000, 1007);

    [Theory]
    [MemberData(nameof(Lengths))]
    public unsafe void Add_applies_each_activation_to_the_exact_sum(int n)
    {
        var a = Random(1, n);
        var b = Random(2, n);
        foreach (var isa in CpuTestData.Tiers)
        {
            foreach (var act in CpuTestData.Activations)
            {
                var output = Strided.Dense(n, 1);
                Elementwise.Add(a.Ptr, b.Ptr, output.Ptr, n, act, isa);
                output.AssertPoisonIntact($"add n={n} {act} on {isa}");
                for (var i = 0; i < n; i++)
                    Assert.Equal(Activations.Apply(a[i, 0] + b[i, 0], act), output[i, 0]);
            }
            // In place: the residual add writes over its input.
            var inPlace = Random(1, n);
            Elementwise.Add(inPlace.Ptr, b.Ptr, inPlace.Ptr, n, FusedActivation.Relu, isa);
            for (var i = 0; i < n; i++) Assert.Equal(Activations.Apply(a[i, 0] + b[i, 0], FusedActivation.Relu), inPlace[i, 0]);
        }
    }

    public static TheoryData<int, int, int, int> ChannelCases()
    {
        var data = new TheoryData<int, int, int, int>();
        var pixels = new[] { 1, 7, 15 };
        var extras = new[] { 0, 5 };
        for (var i = 0; i < CpuTestData.Channels.Length; i++)
            data.Add(CpuTestData.Channels[i], pixels[i % pixels.Length], extras[i % 2], extras[(i / 2) % 2] + i % 3);
        return data;
    }

    [Theory]
    [MemberData(nameof(ChannelCases))]
    public unsafe void Copy_moves_a_channel_slice_bit_for_bit(int channels, int pixels, int srcExtra, int dstExtra)
    {
        var src = Random(5, pixels, channels, channels + srcExtra);
        foreach (var isa in CpuTestData.Tiers)
        {
            // A concat's second part: channels [dstExtra, dstExtra + channels) of a wider buffer.
            var dst = new Strided(pixels, channels, channels + 2 * dstExtra, dstExtra);
            Elementwise.CopyChannels(src.Ptr, src.Stride, dst.Ptr, dst.Stride, pixels, channels, isa);
            dst.AssertPoisonIntact($"copy {pixels}x{channels} on {isa}");
            for (var p = 0; p < pixels; p++)
            {
                for (var c = 0; c < channels; c++) Assert.Equal(src[p, c], dst[p, c]);
            }
        }
    }

    [Theory]
    [InlineData(1, 0f)]
    [InlineData(7, 0f)]
    [InlineData(16, 0f)]
    [InlineData(17, 90f)]     // exp(90) overflows float: the maximum must be subtracted first
    [InlineData(1000, 5f)]    // ImageNet's classes
    [InlineData(1003, -80f)]
    public unsafe void Softmax_matches_the_reference(int n, float shift)
    {
        var x = Random(6, n);
        for (var i = 0; i < n; i++) x[i, 0] = x[i, 0] * 4f + shift;
        if (n > 2) x[1, 0] = -1e30f; // exp underflows to 0 without producing NaN
        var logits = new Tensor(new Shape(1, n), Enumerable.Range(0, n).Select(i => x[i, 0]).ToArray());
        var expected = ActivationReference.Softmax(logits);
        foreach (var isa in CpuTestData.Tiers)
        {
            var y = Strided.Dense(n, 1);
            Elementwise.Softmax(x.Ptr, y.Ptr, n, isa);
            y.AssertPoisonIntact($"softmax {n} on {isa}");
            for (var i = 0; i < n; i++)
            {
                var want = expected.Data[i];
                var bound = (CpuTolerance.SoftmaxPerTerm * n + CpuTolerance.SoftmaxFixed) * want + 1e-37f; // + slack for subnormal results, which carry few significant bits
                Assert.True(Math.Abs(y[i, 0] - want) <= bound,
                    $"softmax n={n} on {isa}: element {i} is {y[i, 0]:R}, reference {want:R}");
            }
        }
    }

    private static Strided Random(ulong seed, int pixels, int channels = 1, int? stride = null)
    {
        var b = new Strided(pixels, channels, stride ?? channels, 0);
        var rng = new Rng(seed);
        for (var p = 0; p < pixels; p++)
        {
            for (var c = 0; c < channels; c++) b[p, c] = (float)rng.NextNormal() * 3f;
        }
        return b;
    }
}
