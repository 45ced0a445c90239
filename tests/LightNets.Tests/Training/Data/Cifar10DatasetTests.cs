using LightNets.Imaging;
using LightNets.Tests.Imaging;
using LightNets.Training.Data;
using static LightNets.Tests.Training.Data.DataFiles;

namespace LightNets.Tests.Training.Data;

/// <summary>The CIFAR-10 binary reader on good batches, the directory layouts, and bad files.</summary>
public sealed class Cifar10DatasetTests : IDisposable
{
    private readonly ImageFiles.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Reads_records_across_batches_in_order_as_planar_rgb()
    {
        var a = _dir.Write("a.bin", CifarRecords(3, 9));
        var b = _dir.Write("b.bin.gz", Gzip(CifarRecords(0, 1, 2)));
        var set = Cifar10Dataset.Load([a, b]);
        Assert.Equal(5, set.Count);
        Assert.Equal(new ImageShape(3, 32, 32), set.ItemShape);
        Assert.Equal([3, 9, 0, 1, 2], Enumerable.Range(0, 5).Select(set.Label));
        Assert.Equal(Cifar10Dataset.PublishedClassNames, set.ClassNames);
        using var item = new ImageItem();
        Assert.True(set.TryRead(3, item, out _));
        // Item 3 is record 1 of the second batch.
        for (var c = 0; c < 3; c++)
            for (var y = 0; y < 32; y += 5)
                for (var x = 0; x < 32; x += 3)
                    Assert.Equal(Pixel(1 + c, y, x), item.Pixels[(c * 32 + y) * 32 + x]);
        Assert.Equal($"{b} record 1", set.Describe(3));
        Assert.Equal($"{a} record 0", set.Describe(0));
    }

    [Fact]
    public void The_directory_layout_and_its_meta_file_are_used()
    {
        var folder = Directory.CreateDirectory(_dir.File("cifar-10-batches-bin")).FullName;
        for (var i = 1; i <= 5; i++) File.WriteAllBytes(Path.Combine(folder, $"data_batch_{i}.bin"), CifarRecords((byte)i, 0));
        File.WriteAllBytes(Path.Combine(folder, "test_batch.bin.gz"), Gzip(CifarRecords(7)));
        File.WriteAllText(Path.Combine(folder, "batches.meta.txt"), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
        var train = Cifar10Dataset.LoadDirectory(_dir.Path, train: true); // found in the sub-folder the archive makes
        Assert.Equal(10, train.Count);
        Assert.Equal([1, 0, 2, 0, 3, 0, 4, 0, 5, 0], Enumerable.Range(0, 10).Select(train.Label));
        Assert.Equal(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"], train.ClassNames);
        Assert.Equal(7, Cifar10Dataset.LoadDirectory(folder, train: false).Label(0));

        File.Delete(Path.Combine(folder, "data_batch_4.bin"));
        var e = Assert.Throws<DatasetException>(() => Cifar10Dataset.LoadDirectory(folder, train: true));
        Assert.Equal($"{folder} lacks data_batch_4.bin (or .gz): give the folder of CIFAR-10's binary version (cifar-10-batches-bin)", e.Message);

        File.WriteAllText(Path.Combine(folder, "batches.meta.txt"), "a\nb\n");
        Assert.Contains("batches.meta.txt: it names 2 classes, CIFAR-10 has 10", Assert.Throws<DatasetFormatException>(() => Cifar10Dataset.LoadDirectory(folder, false)).Message);
        // Names given explicitly win over the file.
        Assert.Equal(["x", "y", "z", "w", "v", "u", "t", "s"],
            Cifar10Dataset.LoadDirectory(folder, false, new DatasetReadOptions { ClassNames = ["x", "y", "z", "w", "v", "u", "t", "s"] }).ClassNames);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Partial_records_and_bad_labels_are_refused(bool gzip)
    {
        byte[] Stored(byte[] b) => gzip ? Gzip(b) : b;
        var records = CifarRecords(1, 2);
        var e = Assert.Throws<DatasetFormatException>(() => Cifar10Dataset.Load([_dir.Write("cut", Stored(records[..^100]))]));
        Assert.Contains("6,046 bytes is not a whole number of 3,073-byte records", e.Message);
        records[3073] = 10;
        e = Assert.Throws<DatasetFormatException>(() => Cifar10Dataset.Load([_dir.Write("bad", Stored(records))]));
        Assert.Equal($"{_dir.File("bad")}: the label of item 1 is 10, out of range for 10 classes (0–9); give the class names (one per class) if the data set has more", e.Message);
    }

    [Fact]
    public void The_size_limit_holds_for_plain_and_compressed_batches_and_their_sum()
    {
        var options = new DatasetReadOptions { MaxBytes = 4 * 3073 };
        var three = _dir.Write("three", CifarRecords(1, 2, 3));
        Assert.Equal(6, Cifar10Dataset.Load([three, three], options with { MaxBytes = 6 * 3073 }).Count);
        var e = Assert.Throws<DatasetFormatException>(() => Cifar10Dataset.Load([three, three], options));
        Assert.Contains("9,219 bytes is more than the limit of 3,073 bytes for the data set", e.Message);
        // A bomb: 50 MB of zeros compressed to ~50 KB; refused once the limit is passed, holding no more than the limit.
        var bomb = _dir.Write("bomb.gz", GzipWithZeros([], 50 << 20));
        var before = GC.GetAllocatedBytesForCurrentThread();
        e = Assert.Throws<DatasetFormatException>(() => Cifar10Dataset.Load([bomb], new DatasetReadOptions { MaxBytes = 1 << 20 }));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20);
        Assert.Contains("the compressed data inflates to more than the limit of 1,048,576 bytes", e.Message);
        Assert.Contains("holds no records", Assert.Throws<DatasetFormatException>(() => Cifar10Dataset.Load([_dir.Write("empty.gz", EmptyGzip)])).Message);
    }

    /// <summary>A gzip member holding nothing (header, an empty final deflate block, CRC 0, size 0).</summary>
    private static readonly byte[] EmptyGzip = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    [Fact]
    public void A_bad_meta_file_is_a_labels_error()
    {
        var batch = _dir.Write("test_batch.bin", CifarRecords(0));
        _dir.Write("batches.meta.txt", []);
        Assert.IsAssignableFrom<LightNetsException>(Assert.Throws<LabelsFormatException>(() => Cifar10Dataset.Load([batch])));
    }
}
