using LightNets.Tests.Imaging;
using LightNets.Tests.Robustness;
using LightNets.Training.Data;
using SkiaSharp;

namespace LightNets.Tests.Training.Data;

/// <summary>Image folders: class order, what is ignored and what is skipped, links and loops, damaged images, strictness.</summary>
public sealed class ImageFolderDatasetTests : IDisposable
{
    private readonly ImageFiles.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly byte[] Png = ImageFiles.Encode(ImageFiles.Blocks(20, 12), SKEncodedImageFormat.Png);

    private string Image(string relative, byte[]? bytes = null)
    {
        var path = _dir.File(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes ?? Png);
        return path;
    }

    [Fact]
    public void Classes_are_the_sorted_sub_folders_and_images_are_found_at_any_depth_in_order()
    {
        Image("b/2.png");
        Image("b/1.PNG");
        Image("a/z/deep/9.jpg", ImageFiles.Encode(ImageFiles.Blocks(9, 7), SKEncodedImageFormat.Jpeg));
        Image("a/0.webp", ImageFiles.Encode(ImageFiles.Blocks(5, 5), SKEncodedImageFormat.Webp));
        Image("C/x.bmp", ImageFiles.Encode(ImageFiles.Blocks(3, 4), SKEncodedImageFormat.Png));
        Image("a/notes.txt", "hello"u8.ToArray());
        Image("a/.hidden.png");
        Image("readme.png");
        Directory.CreateDirectory(_dir.File(".git"));
        var set = ImageFolderDataset.Load(_dir.Path);
        Assert.Equal(["C", "a", "b"], set.ClassNames); // ordinal: upper case first, as Python sorts
        Assert.Equal([_dir.File("C/x.bmp"), _dir.File("a/0.webp"), _dir.File("a/z/deep/9.jpg"), _dir.File("b/1.PNG"), _dir.File("b/2.png")], set.Files);
        Assert.Equal([0, 1, 1, 2, 2], Enumerable.Range(0, 5).Select(set.Label));
        Assert.Null(set.ItemShape);
        Assert.Equal(3, set.Channels);
        Assert.Equal(
            [$"{_dir.File(".git")}: hidden", $"{_dir.File("a/.hidden.png")}: hidden", $"{_dir.File("a/notes.txt")}: not an image file name", $"{_dir.File("readme.png")}: not in a class folder"],
            set.Ignored.Select(e => e.ToString()).Order(StringComparer.Ordinal));
        Assert.Empty(set.Skipped);

        using var item = new ImageItem();
        Assert.True(set.TryRead(2, item, out var error), error);
        Assert.Equal(new ImageShape(3, 7, 9), item.Shape);
        Assert.True(set.TryRead(4, item, out _));
        Assert.Equal(new ImageShape(3, 12, 20), item.Shape);
        using var bitmap = ImageFiles.Blocks(20, 12);
        var plane = 12 * 20;
        for (var y = 0; y < 12; y++)
            for (var x = 0; x < 20; x++)
            {
                var p = bitmap.GetPixel(x, y);
                Assert.Equal((p.Red, p.Green, p.Blue), (item.Pixels[y * 20 + x], item.Pixels[plane + y * 20 + x], item.Pixels[2 * plane + y * 20 + x]));
            }
    }

    [Fact]
    public void A_damaged_image_is_reported_when_read_and_dropped_or_refused_when_verified()
    {
        Image("cat/good.png");
        var bad = Image("cat/bad.png", ImageFiles.Truncated(Png, 0.5));
        var text = Image("dog/fake.jpg", "not a jpeg"u8.ToArray());
        Image("dog/good.png");
        var set = ImageFolderDataset.Load(_dir.Path);
        Assert.Equal(4, set.Count);
        using var item = new ImageItem();
        Assert.False(set.TryRead(0, item, out var error));
        Assert.Equal(bad, set.Describe(0));
        Assert.Contains("truncated", error);

        var verified = ImageFolderDataset.Load(_dir.Path, new ImageFolderOptions { VerifyImages = true, VerifyThreads = 2 });
        Assert.Equal([_dir.File("cat/good.png"), _dir.File("dog/good.png")], verified.Files);
        Assert.Equal([0, 1], [verified.Label(0), verified.Label(1)]);
        Assert.Equal([bad, text], verified.Skipped.Select(s => s.Path));
        Assert.Contains("not a supported image", verified.Skipped[1].Reason);

        var e = Assert.Throws<DatasetException>(() => ImageFolderDataset.Load(_dir.Path, new ImageFolderOptions { VerifyImages = true, Strict = true }));
        Assert.StartsWith($"{bad}: the file is truncated", e.Message);
        Assert.EndsWith("(and 1 more unreadable images); fix or remove it, or read without strict to skip unreadable images", e.Message);
    }

