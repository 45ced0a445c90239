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

    /// <summary>Bitwise equality of shape and data.</summary>
    public static void Identical(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.Data, actual.Data);
    }
}
