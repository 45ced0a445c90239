using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime.Cpu;

/// <summary>Tolerances of the CPU kernel tests against the reference kernels, named for what they absorb.</summary>
internal static class CpuTolerance
{
    /// <summary>
    /// A dot product of m ≤ 50 terms (a 7×7 window plus the bias) summed in another order, with fused multiply-adds,
    /// differs from the reference's left-to-right sum of rounded products by at most about m·2⁻²⁴·Σ|terms|
    /// (≈ 3·10⁻⁶·Σ|terms|); an activation scales that by its slope, at most 1.5 (hard-swish at x = 3). Applied to
    /// Σ|x·w| + |b|, not to |y|, because cancellation can make |y| much smaller than the error of its terms.
    /// </summary>
    public const float ReorderedDot = 5e-6f;

    /// <summary>The activation's own rounding on slightly different inputs: a few ulps of the result (2⁻²¹ relative).</summary>
    public const float ActivationUlps = 5e-7f;

    /// <summary>A sum in the reference's order, then ×(1/n) instead of ÷n: two roundings instead of one, ≤ 2 ulps relative.</summary>
    public const float ReciprocalMultiply = 2.5e-7f;

    /// <summary>
    /// Softmax against the reference (MathF.Exp, a sequential sum, a division), relative to the expected value, as
    /// <c>SoftmaxPerTerm · n + SoftmaxFixed</c>: two sums of the same n positive terms in different orders differ by at
    /// most about n·2⁻²⁴ relative (each partial sum's rounding is ≤ 2⁻²⁴ of the total, no cancellation).
    /// </summary>
    public const float SoftmaxPerTerm = 6e-8f;

    /// <summary>The vectorized exp (measured within 1.5·10⁻⁷ relative) plus ×(1/Σ) instead of ÷Σ (one more rounding).</summary>
    public const float SoftmaxFixed = 4e-7f;
}

/// <summary>
/// A pinned float buffer holding <see cref="Pixels"/> pixel rows of <see cref="Stride"/> floats, with a margin on both
/// sides. Only channels [<see cref="Offset"/>, Offset + <see cref="Channels"/>) of each pixel are live; every other
/// float (margins and the gaps between pixels' slices) holds <see cref="Poison"/>, a NaN with a payload no arithmetic
/// produces. A kernel that writes outside its slice is caught by <see cref="AssertPoisonIntact"/>, and one that reads
/// outside it and uses the value turns its output into NaN, which no tolerance accepts.
/// </summary>
internal sealed unsafe class Strided
{
    public const int Margin = 37;
    public static readonly float Poison = BitConverter.Int32BitsToSingle(0x7FC5_A5A5);

    private readonly float[] _data;

    public Strided(int pixels, int channels, int stride, int offset)
    {
        if (stride < offset + channels) throw new ArgumentException($"stride {stride} cannot hold channels [{offset}, {offset + channels})");
        Pixels = pixels;
        Channels = channels;
        Stride = stride;
        Offset = offset;
        _data = GC.AllocateArray<float>(2 * Margin + pixels * stride + 1, pinned: true);
        _data.AsSpan().Fill(Poison);
    }

    /// <summary>A dense buffer (stride = channels) with margins.</summary>
    public static Strided Dense(int pixels, int channels) => new(pixels, channels, channels, 0);

    public int Pixels { get; }
    public int Channels { get; }
    public int Stride { get; }
    public int Offset { get; }

    /// <summary>Channel 0 of pixel 0 (what a kernel receives). Valid for the buffer's lifetime: the array is pinned.</summary>
    public float* Ptr
    {
        get
        {
            fixed (float* p = _data) return p + Margin + Offset;
        }
    }

    public ref float this[int pixel, int channel] => ref _data[Margin + pixel * Stride + Offset + channel];

    public void AssertPoisonIntact(string context)
    {
        for (var i = 0; i < _data.Length; i++)
        {
            var k = i - Margin;
            var live = k >= 0 && k < Pixels * Stride && k % Stride >= Offset && k % Stride < Offset + Channels;
            if (!live && BitConverter.SingleToInt32Bits(_data[i]) != BitConverter.SingleToInt32Bits(Poison))
                Assert.Fail($"{context}: float {k} (pixel {Math.DivRem(k, Stride).Quotient}, lane {(k % Stride + Stride) % Stride}) outside the live channels was overwritten with {_data[i]}");
        }
    }

