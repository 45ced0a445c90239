using LightNets.Imaging;
using LightNets.Tests.Imaging;
using LightNets.Training.Data;
using LightNets.Training.Data.Transforms;
using SkiaSharp;

namespace LightNets.Tests.Training.Data;

/// <summary>An image folder through the loader: decoded on the workers, augmented, evaluated as classify would.</summary>
public sealed class ImageFolderLoadingTests : IDisposable
{
    private readonly ImageFiles.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Two classes of photos of different sizes and formats, one of them damaged.</summary>
    private ImageFolderDataset Folder()
    {
        var sizes = new[] { (40, 30), (25, 60), (64, 64), (33, 17), (50, 45), (20, 20) };
        for (var i = 0; i < sizes.Length; i++)
        {
            using var bitmap = ImageFiles.Blocks(sizes[i].Item1, sizes[i].Item2);
            var format = i % 2 == 0 ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg;
            _dir.Write($"{(i < 3 ? "cat" : "dog")}_{i}.{(i % 2 == 0 ? "png" : "jpg")}", ImageFiles.Encode(bitmap, format, 90));
        }
        foreach (var file in Directory.GetFiles(_dir.Path))
        {
            var name = Path.GetFileName(file);
            var folder = Directory.CreateDirectory(_dir.File(name[..3])).FullName;
            File.Move(file, Path.Combine(folder, name));
        }
        File.WriteAllBytes(_dir.File("dog/zz_damaged.png"), ImageFiles.Truncated(File.ReadAllBytes(_dir.File("cat/cat_0.png")), 0.4));
        return ImageFolderDataset.Load(_dir.Path);
    }

    [Fact]
    public void Training_batches_are_the_same_with_any_number_of_workers_and_damaged_images_are_replaced()
    {
        var set = Folder();
        Assert.Equal(7, set.Count);
        var pipeline = ImagePipeline.ImageNetTraining(24);
        float[] Epoch(int workers, out IReadOnlyList<SkippedEntry> unreadable, out int[] indices)
        {
            using var loader = new DataLoader(set, pipeline, new LoaderOptions { BatchSize = 3, Seed = 9, Workers = workers });
            var values = new List<float>();
            var seen = new List<int>();
            foreach (var batch in loader.Epoch(4))
            {
                Assert.Equal(new ImageShape(3, 24, 24), batch.Shape);
                values.AddRange(batch.ImageValues.ToArray());
                seen.AddRange(batch.IndexValues.ToArray());
            }
            unreadable = loader.Unreadable;
            indices = [.. seen];
            return [.. values];
        }
        var reference = Epoch(0, out var unreadable, out var indices);
        Assert.Equal(reference, Epoch(3, out _, out var other));
        Assert.Equal(indices, other);
        Assert.Equal($"{_dir.File("dog/zz_damaged.png")}: the file is truncated: it ends before the image data does", Assert.Single(unreadable).ToString());
        Assert.Equal(7, indices.Length);
        Assert.DoesNotContain(6, indices); // the damaged image, replaced by the next readable one (wrapping to item 0)
        Assert.Equal(2, indices.Count(i => i == 0));
    }

    [Fact]
    public void Evaluation_batches_hold_what_the_classifier_preprocessing_gives_each_image()
    {
        var set = Folder();
        var preprocessing = new Preprocessing { ResizeShorter = 36, Crop = 32 };
        using var loader = new DataLoader(new DatasetView(set, Enumerable.Range(0, 6)), ImagePipeline.ImageNetEvaluation(preprocessing),
            new LoaderOptions { BatchSize = 4, Shuffle = false, Workers = 2 });
        var reference = new ImagePreprocessor(preprocessing);
        var n = 0;
        foreach (var batch in loader.Epoch(0))
            for (var i = 0; i < batch.Count; i++, n++)
            {
                using var image = new ImageDecoder().Decode(set.Files[batch.Indices[i]]);
                Assert.Equal(reference.Run(image), batch.ImageValues.Slice(i * 3 * 32 * 32, 3 * 32 * 32).ToArray());
                Assert.Equal(set.Label(batch.Indices[i]), batch.Labels[i]);
            }
        Assert.Equal(6, n);
    }

    [Fact]
    public void Strict_loading_names_the_damaged_file()
    {
        var set = Folder();
        using var loader = new DataLoader(set, ImagePipeline.ImageNetTraining(16), new LoaderOptions { BatchSize = 7, Strict = true, Workers = 1 });
        var e = Assert.Throws<DatasetException>(() => loader.Epoch(0).MoveNext());
        Assert.Equal($"{_dir.File("dog/zz_damaged.png")}: the file is truncated: it ends before the image data does; fix or remove it, or load without strict to skip unreadable items", e.Message);
    }
}
