using LightNets.Training.Data;
using LightNets.Training.Data.Transforms;

namespace LightNets.Tests.Training.Data;

/// <summary>The loader: order, determinism across workers, resuming, unreadable items, cancellation, allocation, bounds.</summary>
public sealed class DataLoaderTests
{
    private static readonly ImageShape Small = new(1, 6, 5);

    /// <summary>Augmentation that uses the random stream several times per item: a padded random crop and a flip.</summary>
    private static readonly ImagePipeline Augmenting = new(new Normalize([0.5f], [0.25f]), new RandomCrop(6, 5, padding: 2), new HorizontalFlip());

    private sealed record Snapshot(int Epoch, int Number, float[] Images, int[] Labels, int[] Indices);

    private static List<Snapshot> Read(DataLoader loader, int epoch, int firstBatch = 0)
    {
        var batches = new List<Snapshot>();
        foreach (var b in loader.Epoch(epoch, firstBatch))
            batches.Add(new Snapshot(b.Epoch, b.Number, b.ImageValues.ToArray(), b.LabelValues.ToArray(), b.IndexValues.ToArray()));
        return batches;
    }

    private static void AssertSame(List<Snapshot> expected, List<Snapshot> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal((expected[i].Epoch, expected[i].Number), (actual[i].Epoch, actual[i].Number));
            Assert.Equal(expected[i].Indices, actual[i].Indices);
            Assert.Equal(expected[i].Labels, actual[i].Labels);
            Assert.True(expected[i].Images.AsSpan().SequenceEqual(actual[i].Images), $"batch {i}'s images differ");
        }
    }

    [Fact]
    public void The_same_seed_gives_identical_batches_with_0_1_and_4_workers()
    {
        var set = FakeDataset.Cycling(103, Small);
        List<Snapshot>[] Epochs(int workers, int prefetch)
        {
            using var loader = new DataLoader(set, Augmenting, new LoaderOptions { BatchSize = 10, Seed = 42, Workers = workers, Prefetch = prefetch });
            return [Read(loader, 0), Read(loader, 1)];
        }
        var reference = Epochs(0, 1);
        foreach (var (workers, prefetch) in new[] { (1, 1), (1, 3), (4, 2), (4, 8) })
        {
            var other = Epochs(workers, prefetch);
            AssertSame(reference[0], other[0]);
            AssertSame(reference[1], other[1]);
        }
        // Every item once per epoch; a new order each epoch and for another seed; the last batch holds the rest.
        Assert.Equal(Enumerable.Range(0, 103), reference[0].SelectMany(b => b.Indices).Order());
        Assert.Equal(Enumerable.Range(0, 103), reference[1].SelectMany(b => b.Indices).Order());
        Assert.NotEqual(reference[0].SelectMany(b => b.Indices), reference[1].SelectMany(b => b.Indices));
        Assert.Equal(11, reference[0].Count);
        Assert.Equal(3, reference[0][^1].Indices.Length);
        Assert.Equal(reference[0].SelectMany(b => b.Indices).Select(set.Label), reference[0].SelectMany(b => b.Labels));
        using var otherSeed = new DataLoader(set, Augmenting, new LoaderOptions { BatchSize = 10, Seed = 43 });
        Assert.NotEqual(reference[0].SelectMany(b => b.Indices), Read(otherSeed, 0).SelectMany(b => b.Indices));
    }

    [Fact]
    public void Each_items_augmentation_depends_on_seed_epoch_and_item_only()
    {
        var set = FakeDataset.Cycling(40, Small);
        Dictionary<int, float[]> ByItem(int batch, bool shuffle)
        {
            using var loader = new DataLoader(set, Augmenting, new LoaderOptions { BatchSize = batch, Seed = 7, Shuffle = shuffle, Workers = 2 });
            var items = new Dictionary<int, float[]>();
            foreach (var b in loader.Epoch(3))
                for (var i = 0; i < b.Count; i++) items[b.Indices[i]] = b.ImageValues.Slice(i * Small.Length, Small.Length).ToArray();
            return items;
        }
        var a = ByItem(7, shuffle: true);
        var b = ByItem(16, shuffle: false);
        for (var i = 0; i < 40; i++) Assert.Equal(a[i], b[i]);
        // The flips and crops vary from item to item: augmentation happened.
        Assert.True(Enumerable.Range(0, 40).Select(i => a[i][0]).Distinct().Count() > 5);
    }

    [Fact]
    public void Without_shuffling_the_order_is_the_data_sets_and_drop_last_drops_the_rest()
    {
        var set = FakeDataset.Cycling(25, Small);
        using var loader = new DataLoader(set, new ImagePipeline(), new LoaderOptions { BatchSize = 10, Shuffle = false, DropLast = true });
        Assert.Equal(2, loader.BatchesPerEpoch);
        var batches = Read(loader, 5);
        Assert.Equal([.. Enumerable.Range(0, 20)], batches.SelectMany(b => b.Indices));
        Assert.Equal(FakeDataset.PixelOf(13, 4) / 255f, batches[1].Images[3 * Small.Length + 4]);
        Assert.Equal(5, batches[1].Epoch);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Resuming_mid_epoch_gives_the_remaining_batches(int workers)
    {
        var set = FakeDataset.Cycling(97, Small);
        var options = new LoaderOptions { BatchSize = 8, Seed = 5, Workers = workers };
        using var whole = new DataLoader(set, Augmenting, options);
        var full = Read(whole, 2);
        using var resumed = new DataLoader(set, Augmenting, options);
        Read(resumed, 0).Take(3).ToList(); // another epoch first, left partway through below
        using (var partial = resumed.Epoch(1).GetEnumerator())
        {
            partial.MoveNext();
            partial.MoveNext();
        }
        AssertSame(full[5..], Read(resumed, 2, firstBatch: 5));
        Assert.Empty(Read(resumed, 2, firstBatch: resumed.BatchesPerEpoch));
        Assert.Throws<ArgumentOutOfRangeException>(() => resumed.Epoch(2, firstBatch: resumed.BatchesPerEpoch + 1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void An_unreadable_item_is_replaced_by_the_next_readable_one_and_listed(int workers)
    {
        var set = FakeDataset.Cycling(30, Small);
        set.Unreadable.UnionWith([4, 5, 29]);
        using var loader = new DataLoader(set, Augmenting, new LoaderOptions { BatchSize = 7, Seed = 1, Workers = workers });
        var batches = Read(loader, 0);
        var indices = batches.SelectMany(b => b.Indices).ToList();
        Assert.Equal(30, indices.Count);
        Assert.DoesNotContain(4, indices);
        Assert.DoesNotContain(29, indices);
        Assert.Equal(3, indices.Count(i => i == 6)); // 4 → 6, 5 → 6, and 6 itself
        Assert.Equal(2, indices.Count(i => i == 0)); // 29 wraps around to 0
        Assert.Equal(["fake #4: damaged", "fake #5: damaged", "fake #29: damaged"], loader.Unreadable.Select(e => e.ToString()));
        using var reference = new DataLoader(set, Augmenting, new LoaderOptions { BatchSize = 7, Seed = 1, Workers = 0 });
        AssertSame(Read(reference, 0), batches);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Strict_loading_fails_at_the_batch_of_an_unreadable_item(int workers)
    {
        var set = FakeDataset.Cycling(30, Small);
        set.Unreadable.Add(17);
        using var loader = new DataLoader(set, Augmenting, new LoaderOptions { BatchSize = 5, Shuffle = false, Strict = true, Workers = workers });
        using var epoch = loader.Epoch(0);
        for (var b = 0; b < 3; b++) Assert.True(epoch.MoveNext());
        var e = Assert.Throws<DatasetException>(() => epoch.MoveNext());
        Assert.Equal("fake #17: damaged; fix or remove it, or load without strict to skip unreadable items", e.Message);
        Assert.Throws<InvalidOperationException>(() => epoch.MoveNext()); // the epoch ended with its error
        Assert.Equal(6, Read(new DataLoader(set, Augmenting, new LoaderOptions { BatchSize = 5 }), 0).Count);
    }

    [Fact]
    public void A_new_epoch_ends_the_one_before_and_cancellation_stops_a_waiting_consumer()
    {
        var set = FakeDataset.Cycling(50, Small);
        using var loader = new DataLoader(set, Augmenting, new LoaderOptions { BatchSize = 5, Workers = 2 });
        var first = loader.Epoch(0);
        Assert.True(first.MoveNext());
        var second = loader.Epoch(1);
        Assert.Throws<InvalidOperationException>(() => first.MoveNext());
        Assert.True(second.MoveNext());
        using var cancel = new CancellationTokenSource();
        var third = loader.Epoch(2, cancellation: cancel.Token);
        Assert.True(third.MoveNext());
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => third.MoveNext());
        Assert.Equal(10, Read(loader, 3).Count); // the loader goes on
    }

    [Fact]
    public async Task Disposing_the_loader_releases_a_consumer_waiting_for_a_slow_item()
    {
        var set = new SlowDataset(FakeDataset.Cycling(20, Small), TimeSpan.FromMilliseconds(200));
        var loader = new DataLoader(set, new ImagePipeline(), new LoaderOptions { BatchSize = 10, Workers = 1 });
        var epoch = loader.Epoch(0);
        var waiting = Task.Run(() => epoch.MoveNext());
        await Task.Delay(50);
        loader.Dispose();
        Assert.Same(waiting, await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromSeconds(20))));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting);
        loader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loader.Epoch(1));
    }

    [Fact]
    public void Workers_prepare_no_more_than_the_prefetch_bound()
    {
        var set = FakeDataset.Cycling(200, Small);
        using var loader = new DataLoader(set, Augmenting, new LoaderOptions { BatchSize = 4, Workers = 3, Prefetch = 2 });
        using var epoch = loader.Epoch(0);
        Assert.True(epoch.MoveNext());
        // The batch held and two ahead, and no more however long the consumer takes.
        Settle(set, 12);
        Assert.Equal(12, set.Reads);
        Assert.True(epoch.MoveNext());
        Settle(set, 16);
        Assert.Equal(16, set.Reads);
    }

    /// <summary>Waits (at most 20 s on a loaded machine) for the reads to reach <paramref name="reads"/>, then a little longer for any beyond.</summary>
    private static void Settle(FakeDataset set, int reads)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (set.Reads < reads && DateTime.UtcNow < deadline) Thread.Sleep(10);
        Thread.Sleep(200);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void An_in_memory_epoch_allocates_nothing_per_batch_once_warm(int workers)
    {
        var set = FakeDataset.Cycling(300, new ImageShape(1, 28, 28));
        using var loader = new DataLoader(set, ImagePipeline.SmallImageTraining(32, 4, [0.3f], [0.35f], channels: 3),
            new LoaderOptions { BatchSize = 16, Workers = workers });
        Read(loader, 0);
        using var epoch = loader.Epoch(1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var batches = 0;
        while (epoch.MoveNext()) batches++;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(19, batches);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Shapes_batches_and_options_are_checked_when_the_loader_is_made()
    {
        var set = FakeDataset.Cycling(10, Small);
        Assert.Equal(new ImageShape(3, 32, 32), new DataLoader(FakeDataset.Cycling(5, new ImageShape(1, 28, 28)),
            ImagePipeline.SmallImageTraining(32, 4, [0.3f], [0.35f], channels: 3)).Shape);
        Assert.Contains("make no full batch of 16", Assert.Throws<DatasetException>(() => new DataLoader(set, Augmenting, new LoaderOptions { BatchSize = 16, DropLast = true })).Message);
        Assert.Equal(1, new DataLoader(set, Augmenting, new LoaderOptions { BatchSize = 16 }).BatchesPerEpoch);
        Assert.Throws<DatasetException>(() => new DataLoader(set, Augmenting, new LoaderOptions { BatchSize = 0 }));
        Assert.Throws<DatasetException>(() => new DataLoader(set, Augmenting, new LoaderOptions { Workers = -1 }));
        Assert.Throws<DatasetException>(() => new DataLoader(set, Augmenting, new LoaderOptions { Prefetch = 0 }));
        Assert.Contains("Normalize has 3 means", Assert.Throws<DatasetException>(() => new DataLoader(set, new ImagePipeline(new Normalize([1f, 1f, 1f], [1f, 1f, 1f])))).Message);
        var folder = new VariableSizeDataset();
        Assert.Contains("do not give images of different sizes one size: add Resize, CenterCrop or RandomResizedCrop",
            Assert.Throws<DatasetException>(() => new DataLoader(folder, new ImagePipeline(new HorizontalFlip()))).Message);
        Assert.Equal(new ImageShape(3, 8, 8), new DataLoader(folder, new ImagePipeline(new RandomResizedCrop(8), new HorizontalFlip())).Shape);
        Assert.Throws<DatasetException>(() => new DataLoader(new FakeDataset([], Small), Augmenting));
        var e = Assert.Throws<DatasetException>(() => new DataLoader(FakeDataset.Cycling(10, new ImageShape(3, 224, 224)), new ImagePipeline(),
            new LoaderOptions { BatchSize = 1024, Prefetch = 8 }));
        Assert.Equal("9 batch buffers of 1,024 images of 3×224×224 need 5,549,064,192 bytes, more than the 4,294,967,296 a loader may hold: prefetch fewer batches, or use a smaller batch or image size", e.Message);
    }

    [Fact]
    public void A_label_out_of_range_fails_its_batch()
    {
        using var loader = new DataLoader(new FakeDataset([0, 1, 10, 2], Small, classes: 10), new ImagePipeline(), new LoaderOptions { BatchSize = 2, Shuffle = false });
        using var epoch = loader.Epoch(0);
        Assert.True(epoch.MoveNext());
        Assert.Equal("fake #2: label 10 is out of range for the data set's 10 classes", Assert.Throws<DatasetException>(() => epoch.MoveNext()).Message);
    }

    [Fact]
    public void A_transform_that_cannot_take_an_item_fails_its_batch_with_a_dataset_error()
    {
        // RandomCrop(8) on variable-size images: the loader's shape is fixed, but a 5×5 item is too small for it.
        using var loader = new DataLoader(new VariableSizeDataset(), new ImagePipeline(new RandomCrop(8)), new LoaderOptions { BatchSize = 2, Shuffle = false });
        var e = Assert.Throws<DatasetException>(() => Read(loader, 0));
        Assert.Contains("RandomCrop(8×8, padding 0) needs images of at least 8×8, got 5×9", e.Message);
    }

    /// <summary>RGB items of different sizes (as an image folder has): item i is (5 + i) × (9 − i).</summary>
    private sealed class VariableSizeDataset : IImageDataset
    {
        public int Count => 4;
        public IReadOnlyList<string> ClassNames => ["a", "b"];
        public int Channels => 3;
        public ImageShape? ItemShape => null;
        public int Label(int index) => index % 2;
        public string Describe(int index) => $"variable #{index}";

        public bool TryRead(int index, ImageItem item, out string? error)
        {
            item.Allocate(3, 5 + index, 9 - index).Fill((byte)index);
            error = null;
            return true;
        }
    }

    /// <summary>A data set whose reads take a while, as a slow disk's do.</summary>
    private sealed class SlowDataset(IImageDataset inner, TimeSpan delay) : IImageDataset
    {
        public int Count => inner.Count;
        public IReadOnlyList<string> ClassNames => inner.ClassNames;
        public int Channels => inner.Channels;
        public ImageShape? ItemShape => inner.ItemShape;
        public int Label(int index) => inner.Label(index);
        public string Describe(int index) => inner.Describe(index);

        public bool TryRead(int index, ImageItem item, out string? error)
        {
            Thread.Sleep(delay);
            return inner.TryRead(index, item, out error);
        }
    }
}
