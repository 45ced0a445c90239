namespace LightNets.Training.Data;

/// <summary>
/// A data set seen through a list of its items (a subset, or one side of a train/validation split): item i of the view
/// is item <c>Indices[i]</c> of <see cref="Source"/>, with the same classes. Holds no pixels of its own.
/// </summary>
public sealed class DatasetView : IImageDataset
{
    private readonly int[] _indices;

    public DatasetView(IImageDataset source, IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(indices);
        _indices = [.. indices];
        foreach (var i in _indices)
        {
            if ((uint)i >= (uint)source.Count)
                throw new DatasetException($"item {i} is not in the data set, which has {source.Count:N0} items (0–{source.Count - 1:N0})");
        }
        Source = source;
    }

    /// <summary>The data set viewed.</summary>
    public IImageDataset Source { get; }

    /// <summary>The source's item numbers, in the view's order.</summary>
    public IReadOnlyList<int> Indices => _indices;

    public int Count => _indices.Length;

    public IReadOnlyList<string> ClassNames => Source.ClassNames;

    public int Channels => Source.Channels;

    public ImageShape? ItemShape => Source.ItemShape;

    public int Label(int index) => Source.Label(_indices[index]);

    public string Describe(int index) => Source.Describe(_indices[index]);

    public bool TryRead(int index, ImageItem item, out string? error) => Source.TryRead(_indices[index], item, out error);
}

/// <summary>Subsets and train/validation splits of a data set, each a <see cref="DatasetView"/> that keeps the data set's order.</summary>
public static class DatasetSplits
{
    /// <summary>
    /// Splits off a validation set of round(<paramref name="validationFraction"/> × Count) items chosen at random by
    /// <paramref name="seed"/>. Stratified (the default), each class gives the same fraction of its items (rounded so
    /// that the total is still exact: the classes whose shares have the largest remainders give one more), so a small
    /// class is not left out of either side by chance.
    /// </summary>
    public static (DatasetView Train, DatasetView Validation) Split(this IImageDataset dataset, double validationFraction, int seed = 0, bool stratified = true)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new DatasetException($"the validation fraction must be between 0 and 1 (exclusive), got {validationFraction}");
        var total = (int)Math.Round(validationFraction * dataset.Count, MidpointRounding.AwayFromZero);
        if (total == 0 || total == dataset.Count)
            throw new DatasetException($"a validation fraction of {validationFraction} of {dataset.Count:N0} items leaves {(total == 0 ? "no validation" : "no training")} items: choose a fraction that leaves some on both sides");

        var random = DataRandom.ForSplit(seed);
        var validation = new bool[dataset.Count];
        if (!stratified)
        {
            var order = Enumerable.Range(0, dataset.Count).ToArray();
            random.Shuffle(order);
            foreach (var i in order.AsSpan(0, total)) validation[i] = true;
        }
        else
        {
            var byClass = Enumerable.Range(0, dataset.Count).GroupBy(dataset.Label).OrderBy(g => g.Key).Select(g => g.ToArray()).ToList();
            var shares = byClass.Select(c => validationFraction * c.Length).ToArray();
            var counts = shares.Select(s => (int)Math.Floor(s)).ToArray();
            var left = total - counts.Sum();
            foreach (var c in Enumerable.Range(0, byClass.Count).OrderByDescending(c => shares[c] - counts[c]).ThenBy(c => c).Take(left)) counts[c]++;
            for (var c = 0; c < byClass.Count; c++)
            {
                random.Shuffle(byClass[c]);
                foreach (var i in byClass[c].AsSpan(0, counts[c])) validation[i] = true;
            }
        }
        var range = Enumerable.Range(0, dataset.Count);
        return (new DatasetView(dataset, range.Where(i => !validation[i])), new DatasetView(dataset, range.Where(i => validation[i])));
    }

    /// <summary>The first <paramref name="count"/> items.</summary>
    public static DatasetView Take(this IImageDataset dataset, int count)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        CheckCount(dataset, count);
        return new DatasetView(dataset, Enumerable.Range(0, count));
    }

    /// <summary><paramref name="count"/> items chosen at random by <paramref name="seed"/>, kept in the data set's order.</summary>
    public static DatasetView Sample(this IImageDataset dataset, int count, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        CheckCount(dataset, count);
        var order = Enumerable.Range(0, dataset.Count).ToArray();
        DataRandom.ForSplit(seed).Shuffle(order);
        var chosen = order[..count];
        Array.Sort(chosen);
        return new DatasetView(dataset, chosen);
    }

    private static void CheckCount(IImageDataset dataset, int count)
    {
        if (count < 1 || count > dataset.Count)
            throw new DatasetException($"a subset of {count:N0} items cannot be taken from a data set of {dataset.Count:N0}: choose 1 to {dataset.Count:N0}");
    }
}
