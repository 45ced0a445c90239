using LightNets.Training.Data;

namespace LightNets.Cli.Commands;

/// <summary>The kinds of data set <c>--data</c> recognises.</summary>
public enum DataLayout
{
    /// <summary>A directory with MNIST-style IDX files (train-… and t10k-…, plain or .gz), e.g. Fashion-MNIST.</summary>
    IdxDirectory,
    /// <summary>An IDX images file (…-images-idx3-ubyte[.gz]) beside its labels file (…-labels-idx1-ubyte[.gz]).</summary>
    IdxPair,
    /// <summary>CIFAR-10's binary batches (data_batch_1.bin … and test_batch.bin, or their cifar-10-batches-bin folder).</summary>
    Cifar10,
    /// <summary>A folder with one sub-folder of images per class.</summary>
    ImageFolder,
}

/// <summary>
/// Opens what <c>--data</c>/<c>--val</c> name: the training or test part of an IDX directory or CIFAR-10 folder, an IDX
/// pair, or an image-folder root, recognised by the files in it.
/// </summary>
public static class DataSource
{
    public static DataLayout Detect(string path)
    {
        if (File.Exists(path))
        {
            if (Path.GetFileName(path).Contains("-images-idx3-ubyte", StringComparison.Ordinal)) return DataLayout.IdxPair;
            throw new DatasetException(
                $"{path} is a file; --data takes a directory (Fashion-MNIST/MNIST IDX files, CIFAR-10 batches or one folder per class) or an IDX images file (…-images-idx3-ubyte[.gz])");
        }
        if (!Directory.Exists(path)) throw new DatasetException($"no such data directory: {path}");
        if (HasIdx(path, "train") || HasIdx(path, "t10k")) return DataLayout.IdxDirectory;
        if (IsCifar(path) || IsCifar(Path.Combine(path, "cifar-10-batches-bin"))) return DataLayout.Cifar10;
        return DataLayout.ImageFolder;
    }

    /// <summary>Whether the data set at <paramref name="path"/> has a separate test part (IDX t10k files, CIFAR-10's test_batch).</summary>
    public static bool HasTestPart(string path) => Detect(path) switch
    {
        DataLayout.IdxDirectory => HasIdx(path, "train") && HasIdx(path, "t10k"),
        DataLayout.Cifar10 => HasCifarTest(path) || HasCifarTest(Path.Combine(path, "cifar-10-batches-bin")),
        _ => false,
    };

    /// <summary>
    /// Opens the data set at <paramref name="path"/>: its training part (<paramref name="test"/> false) or its test part
    /// (true; the training part when it has no other). An image folder or IDX pair is the same either way.
    /// </summary>
    /// <exception cref="DatasetException">Nothing readable there, or a malformed file (the message says which).</exception>
    public static IImageDataset Open(string path, bool test, bool strict)
    {
        switch (Detect(path))
        {
            case DataLayout.IdxDirectory:
                var prefix = test ? (HasIdx(path, "t10k") ? "t10k" : "train") : (HasIdx(path, "train") ? "train" : "t10k");
                return IdxDataset.LoadDirectory(path, prefix);
            case DataLayout.IdxPair:
                var labels = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!,
                    Path.GetFileName(path).Replace("-images-idx3-ubyte", "-labels-idx1-ubyte", StringComparison.Ordinal));
                if (!File.Exists(labels)) throw new DatasetException($"the IDX images file {path} has no labels file beside it: expected {labels}");
                return IdxDataset.Load(path, labels);
            case DataLayout.Cifar10:
                return Cifar10Dataset.LoadDirectory(path, train: !(test && HasTestPart(path)));
            default:
                return ImageFolderDataset.Load(path, new ImageFolderOptions { Strict = strict });
        }
    }

    /// <summary>A few words for the log: "Fashion-MNIST training set (60,000 images, 10 classes)".</summary>
    public static string Describe(IImageDataset data, string path, bool test)
    {
        var source = data is DatasetView view ? view.Source : data;
        var kind = source switch
        {
            IdxDataset { IsFashionMnist: true } => "Fashion-MNIST",
            IdxDataset => "IDX",
            Cifar10Dataset => "CIFAR-10",
            ImageFolderDataset => "image folder",
            _ => "data",
        };
        var part = data is ImageFolderDataset || Detect(path) == DataLayout.IdxPair ? "" : test && HasTestPart(path) ? " test set" : " training set";
        return $"{kind}{part} {path} ({data.Count:N0} images, {data.ClassNames.Count} classes)";
    }

    private static bool HasIdx(string directory, string prefix) =>
        Exists(directory, $"{prefix}-images-idx3-ubyte") || Exists(directory, $"{prefix}-images-idx3-ubyte.gz");

    private static bool IsCifar(string directory) => Exists(directory, "data_batch_1.bin") || Exists(directory, "data_batch_1.bin.gz") ||
                                                     Exists(directory, "test_batch.bin") || Exists(directory, "test_batch.bin.gz");

    private static bool HasCifarTest(string directory) => Exists(directory, "test_batch.bin") || Exists(directory, "test_batch.bin.gz");

    private static bool Exists(string directory, string name) => File.Exists(Path.Combine(directory, name));
}
