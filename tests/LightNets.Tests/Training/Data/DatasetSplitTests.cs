using LightNets.Training.Data;

namespace LightNets.Tests.Training.Data;

/// <summary>Train/validation splits and subsets: exact sizes, stratification, determinism, and bad requests.</summary>
public sealed class DatasetSplitTests
{
    private static readonly ImageShape Tiny = new(1, 2, 2);

    /// <summary>Classes of 50, 30, 7, 3 and 1 items, interleaved.</summary>
    private static FakeDataset Unbalanced()
    {
        int[] sizes = [50, 30, 7, 3, 1];
        var labels = sizes.SelectMany((n, c) => Enumerable.Range(0, n).Select(i => (Key: i * 1000 + c, Label: c))).OrderBy(p => p.Key).Select(p => p.Label).ToArray();
        return new FakeDataset(labels, Tiny, classes: 5);
    }

    private static int[] PerClass(IImageDataset set, int classes) =>
        [.. Enumerable.Range(0, classes).Select(c => Enumerable.Range(0, set.Count).Count(i => set.Label(i) == c))];

    [Fact]
    public void A_stratified_split_takes_each_class_share_and_the_exact_total()
    {
        var set = Unbalanced();
        var (train, validation) = set.Split(0.2, seed: 4);
        // 91 × 0.2 = 18.2 → 18; shares 10, 6, 1.4, 0.6, 0.2 → floors 10, 6, 1, 0, 0 and the one left to the largest remainder.
        Assert.Equal([10, 6, 1, 1, 0], PerClass(validation, 5));
        Assert.Equal([40, 24, 6, 2, 1], PerClass(train, 5));
        Assert.Equal(Enumerable.Range(0, 91), train.Indices.Concat(validation.Indices).Order());
        Assert.Equal(train.Indices.Order(), train.Indices);
        Assert.Equal(validation.Indices.Order(), validation.Indices);
        Assert.Equal(validation.Indices, set.Split(0.2, seed: 4).Validation.Indices);
        Assert.NotEqual(validation.Indices, set.Split(0.2, seed: 5).Validation.Indices);
        Assert.Equal(set.ClassNames, validation.ClassNames);
        Assert.Equal(set.Describe(validation.Indices[3]), validation.Describe(3));
    }

    [Fact]
    public void A_plain_split_is_random_with_the_exact_total()
    {
        var set = FakeDataset.Cycling(1000, Tiny);
        var (train, validation) = set.Split(0.1, seed: 1, stratified: false);
        Assert.Equal(100, validation.Count);
        Assert.Equal(900, train.Count);
        Assert.NotEqual(Enumerable.Range(0, 100), validation.Indices);
        Assert.Empty(train.Indices.Intersect(validation.Indices));
    }

    [Theory]
    [InlineData(0.0, "must be between 0 and 1 (exclusive), got 0")]
    [InlineData(1.0, "must be between 0 and 1 (exclusive), got 1")]
    [InlineData(double.NaN, "must be between 0 and 1 (exclusive), got NaN")]
    [InlineData(0.001, "a validation fraction of 0.001 of 91 items leaves no validation items")]
    [InlineData(0.999, "a validation fraction of 0.999 of 91 items leaves no training items")]
    public void Bad_fractions_are_refused(double fraction, string message) =>
        Assert.Contains(message, Assert.Throws<DatasetException>(() => Unbalanced().Split(fraction)).Message);

    [Fact]
    public void Subsets_take_the_first_or_a_random_n_in_order()
    {
        var set = FakeDataset.Cycling(50, Tiny);
        Assert.Equal(Enumerable.Range(0, 7), set.Take(7).Indices);
        var sample = set.Sample(20, seed: 3);
        Assert.Equal(20, sample.Indices.Distinct().Count());
        Assert.Equal(sample.Indices.Order(), sample.Indices);
        Assert.Equal(sample.Indices, set.Sample(20, seed: 3).Indices);
        Assert.NotEqual(sample.Indices, set.Sample(20, seed: 4).Indices);
        Assert.Equal(Enumerable.Range(0, 50), set.Sample(50).Indices);
        Assert.Equal("a subset of 51 items cannot be taken from a data set of 50: choose 1 to 50", Assert.Throws<DatasetException>(() => set.Take(51)).Message);
        Assert.Throws<DatasetException>(() => set.Sample(0));
        Assert.Equal("item 50 is not in the data set, which has 50 items (0–49)", Assert.Throws<DatasetException>(() => new DatasetView(set, [1, 50])).Message);
        // A view of a view reads through to the source.
        var inner = new DatasetView(new DatasetView(set, [10, 20, 30]), [2, 0]);
        using var item = new ImageItem();
        Assert.True(inner.TryRead(0, item, out _));
        Assert.Equal(FakeDataset.PixelOf(30, 1), item.Pixels[1]);
        Assert.Equal(0, inner.Label(0));
    }
}
