using System.Security.Cryptography;
using LightNets.Training.Data;
using LightNets.Training.Data.Transforms;

namespace LightNets.Tests.Training.Data;

/// <summary>A test that needs the real Fashion-MNIST; skipped, saying why, where it is not installed (.ci/run installs it).</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!FashionMnist.IsInstalled())
            Skip = $"Fashion-MNIST is not installed in {FashionMnist.DefaultDirectory}: run `apt-get install -y dataset-fashion-mnist` (.ci/run does when apt is available)";
    }
}

/// <summary>The real Fashion-MNIST from Debian's dataset-fashion-mnist package.</summary>
public sealed class FashionMnistTests
{
    /// <summary>
    /// The MD5s of the decompressed files, as published beside the .gz MD5s (torchvision's raw_data list). The content is
    /// what identifies the data: Debian recompresses the .gz files, so their own MD5s differ from the published
    /// 8d4fb7e6…, 25c81989…, bef4ecab…, bb300cfd….
    /// </summary>
    private static readonly Dictionary<string, string> RawMd5 = new()
    {
        ["train-images-idx3-ubyte.gz"] = "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        ["train-labels-idx1-ubyte.gz"] = "9018921c3c673c538a1fc5bad174d6f9",
        ["t10k-images-idx3-ubyte.gz"] = "8181f5470baa50b63fa0f6fddb340f0a",
        ["t10k-labels-idx1-ubyte.gz"] = "15d484375f8d13e6eb1aabb0c3f46965",
    };

    [FashionMnistFact]
    public void The_installed_files_are_the_published_data()
    {
        foreach (var (name, md5) in RawMd5)
        {
            var path = Path.Combine(FashionMnist.DefaultDirectory, name);
            using var gz = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
            Assert.Equal(md5, Convert.ToHexStringLower(MD5.HashData(gz)));
        }
    }

    [FashionMnistFact]
    public void Loads_60000_training_and_10000_test_images_with_their_names_and_statistics()
    {
        var train = FashionMnist.Load(train: true);
        var test = FashionMnist.Load(train: false);
        Assert.Equal(60_000, train.Count);
        Assert.Equal(10_000, test.Count);
        Assert.Equal(new ImageShape(1, 28, 28), train.ItemShape);
        Assert.True(train.IsFashionMnist && test.IsFashionMnist);
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"], train.ClassNames);
        Assert.Equal([9, 0, 0, 3, 0, 2, 7, 2, 5, 5], Enumerable.Range(0, 10).Select(train.Label));
        Assert.Equal([9, 2, 1, 1, 6, 1, 4, 6, 5, 7], Enumerable.Range(0, 10).Select(test.Label));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(6000, Enumerable.Range(0, train.Count).Count(i => train.Label(i) == c)));
        var sum = 0;
        foreach (var v in train.Pixels(0)) sum += v;
        Assert.Equal(76_247, sum); // numpy: x[:784].sum()
        var (mean, std) = DatasetStatistics.MeanStd(train);
        Assert.Equal(0.2860406f, mean[0], 6);
        Assert.Equal(0.3530242f, std[0], 6);
    }

    [FashionMnistFact]
    public void The_anchor_recipe_loads_the_test_set_at_32_by_32()
    {
        var test = FashionMnist.Load(train: false);
        using var loader = new DataLoader(test, ImagePipeline.SmallImageEvaluation(32, [0.2860406f], [0.3530242f]),
            new LoaderOptions { BatchSize = 500, Shuffle = false, Workers = 2 });
        var seen = 0;
        foreach (var batch in loader.Epoch(0))
        {
            Assert.Equal(new ImageShape(1, 32, 32), batch.Shape);
            // The 2-pixel border is the mean (0 after Normalize); inside, the image normalised.
            Assert.Equal(0f, batch.Images[0]);
            var first = test.Pixels(batch.Indices[0])[0];
            Assert.Equal((first / 255f - 0.2860406f) / 0.3530242f, batch.Images[2 * 32 + 2]);
            seen += batch.Count;
        }
        Assert.Equal(10_000, seen);
    }
}
