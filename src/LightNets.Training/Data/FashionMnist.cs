using System.Security.Cryptography;

namespace LightNets.Training.Data;

/// <summary>Fashion-MNIST (Zalando, 2017): where Debian's package installs it, its class names, and how it is recognised.</summary>
public static class FashionMnist
{
    /// <summary>Where <c>apt-get install dataset-fashion-mnist</c> puts the four gzipped IDX files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The ten classes in label order (the data set's README).</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// MD5 of the decompressed label files (header and labels), training then test. These identify the data whatever
    /// compressed it: Debian recompresses the files, so their .gz MD5s differ from the published ones.
    /// </summary>
    internal static readonly string[] LabelFileMd5 = ["9018921c3c673c538a1fc5bad174d6f9", "15d484375f8d13e6eb1aabb0c3f46965"];

    /// <summary>Whether the IDX files are installed in <paramref name="directory"/>.</summary>
    public static bool IsInstalled(string directory = DefaultDirectory) =>
        File.Exists(Path.Combine(directory, "train-images-idx3-ubyte.gz")) && File.Exists(Path.Combine(directory, "t10k-images-idx3-ubyte.gz"));

    /// <summary>The training set (60,000 images) or the test set (10,000), 28×28 grayscale.</summary>
    public static IdxDataset Load(bool train, string directory = DefaultDirectory, DatasetReadOptions? options = null)
    {
        if (!Directory.Exists(directory))
            throw new DatasetException($"Fashion-MNIST is not in {directory}: install it with `apt-get install dataset-fashion-mnist`, or give its directory");
        return IdxDataset.LoadDirectory(directory, train ? "train" : "t10k", options);
    }

    /// <summary>Whether <paramref name="labels"/> (the payload of an IDX labels file of <paramref name="count"/> items) are Fashion-MNIST's.</summary>
    internal static bool IsLabelsFile(ReadOnlySpan<byte> labels, int count)
    {
        if (count is not (60_000 or 10_000)) return false;
        Span<byte> header = [0, 0, 8, 1, (byte)(count >> 24), (byte)(count >> 16), (byte)(count >> 8), (byte)count];
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(header);
        md5.AppendData(labels);
        var hex = Convert.ToHexStringLower(md5.GetHashAndReset());
        return LabelFileMd5.Contains(hex);
    }
}
