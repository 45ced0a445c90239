namespace LightNets.Tensors;

/// <summary>
/// A dense float32 tensor in row-major (C) order. For rank-4 tensors the order is NCHW.
/// This is the exchange type of the graph IR (initializers, interpreter inputs and outputs); the fast runtime
/// keeps its own packed buffers.
/// </summary>
public sealed class Tensor
{
    private float[]? _data;
    private Func<Shape, float[]>? _factory;

    public Shape Shape { get; }

    /// <summary>
    /// The elements. A tensor made with <see cref="Lazy"/> computes them on first access (thread-safe); cost analysis
    /// of a 7-million-weight model then never touches its weights.
    /// </summary>
    public float[] Data => _data ?? Materialize();

    /// <summary>True once the elements exist in memory.</summary>
    public bool IsMaterialized => _data is not null;

    public Tensor(Shape shape)
    {
        Shape = shape;
        _data = new float[checked((int)shape.ElementCount)];
    }

    public Tensor(Shape shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.LongLength != shape.ElementCount)
            throw new ArgumentException($"data has {data.Length} elements but shape {shape} needs {shape.ElementCount}", nameof(data));
        Shape = shape;
        _data = data;
    }

    private Tensor(Shape shape, Func<Shape, float[]> factory)
    {
        Shape = shape;
        _factory = factory;
    }

    /// <summary>A tensor whose elements are produced by <paramref name="factory"/> the first time they are read.</summary>
    public static Tensor Lazy(Shape shape, Func<Shape, float[]> factory) => new(shape, factory);

    private float[] Materialize()
    {
        lock (this)
        {
            if (_data is null)
            {
                var data = _factory!(Shape);
                if (data.LongLength != Shape.ElementCount)
                    throw new InvalidOperationException($"tensor factory returned {data.Length} elements for shape {Shape}");
                _data = data;
                _factory = null;
            }
            return _data;
        }
    }

    public static Tensor Zeros(params int[] dims) => new(new Shape(dims));

    public static Tensor FromArray(Shape shape, ReadOnlySpan<float> values) => new(shape, values.ToArray());

    public long Length => Data.LongLength;
    public Span<float> Span => Data;

    /// <summary>Element (n, c, h, w) of a rank-4 tensor.</summary>
    public ref float At(int n, int c, int h, int w)
    {
        var s = Shape;
        return ref Data[((n * s[1] + c) * s[2] + h) * s[3] + w];
    }

    /// <summary>Element (n, f) of a rank-2 tensor.</summary>
    public ref float At(int n, int f) => ref Data[n * Shape[1] + f];

    public Tensor Clone() => new(Shape, (float[])Data.Clone());

    /// <summary>The same data viewed with another shape of equal element count.</summary>
    public Tensor Reshape(Shape shape) => new(shape, Data);

    public override string ToString() => $"Tensor({Shape})";
}
