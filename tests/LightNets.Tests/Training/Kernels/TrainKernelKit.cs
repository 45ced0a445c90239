using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;
using LightNets.Training;

namespace LightNets.Tests.Training.Kernels;

/// <summary>
/// A pinned float buffer with poisoned margins on both sides: a kernel that writes outside [0, Length) is caught by
/// <see cref="AssertMarginsIntact"/>. The margins hold a NaN with a payload no arithmetic produces.
/// </summary>
internal sealed unsafe class Guarded
{
    public const int Margin = 37;
    public static readonly float Poison = BitConverter.Int32BitsToSingle(0x7FC5_A5A5);

    private readonly float[] _data;

    public Guarded(int length)
    {
        Length = length;
        _data = GC.AllocateArray<float>(2 * Margin + length, pinned: true);
        _data.AsSpan().Fill(Poison);
    }

    /// <summary>A buffer of normal values (mean 0, standard deviation <paramref name="std"/>) drawn from <paramref name="seed"/>.</summary>
    public static Guarded Normal(int length, ulong seed, double std = 1)
    {
        var g = new Guarded(length);
        new Rng(seed).FillNormal(g.Span, 0, std);
        return g;
    }

    public int Length { get; }

    public float* Ptr
    {
        get
        {
            fixed (float* p = _data) return p + Margin;
        }
    }

    public Span<float> Span => _data.AsSpan(Margin, Length);

    public float[] ToArray() => Span.ToArray();

    public void AssertMarginsIntact(string context)
    {
        for (var i = 0; i < Margin; i++)
        {
            if (BitConverter.SingleToInt32Bits(_data[i]) != BitConverter.SingleToInt32Bits(Poison))
                Assert.Fail($"{context}: float {i - Margin} before the buffer was overwritten with {_data[i]}");
            var after = Margin + Length + i;
            if (BitConverter.SingleToInt32Bits(_data[after]) != BitConverter.SingleToInt32Bits(Poison))
                Assert.Fail($"{context}: float {Length + i} past the buffer was overwritten with {_data[after]}");
        }
    }
}

internal static class TrainKernelKit
{
    /// <summary>Every tier this process runs, lowest first.</summary>
    public static Isa[] Tiers => Emulation.Tiers;

    /// <summary>2⁻²⁴: the unit roundoff of float32.</summary>
    public const double Unit = 1.0 / (1 << 24);

    /// <summary>
    /// The error bound of a float32 sum of <paramref name="terms"/> products in any order with or without fused
    /// multiply-adds, against the exact sum: γ = (terms + 1)·u times the sum of the products' magnitudes (the classic
    /// worst case of recursive summation; the typical error is far smaller, so a kernel off by one term still fails).
    /// </summary>
    public static double DotBound(long terms, double magnitude) => (terms + 1) * Unit * magnitude + 1e-30;

    /// <summary>Fails with the first element of <paramref name="actual"/> outside its bound.</summary>
    public static void AssertWithin(ReadOnlySpan<float> actual, double[] expected, double[] bound, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < actual.Length; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]);
            if (!(error <= bound[i]))
                Assert.Fail($"{context}: element {i} is {actual[i]}, expected {expected[i]} ± {bound[i]:G3} (off by {error:G3})");
        }
    }

    /// <summary>A context per (threads, tier), disposed by the caller.</summary>
    public static TrainContext Context(int threads, Isa isa) => new(threads, isa);

    public static bool BitEqual(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) return false;
        for (var i = 0; i < a.Length; i++)
            if (!ExactFloat.Same(a[i], b[i])) return false;
        return true;
    }
}

/// <summary>Conversions and shapes for comparing the fast float kernels with the reference run in double.</summary>
internal static class Oracle
{
    public static double[] D(ReadOnlySpan<float> x)
    {
        var d = new double[x.Length];
        for (var i = 0; i < x.Length; i++) d[i] = x[i];
        return d;
    }

    public static double[] Abs(double[] x) => x.Select(Math.Abs).ToArray();

    public static float[] Normal(int length, ulong seed, double std = 1)
    {
        var a = new float[length];
        new Rng(seed).FillNormal(a, 0, std);
        return a;
    }

    /// <summary>A convolution with ONNX/PyTorch's output size; the bottom and right padding default to the top and left.</summary>
    public static LightNets.Training.Kernels.ConvShape Conv(int n, int h, int w, int cin, int cout, int k, int stride = 1, int pad = 0,
        int dilation = 1, int groups = 1, int? padBottom = null, int? kw = null, int? strideW = null)
    {
        var kernelW = kw ?? k;
        var sw = strideW ?? stride;
        var outH = (h + pad + (padBottom ?? pad) - dilation * (k - 1) - 1) / stride + 1;
        var outW = (w + pad + (padBottom ?? pad) - dilation * (kernelW - 1) - 1) / sw + 1;
        return new(n, h, w, cin, cout, k, kernelW, stride, sw, pad, pad, dilation, dilation, groups, outH, outW);
    }

    /// <summary>Bounds of a float sum of <paramref name="terms"/> terms whose magnitudes sum to <paramref name="magnitude"/>[i].</summary>
    public static double[] Bounds(double[] magnitude, long terms) => magnitude.Select(m => TrainKernelKit.DotBound(terms, m)).ToArray();
}
