using LightNets.Tests.Imaging;
using LightNets.Tests.Robustness;
using LightNets.Training.Data;
using static LightNets.Tests.Training.Data.DataFiles;

namespace LightNets.Tests.Training.Data;

/// <summary>The IDX reader on good files, plain and gzipped, and on every kind of bad one.</summary>
public sealed class IdxDatasetTests : IDisposable
{
    private readonly ImageFiles.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private (string Images, string Labels) Write(byte[] images, byte[] labels, bool gzip = false) =>
        (_dir.Write(gzip ? "images.gz" : "images", gzip ? Gzip(images) : images), _dir.Write(gzip ? "labels.gz" : "labels", gzip ? Gzip(labels) : labels));

    private DatasetFormatException Refused(byte[] images, byte[] labels, bool gzip = false, DatasetReadOptions? options = null)
    {
        var (i, l) = Write(images, labels, gzip);
        return Assert.Throws<DatasetFormatException>(() => IdxDataset.Load(i, l, options));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_images_and_labels_plain_or_gzipped(bool gzip)
    {
        var (images, labels) = Write(IdxImages(5, 3, 4), IdxLabels(7, 0, 9, 3, 3), gzip);
        var set = IdxDataset.Load(images, labels);
        Assert.Equal(5, set.Count);
        Assert.Equal(new ImageShape(1, 3, 4), set.ItemShape);
        Assert.Equal([7, 0, 9, 3, 3], Enumerable.Range(0, 5).Select(set.Label));
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], set.ClassNames);
        Assert.False(set.IsFashionMnist);
        using var item = new ImageItem();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(set.TryRead(i, item, out var error));
            Assert.Null(error);
            Assert.Equal(new ImageShape(1, 3, 4), item.Shape);
            for (var y = 0; y < 3; y++)
                for (var x = 0; x < 4; x++)
                    Assert.Equal(Pixel(i, y, x), item.Pixels[y * 4 + x]);
        }
        Assert.Equal($"{images} image 3", set.Describe(3));
    }

    [Fact]
    public void Class_names_given_allow_more_classes_and_limit_the_labels()
    {
        var (images, labels) = Write(IdxImages(3, 2, 2), IdxLabels(0, 11, 2));
        var names = Enumerable.Range(0, 12).Select(i => $"c{i}").ToArray();
        Assert.Equal(names, IdxDataset.Load(images, labels, new DatasetReadOptions { ClassNames = names }).ClassNames);
        var e = Assert.Throws<DatasetFormatException>(() => IdxDataset.Load(images, labels));
        Assert.Equal($"{labels}: the label of item 1 is 11, out of range for 10 classes (0–9); give the class names (one per class) if the data set has more", e.Message);
        e = Assert.Throws<DatasetFormatException>(() => IdxDataset.Load(images, labels, new DatasetReadOptions { ClassNames = ["a", "b", "c"] }));
        Assert.Contains("the label of item 1 is 11, out of range for 3 classes (0–2)", e.Message);
        Assert.Throws<DatasetException>(() => IdxDataset.Load(images, labels, new DatasetReadOptions { ClassNames = [] }));
        Assert.Throws<DatasetException>(() => IdxDataset.Load(images, labels, new DatasetReadOptions { ClassNames = ["a", " "] }));
    }

    [Fact]
    public void Wrong_magic_numbers_are_named()
    {
        var labels = IdxLabels(1, 2);
        Assert.Contains("not an IDX file: it starts with 0x89504E47, expected IDX images (magic 0x00000803)",
            Refused([0x89, (byte)'P', (byte)'N', (byte)'G', 0, 0, 0, 0], labels).Message);
        Assert.Contains("this is an IDX labels file; are the images and labels files swapped?", Refused(labels, labels).Message);
        Assert.Contains("this is an IDX images file; are the images and labels files swapped?", Refused(IdxImages(2, 2, 2), IdxImages(2, 2, 2)).Message);
        Assert.Contains("holds 32-bit float values (type 0x0D); only unsigned bytes", Refused([.. IdxHeader(0x0D, 2, 2, 2), .. new byte[32]], labels).Message);
        Assert.Contains("has 2 dimensions (magic 0x00000802), expected IDX images", Refused([.. IdxHeader(8, 2, 4), .. new byte[8]], labels).Message);
        Assert.Contains("not an IDX file", Refused([1, 0, 8, 3, .. new byte[20]], labels).Message);
    }

    [Theory]
    [InlineData(0u, 28u, 28u, "declares 0 images")]
    [InlineData(2u, 0u, 28u, "images of 0×28 pixels; each side must be 1 to 16,384")]
    [InlineData(2u, 28u, 100_000u, "images of 28×100,000 pixels")]
    [InlineData(2u, 3_000_000_000u, 28u, "dimension 1 as 3,000,000,000, an absurd size")]
    [InlineData(2_000_000u, 1_000u, 1_000u, "declares 2,000,000 images of 1000×1000, 2,000,000,000,000 bytes, more than the limit of 1,073,741,824")]
    public void Absurd_sizes_are_refused_from_the_header(uint count, uint rows, uint cols, string message)
    {
        var e = Refused([.. IdxHeader(8, count, rows, cols), .. new byte[64]], IdxLabels(new byte[Math.Min(count, 64)]));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Counts_that_differ_are_refused_before_the_images_are_read()
    {
        var e = Refused(IdxImages(3, 2, 2), IdxLabels(1, 2));
        Assert.EndsWith("2 labels for 3 images in " + _dir.File("images") + ": the two files do not belong together", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_and_over_long_files_are_refused(bool gzip)
    {
        var images = IdxImages(4, 3, 3);
        var labels = IdxLabels(1, 2, 3, 4);
        Assert.Contains("the file is truncated: it ends after 35 of the 36 bytes of 4 images of 3×3", Refused(images[..^1], labels, gzip).Message);
        Assert.Contains("the file is truncated: it ends after 3 of the 4 bytes of 4 labels", Refused(images, labels[..^1], gzip).Message);
        Assert.Contains("the file is truncated: it ends after 2 of the 4 bytes of the IDX header", Refused(images[..2], labels, gzip).Message);
        Assert.Contains(gzip ? "its data goes on past what its header declares (4 images of 3×3)" : "1 bytes more than its header declares (4 images of 3×3)",
            Refused([.. images, 0], labels, gzip).Message);
        Assert.Contains("its header declares (4 labels)", Refused(images, [.. labels, 9, 9], gzip).Message);
    }

    [Fact]
    public void A_corrupt_gzip_stream_is_named()
    {
        var gz = Gzip(IdxImages(50, 28, 28));
        var corrupt = ImageFiles.Corrupted(gz, gz.Length / 2, 64);
        var e = Refused(corrupt, IdxLabels(new byte[50]), options: null, gzip: false);
        Assert.Contains(_dir.File("images"), e.Message);
        Assert.True(e.Message.Contains("the gzip data is corrupt") || e.Message.Contains("truncated"), e.Message);
        // A stream cut short ends early: truncated, in decompressed bytes.
        e = Refused(gz[..(gz.Length / 2)], IdxLabels(new byte[50]));
        Assert.Matches("truncated: it ends after [0-9,]+ of the 39,200 bytes of 50 images of 28×28 \\(decompressed\\)", e.Message);
    }

    [Fact]
    public void A_header_that_promises_much_costs_only_the_data_present()
    {
        // 1,000,000 images of 28×28 (784 MB, under the limit) declared, 10 images present, gzipped: the reader must not
        // allocate the 784 MB before the data is there.
        var images = _dir.Write("images.gz", Gzip([.. IdxHeader(8, 1_000_000, 28, 28), .. new byte[7840]]));
        var labels = _dir.Write("labels.gz", GzipWithZeros(IdxHeader(8, 1_000_000), 1_000_000));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DatasetFormatException>(() => IdxDataset.Load(images, labels));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("truncated: it ends after 7,840 of the 784,000,000 bytes", e.Message);
        Assert.True(allocated < 16 << 20, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void A_gzip_bomb_is_inflated_no_further_than_the_header_declares()
    {
        // 4 images declared, then 200 MB of zeros: one byte past the declared data is enough to refuse it.
        var images = _dir.Write("images.gz", GzipWithZeros(IdxImages(4, 2, 2), 200 << 20));
        var labels = _dir.Write("labels", IdxLabels(0, 1, 2, 3));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DatasetFormatException>(() => IdxDataset.Load(images, labels));
        Assert.Contains("its data goes on past what its header declares (4 images of 2×2)", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20);
    }

    [Fact]
    public void Missing_files_directories_devices_and_pipes_are_refused_unread()
    {
        var (images, labels) = Write(IdxImages(2, 2, 2), IdxLabels(0, 1));
        Assert.Equal($"no such file: {_dir.File("nope")} (expected an IDX images file (magic 0x00000803))",
            Assert.Throws<DatasetException>(() => IdxDataset.Load(_dir.File("nope"), labels)).Message);
        Assert.Contains("a directory, not an IDX labels file", Assert.Throws<DatasetFormatException>(() => IdxDataset.Load(images, _dir.Path)).Message);
        Assert.Contains("the file is empty or not a regular file", Assert.Throws<DatasetFormatException>(() => IdxDataset.Load("/dev/zero", labels)).Message);
        Assert.Contains("the file is empty or not a regular file", Assert.Throws<DatasetFormatException>(() => IdxDataset.Load(images, _dir.Write("empty", []))).Message);
        var fifo = SpecialFiles.Fifo(_dir.File("fifo"));
        Assert.Contains("not a regular file", SpecialFiles.Throws<DatasetFormatException>(() => IdxDataset.Load(fifo, labels), fifo).Message);
    }

    [Fact]
    public void Every_truncation_and_corruption_gives_a_dataset_error()
    {
        var images = IdxImages(3, 4, 5);
        var labels = IdxLabels(0, 1, 2);
        foreach (var gzip in new[] { false, true })
        {
            var stored = gzip ? Gzip(images) : images;
            for (var cut = 0; cut < stored.Length; cut++)
                AssertRefusedOrRead(stored[..cut], gzip ? Gzip(labels) : labels);
            var random = new Random(7);
            for (var trial = 0; trial < 300; trial++)
            {
                var broken = (byte[])stored.Clone();
                broken[random.Next(broken.Length)] = (byte)random.Next(256);
                AssertRefusedOrRead(broken, labels);
            }
        }
    }

    private void AssertRefusedOrRead(byte[] images, byte[] labels)
    {
        var (i, l) = Write(images, labels);
        try { IdxDataset.Load(i, l); }
        catch (DatasetException) { }
    }

    [Fact]
    public void Load_directory_finds_the_standard_names_and_says_what_is_missing()
    {
        _dir.Write("t10k-images-idx3-ubyte.gz", Gzip(IdxImages(2, 2, 2)));
        _dir.Write("t10k-labels-idx1-ubyte", IdxLabels(4, 5));
        Assert.Equal(2, IdxDataset.LoadDirectory(_dir.Path, "t10k").Count);
        var e = Assert.Throws<DatasetException>(() => IdxDataset.LoadDirectory(_dir.Path, "train"));
        Assert.Equal($"{_dir.Path} holds no train-images-idx3-ubyte or train-images-idx3-ubyte.gz: give the directory of an IDX data set (MNIST, Fashion-MNIST)", e.Message);
        Assert.Contains("no such directory", Assert.Throws<DatasetException>(() => IdxDataset.LoadDirectory(_dir.File("x"), "train")).Message);
        Assert.Contains("Fashion-MNIST is not in", Assert.Throws<DatasetException>(() => FashionMnist.Load(true, _dir.File("x"))).Message);
    }
}
