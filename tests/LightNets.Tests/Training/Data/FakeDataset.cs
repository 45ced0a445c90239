using LightNets.Training.Data;

namespace LightNets.Tests.Training.Data;

/// <summary>
/// An in-memory data set for the tests: item i is a <see cref="Shape"/> image whose pixels encode i, with the given
/// label; the items in <see cref="Unreadable"/> fail to read, as damaged files do; reads are counted.
/// </summary>
internal sealed class FakeDataset(int[] labels, ImageShape shape, int classes = 10) : IImageDataset
{
    private int _reads;

    public ImageShape Shape { get; } = shape;

    public HashSet<int> Unreadable { get; } = [];

    public int Reads => _reads;

    public int Count => labels.Length;

    public IReadOnlyList<string> ClassNames { get; } = [.. Enumerable.Range(0, classes).Select(c => $"class{c}")];

    public int Channels => Shape.Channels;

    public ImageShape? ItemShape => Shape;

    public int Label(int index) => labels[index];

    public string Describe(int index) => $"fake #{index}";

    public static byte PixelOf(int index, int at) => (byte)((index * 31 + at * 7) % 251);

    public bool TryRead(int index, ImageItem item, out string? error)
    {
        Interlocked.Increment(ref _reads);
        if (Unreadable.Contains(index))
        {
            error = "damaged";
            return false;
        }
        var pixels = item.Allocate(Shape.Channels, Shape.Height, Shape.Width);
        for (var i = 0; i < pixels.Length; i++) pixels[i] = PixelOf(index, i);
        error = null;
        return true;
    }

    /// <summary>Labels 0, 1, …, classes − 1, 0, 1, … for <paramref name="count"/> items.</summary>
    public static FakeDataset Cycling(int count, ImageShape shape, int classes = 10) =>
        new([.. Enumerable.Range(0, count).Select(i => i % classes)], shape, classes);
}