    /// <summary>Image <paramref name="image"/> of an NCHW tensor, as NHWC pixels in the live slice of a new buffer.</summary>
    public static Strided FromNchw(Tensor x, int image, int stride, int offset)
    {
        int c = x.Shape.C, h = x.Shape.H, w = x.Shape.W;
        var b = new Strided(h * w, c, stride, offset);
        for (var ch = 0; ch < c; ch++)
        {
            for (var p = 0; p < h * w; p++) b[p, ch] = x.Data[(image * c + ch) * h * w + p];
        }
        return b;
    }
}

/// <summary>
/// Combinatorial test design: a small set of cases in which every pair of values of any two factors occurs at least
/// once (greedy, in the style of AETG), drawn with a fixed seed so the set never changes between runs. Pairs that no
/// valid case can hold (e.g. a 7×7 window on a 1×1 image without padding) are dropped after a bounded search.
/// </summary>
internal static class Pairwise
{
    public static List<int[]> Cases(int[] sizes, Func<int[], bool> valid, ulong seed)
    {
        var rng = new Rng(seed);
        var factors = sizes.Length;
        var uncovered = new List<(int A, int VA, int B, int VB)>();
        for (var a = 0; a < factors; a++)
        {
            for (var b = a + 1; b < factors; b++)
            {
                for (var va = 0; va < sizes[a]; va++)
                {
                    for (var vb = 0; vb < sizes[b]; vb++) uncovered.Add((a, va, b, vb));
                }
            }
        }

        var cases = new List<int[]>();
        while (uncovered.Count > 0)
        {
            var target = uncovered[0];
            int[]? best = null;
            var bestGain = 0;
            for (var attempt = 0; attempt < 200 && (best is null || attempt < 40); attempt++)
            {
                var candidate = new int[factors];
                for (var f = 0; f < factors; f++) candidate[f] = (int)(rng.NextUInt64() % (ulong)sizes[f]);
                candidate[target.A] = target.VA;
                candidate[target.B] = target.VB;
                if (!valid(candidate)) continue;
                var gain = uncovered.Count(p => candidate[p.A] == p.VA && candidate[p.B] == p.VB);
                if (gain > bestGain)
                {
                    best = candidate;
                    bestGain = gain;
                }
            }
            if (best is null)
            {
                uncovered.RemoveAt(0);
                continue;
            }
            cases.Add(best);
            uncovered.RemoveAll(p => best[p.A] == p.VA && best[p.B] == p.VB);
        }
        return cases;
    }
}

internal static class CpuTestData
{
    /// <summary>The channel counts every kernel is swept over: the register widths, their neighbours and their multiples.</summary>
    public static readonly int[] Channels = [1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33];

    /// <summary>Spatial sizes: one pixel, a pair, the 7 of the last stages, and odd sizes that leave every tile a remainder.</summary>
    public static readonly int[] Sizes = [1, 2, 7, 15, 17, 33];

    public static readonly FusedActivation[] Activations = Enum.GetValues<FusedActivation>();

    /// <summary>Every tier this process can run, as theory data would list them.</summary>
    public static Isa[] Tiers => Emulation.Tiers;

    public static Tensor Normal(ulong seed, float scale, params int[] dims)
    {
        var t = new Rng(seed).NormalTensor(dims);
        for (var i = 0; i < t.Data.Length; i++) t.Data[i] *= scale;
        return t;
    }

    public static Tensor Abs(Tensor t)
    {
        var a = t.Clone();
        for (var i = 0; i < a.Data.Length; i++) a.Data[i] = Math.Abs(a.Data[i]);
        return a;
    }

    /// <summary>Splits [0, n) into three consecutive ranges (some possibly empty), as a caller splitting rows over threads would.</summary>
    public static (int Start, int End)[] ThreeRanges(int n) => [(0, n / 3), (n / 3, 2 * n / 3), (2 * n / 3, n)];
}
