using System.Collections;

namespace LightNets.Tensors;

/// <summary>
/// An immutable tensor shape. Feature maps are N×C×H×W (NCHW semantics); vectors after Flatten/Gemm are N×F.
/// Every dimension is ≥ 1: a zero-sized tensor never appears in these networks, so one is treated as a bug.
/// </summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? _dims;

    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        foreach (var d in dims)
        {
            if (d < 1)
                throw new ArgumentOutOfRangeException(nameof(dims), $"every dimension must be ≥ 1, got [{string.Join(", ", dims)}]");
        }
        _dims = (int[])dims.Clone();
    }

    public static Shape Nchw(int n, int c, int h, int w) => new(n, c, h, w);

    private int[] Dims => _dims ?? [];

    public int Rank => Dims.Length;
    public int Count => Dims.Length;
    public int this[int axis] => Dims[axis < 0 ? axis + Dims.Length : axis];

    /// <summary>Number of elements (product of the dimensions), as a long so that no product can overflow silently.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Dims) n = checked(n * d);
            return n;
        }
    }

    // NCHW accessors; only meaningful for rank-4 shapes.
    public int N => this[0];
    public int C => this[1];
    public int H => Rank == 4 ? this[2] : 1;
    public int W => Rank == 4 ? this[3] : 1;

    public bool IsFeatureMap => Rank == 4;

    /// <summary>The same shape with a different batch dimension.</summary>
    public Shape WithBatch(int n)
    {
        var d = (int[])Dims.Clone();
        d[0] = n;
        return new Shape(d);
    }

    public Shape WithChannels(int c)
    {
        var d = (int[])Dims.Clone();
        d[1] = c;
        return new Shape(d);
    }

    public int[] ToArray() => (int[])Dims.Clone();

    public bool Equals(Shape other) => Dims.AsSpan().SequenceEqual(other.Dims);
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dims) h.Add(d);
        return h.ToHashCode();
    }

    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>Formats as "1×3×224×224".</summary>
    public override string ToString() => string.Join("×", Dims);

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)Dims).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
