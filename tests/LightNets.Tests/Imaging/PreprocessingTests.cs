using LightNets.Imaging;
using SkiaSharp;

namespace LightNets.Tests.Imaging;

/// <summary>The preprocessing rules themselves: torchvision's size rule, crop rounding, the two normalizations, options.</summary>
public sealed class PreprocessingTests
{
    [Theory]
    [InlineData(400, 300, 256, 341, 256)] // int(256·400/300) = int(341.33)
    [InlineData(300, 400, 256, 256, 341)]
    [InlineData(97, 61, 72, 114, 72)] // int(72·97/61) = int(114.49)
    [InlineData(50, 50, 72, 72, 72)]
    [InlineData(45, 67, 72, 72, 107)] // int(72·67/45) = int(107.2)
    public void Resize_follows_torchvision(int w, int h, int size, int ew, int eh) =>
        Assert.Equal((ew, eh), new Preprocessing { ResizeShorter = size, Crop = Math.Min(size, 64) }.ResizedSize(w, h));

    [Theory]
    [InlineData(224, 256)]
    [InlineData(160, 182)]
    [InlineData(48, 54)]
    [InlineData(64, 73)]
    public void ForInput_keeps_torchvisions_crop_ratio(int crop, int resize)
    {
        var p = Preprocessing.ForInput(crop);
        Assert.Equal((resize, crop), (p.ResizeShorter, p.Crop));
        Assert.Equal([0.485f, 0.456f, 0.406f], p.Mean);
    }

    [Fact]
    public void Minus_one_to_one_maps_0_and_255_to_the_ends()
    {
        using var black = Solid(20, 20, SKColors.Black);
        using var white = Solid(20, 20, SKColors.White);
        var p = new ImagePreprocessor(Preprocessing.ForInput(16, minusOneToOne: true));
        Assert.All(p.Run(black), v => Assert.Equal(-1f, v));
        Assert.All(p.Run(white), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void ImageNet_normalization_of_a_solid_colour_is_per_channel()
    {
        using var image = Solid(30, 20, new SKColor(255, 128, 0));
        var x = new ImagePreprocessor(Preprocessing.ForInput(16)).Run(image);
        var plane = 16 * 16;
        Assert.All(x.AsSpan(0, plane).ToArray(), v => Assert.Equal((1f - 0.485f) / 0.229f, v, 6));
        Assert.All(x.AsSpan(plane, plane).ToArray(), v => Assert.Equal((128 / 255f - 0.456f) / 0.224f, v, 6));
        Assert.All(x.AsSpan(2 * plane, plane).ToArray(), v => Assert.Equal((0f - 0.406f) / 0.225f, v, 6));
    }

    [Fact]
    public void The_crop_is_centred_with_pythons_rounding()
    {
        // 1-pixel-wide columns of distinct values survive an identity resize, so the crop offset is visible:
        // width 21 → crop 16: (21 − 16)/2 = 2.5 rounds to 2 (half to even), like Python's round.
        using var bitmap = new SKBitmap(new SKImageInfo(21, 16, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var x = 0; x < 21; x++)
            for (var y = 0; y < 16; y++) bitmap.SetPixel(x, y, new SKColor((byte)(10 * x), 0, 0));
        using var image = Decode(bitmap);
        var p = new Preprocessing { ResizeShorter = 16, Crop = 16, Mean = [0, 0, 0], Std = [1, 1, 1] };
        var output = new ImagePreprocessor(p).Run(image);
        Assert.Equal(20 / 255f, output[0]);
        Assert.Equal(170 / 255f, output[15]);
    }

    [Fact]
    public void Reusing_a_preprocessor_allocates_nothing()
    {
        var f = ImagingFixtures.Get("imagenet_224_jpeg");
        using var image = new ImageDecoder().Decode(f.Path);
        var p = new ImagePreprocessor(f.Preprocessing);
        var output = new float[p.OutputLength];
        p.Run(image, output);
        var before = GC.GetAllocatedBytesForCurrentThread();
        p.Run(image, output);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(64, 72, true)]
    [InlineData(0, 72, false)]
    [InlineData(80, 72, false)]
    public void Sizes_are_validated(int crop, int resize, bool valid)
    {
        var p = new Preprocessing { Crop = crop, ResizeShorter = resize };
        if (valid) p.Validate();
        else Assert.Throws<ArgumentException>(p.Validate);
        Assert.Throws<ArgumentException>(() => new Preprocessing { Std = [0.2f, 0f, 0.2f] }.Validate());
    }

    [Fact]
    public void The_output_span_must_fit()
    {
        using var image = Solid(8, 8, SKColors.Red);
        var p = new ImagePreprocessor(Preprocessing.ForInput(8));
        Assert.Throws<ArgumentException>(() => p.Run(image, new float[10]));
    }

    private static DecodedImage Solid(int w, int h, SKColor colour)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(colour);
        return Decode(bitmap);
    }

    private static DecodedImage Decode(SKBitmap bitmap) => new ImageDecoder().Decode(ImageFiles.Encode(bitmap, SKEncodedImageFormat.Png), "test.png");
}
