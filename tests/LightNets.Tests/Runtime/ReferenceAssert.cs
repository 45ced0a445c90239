using LightNets.Tensors;

namespace LightNets.Tests.Runtime;

/// <summary>Tolerances of the reference-kernel tests, named for what they absorb.</summary>
internal static class Tolerance
{
    /// <summary>Sums and products of small integers and halves: exactly representable, so float32 must be exact.</summary>
    public const float Exact = 0f;

    /// <summary>
    /// A hand-written decimal (e.g. 14/9 written as a quotient, or a value with a √ or an exp) against a float32
    /// result of a few operations: a few ulps, relative to max(1, |expected|).
    /// </summary>
    public const float FewUlps = 2e-6f;
}

/// <summary>
/// A per-element bound on a computed value against the reference: |actual − expected| ≤ <see cref="Absolute"/> +
/// <see cref="Relative"/>·|expected|. The absolute part covers values near zero, whose error comes from the size of the
/// terms that cancelled into them rather than from their own size; the relative part covers the large ones.
/// </summary>
internal readonly record struct ElementTolerance(double Absolute, double Relative)
{
    public double Bound(float expected) => Absolute + Relative * Math.Abs(expected);

    public override string ToString() => $"{Absolute:G2} + {Relative:G2}·|ref|";
}

/// <summary>
/// The measured error of a computed tensor against the reference, split the way <see cref="ElementTolerance"/> bounds
/// it: the largest absolute error among finite reference values with |ref| ≤ 1, and the largest relative error among
/// those with |ref| &gt; 1. Tolerances are set at a small multiple of these, measured (see the tests' output).
/// </summary>
internal readonly record struct ElementError(double MaxAbsoluteSmall, double MaxRelativeLarge, double MaxAbsolute, double MaxReference)
{
    public static ElementError Of(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        double small = 0, large = 0, abs = 0, max = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            double r = expected.Data[i], a = actual.Data[i];
            if (!double.IsFinite(r)) continue;
            var e = Math.Abs(a - r);
            abs = Math.Max(abs, e);
            max = Math.Max(max, Math.Abs(r));
            if (Math.Abs(r) <= 1) small = Math.Max(small, e);
            else large = Math.Max(large, e / Math.Abs(r));
        }
        return new ElementError(small, large, abs, max);
    }

    /// <summary>The worse of two measurements, field by field.</summary>
    public ElementError Max(ElementError other) => new(Math.Max(MaxAbsoluteSmall, other.MaxAbsoluteSmall),
        Math.Max(MaxRelativeLarge, other.MaxRelativeLarge), Math.Max(MaxAbsolute, other.MaxAbsolute), Math.Max(MaxReference, other.MaxReference));

    public override string ToString() =>
        $"max |err| {MaxAbsolute:G3} (|ref| ≤ 1: {MaxAbsoluteSmall:G3}), max |err|/|ref| for |ref| > 1: {MaxRelativeLarge:G3}, max |ref| {MaxReference:G3}";
}

/// <summary>Per-element bounds of the compiled plan against the reference interpreter, each sized from measured error.</summary>
internal static class PlanTolerance
{
    /// <summary>
    /// A whole network's output (logits of O(0.1–1) with randomized BatchNorm statistics) after 20–60 layers of float32
    /// sums in other orders, FMA, and BatchNorm folded into the weights. Measured (the tests log it) over the 59 zoo
    /// configurations at 64×64 (largest |err| 1.34·10⁻⁶, ShuffleNetV1 g8 1.5×), the lower tiers at batch 2 (7.8·10⁻⁷),
    /// the unfused plans (3.0·10⁻⁷), batch 2 at 224×224 (8.9·10⁻⁷) and the 18 headline models at 224×224 on 1 and 2
    /// threads (1.07·10⁻⁶), all with |ref| ≤ 0.70. The absolute part is 5× the largest; no logit reached |ref| &gt; 1,
    /// so the relative part grows the bound at the same rate beyond.
    /// </summary>
    public static readonly ElementTolerance Network = new(7e-6, 7e-6);
}