    [Fact]
    public void An_empty_class_is_an_error_that_names_it()
    {
        Image("a/1.png");
        Directory.CreateDirectory(_dir.File("b"));
        Image("c/readme.txt", [1]);
        var e = Assert.Throws<DatasetException>(() => ImageFolderDataset.Load(_dir.Path));
        Assert.Equal($"{_dir.Path}: class folders 'b', 'c' hold no usable images (.jpg, .jpeg, .png, .webp, .bmp, .gif): add images or remove the folders", e.Message);
        // A class whose only image is damaged is empty once verified.
        Directory.Delete(_dir.File("b"));
        Directory.Delete(_dir.File("c"), recursive: true);
        Image("d/broken.png", [0x89, (byte)'P', (byte)'N', (byte)'G']);
        e = Assert.Throws<DatasetException>(() => ImageFolderDataset.Load(_dir.Path, new ImageFolderOptions { VerifyImages = true }));
        Assert.Contains("class folder 'd' holds no usable images", e.Message);
    }

    [Fact]
    public void A_folder_without_class_folders_or_no_folder_at_all_is_an_error()
    {
        Image("loose.png");
        Assert.Equal($"{_dir.Path} holds no class folders: put each class's images in a sub-folder named after the class",
            Assert.Throws<DatasetException>(() => ImageFolderDataset.Load(_dir.Path)).Message);
        Assert.Equal($"no such folder: {_dir.File("none")}", Assert.Throws<DatasetException>(() => ImageFolderDataset.Load(_dir.File("none"))).Message);
        Assert.Contains("is a file, not a folder of class folders", Assert.Throws<DatasetException>(() => ImageFolderDataset.Load(_dir.File("loose.png"))).Message);
    }

    [Fact]
    public void Links_are_followed_but_loops_broken_links_and_pipes_are_skipped()
    {
        Image("a/1.png");
        Image("elsewhere/2.png");
        Directory.CreateSymbolicLink(_dir.File("a/loop"), _dir.File("a"));                 // back to its class folder
        Directory.CreateSymbolicLink(_dir.File("a/x"), _dir.File("a/y"));
        Directory.CreateSymbolicLink(_dir.File("a/y"), _dir.File("a/x"));                  // two links pointing at each other
        Directory.CreateSymbolicLink(_dir.File("b"), _dir.File("elsewhere"));              // a class folder that is a link
        File.CreateSymbolicLink(_dir.File("b2"), _dir.File("nowhere"));                    // a class folder link that is broken
        Directory.CreateDirectory(_dir.File("c"));
        File.CreateSymbolicLink(_dir.File("c/dangling.png"), _dir.File("missing.png"));
        File.CreateSymbolicLink(_dir.File("c/l1.png"), _dir.File("c/l2.png"));
        File.CreateSymbolicLink(_dir.File("c/l2.png"), _dir.File("c/l1.png"));
        File.CreateSymbolicLink(_dir.File("c/ok.png"), _dir.File("a/1.png"));
        SpecialFiles.Fifo(_dir.File("c/pipe.png"));
        Image("c/empty.png", []);
        ImageFolderDataset? set = null;
        Assert.Null(SpecialFiles.Within(() => set = ImageFolderDataset.Load(_dir.Path)));
        Assert.Equal(["a", "b", "c", "elsewhere"], set!.ClassNames);
        Assert.Equal([_dir.File("a/1.png"), _dir.File("b/2.png"), _dir.File("c/ok.png"), _dir.File("elsewhere/2.png")], set.Files);
        var skipped = set.Skipped.Select(s => s.ToString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
        [
            $"{_dir.File("a/loop")}: a link to a folder already walked (a loop): not followed",
            $"{_dir.File("a/x")}: a link that loops",
            $"{_dir.File("a/y")}: a link that loops",
            $"{_dir.File("b2")}: a broken link",
            $"{_dir.File("c/dangling.png")}: a broken link",
            $"{_dir.File("c/empty.png")}: empty, or not a regular file (a pipe or a device)",
            $"{_dir.File("c/l1.png")}: a link that loops",
            $"{_dir.File("c/l2.png")}: a link that loops",
            $"{_dir.File("c/pipe.png")}: empty, or not a regular file (a pipe or a device)",
        ], skipped);
        // Strict: the first thing that cannot be used is the error; a loop loses nothing and is not one.
        var e = Assert.Throws<DatasetException>(() => ImageFolderDataset.Load(_dir.Path, new ImageFolderOptions { Strict = true }));
        Assert.EndsWith("fix or remove it, or read without strict to skip what cannot be used", e.Message);
    }

    [Fact]
    public void Folders_deeper_than_the_limit_are_skipped()
    {
        Image("a/1/2/3/deep.png");
        Image("a/top.png");
        var set = ImageFolderDataset.Load(_dir.Path, new ImageFolderOptions { MaxDepth = 2 });
        Assert.Equal([_dir.File("a/top.png")], set.Files);
        Assert.Equal($"{_dir.File("a/1/2/3")}: deeper than 2 folders below the class folder", set.Skipped.Single().ToString());
        Assert.Equal(2, ImageFolderDataset.Load(_dir.Path).Count);
    }

    [Fact]
    public void The_pixel_limit_makes_a_large_image_unreadable()
    {
        Image("a/big.png");
        var set = ImageFolderDataset.Load(_dir.Path, new ImageFolderOptions { MaxPixels = 100 });
        using var item = new ImageItem();
        Assert.False(set.TryRead(0, item, out var error));
        Assert.Contains("20×12 = 240 pixels is over the limit of 100", error);
    }
}