internal static class ReferenceAssert
{
    /// <summary>A tensor of the given shape holding exactly <paramref name="values"/> (row-major).</summary>
    public static Tensor Of(int[] dims, params float[] values) => new(new Shape(dims), values);

    /// <summary>An N×C×H×W tensor holding 1, 2, 3, … in row-major order, plus <paramref name="offset"/>.</summary>
    public static Tensor Iota(int n, int c, int h, int w, float offset = 0f, float step = 1f)
    {
        var t = new Tensor(Shape.Nchw(n, c, h, w));
        for (var i = 0; i < t.Data.Length; i++) t.Data[i] = offset + step * (i + 1);
        return t;
    }

    public static Tensor Random(ulong seed, params int[] dims) => new Rng(seed).NormalTensor(dims);

    /// <summary>Asserts the shape and every element: |expected − actual| ≤ tolerance · max(1, |expected|).</summary>
    public static void Close(int[] expectedDims, float[] expected, Tensor actual, float tolerance)
    {
        Assert.Equal(new Shape(expectedDims), actual.Shape);
        Close(expected, actual.Data, tolerance);
    }

    public static void Close(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var bound = tolerance * Math.Max(1f, Math.Abs(expected[i]));
            var diff = Math.Abs(expected[i] - actual[i]);
            if (!(diff <= bound))
                Assert.Fail($"element {i}: expected {expected[i]:R} but got {actual[i]:R} (|diff| {diff:G3} > {bound:G3})");
        }
    }

    /// <summary>
    /// Element-wise agreement with the reference, NaN-aware: NaN exactly where the reference is NaN, the same infinity
    /// where it is infinite, and a finite value within <paramref name="tolerance"/> where it is finite. Reports how many
    /// elements fail and the first few, with their NCHW (or other) index.
    /// </summary>
    public static void Matches(Tensor expected, Tensor actual, ElementTolerance tolerance, string what)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape [{actual.Shape}], expected [{expected.Shape}]");
        var failures = 0;
        var first = new List<string>();
        for (var i = 0; i < expected.Length; i++)
        {
            float r = expected.Data[i], a = actual.Data[i];
            var ok = float.IsNaN(r) ? float.IsNaN(a)
                : float.IsInfinity(r) ? a == r
                : float.IsFinite(a) && Math.Abs((double)a - r) <= tolerance.Bound(r);
            if (ok) continue;
            if (failures++ < 5) first.Add($"[{IndexOf(expected.Shape, i)}] expected {r:R} got {a:R}");
        }
        Assert.True(failures == 0,
            $"{what}: {failures} of {expected.Length} elements differ from the reference (bound {tolerance}): {string.Join("; ", first)}");
    }

    /// <summary>
    /// <see cref="Matches"/> for a graph's output, which must also be large against the absolute bound (an output that
    /// has decayed to nothing passes any absolute bound). Returns the measured error, for the test's log.
    /// </summary>
    public static ElementError MatchesOutput(Tensor expected, Tensor actual, ElementTolerance tolerance, string what)
    {
        var error = ElementError.Of(expected, actual);
        Assert.True(error.MaxReference >= 1000 * tolerance.Absolute,
            $"{what}: the reference output (max |ref| {error.MaxReference:G3}) is too small for an absolute bound of {tolerance.Absolute:G2} to test anything");
        Matches(expected, actual, tolerance, what);
        return error;
    }

    /// <summary>The multi-index of flat element <paramref name="flat"/> of a row-major tensor of this shape, e.g. "0, 3, 5, 1".</summary>
    public static string IndexOf(Shape shape, int flat)
    {
        var index = new int[shape.Rank];
        for (var d = shape.Rank - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return string.Join(", ", index);
    }

    /// <summary>Bitwise equality of shape and data.</summary>
    public static void Identical(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.Data, actual.Data);
    }
}
