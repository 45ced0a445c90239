using LightNets.Training.Data;
using LightNets.Training.Data.Transforms;

namespace LightNets.Tests.Training.Data;

/// <summary>Each transform against torchvision's definition: crops, padding, flips, normalisation, channels, resizing.</summary>
public sealed class TransformTests
{
    /// <summary>A float image whose value at (c, y, x) is c·10000 + y·100 + x: positions can be read back from values.</summary>
    internal static FloatImage Coordinates(int channels, int height, int width)
    {
        var image = new FloatImage();
        image.Reset(channels, height, width);
        for (var c = 0; c < channels; c++)
            for (var y = 0; y < height; y++)
                for (var x = 0; x < width; x++)
                    image.Data[(c * height + y) * width + x] = c * 10000 + y * 100 + x;
        return image;
    }

    private static FloatImage Run(ImageTransform transform, FloatImage source, int seed = 1, int index = 0)
    {
        var target = new FloatImage();
        var random = DataRandom.ForItem(seed, 0, index);
        transform.Apply(source, target, ref random, new TransformScratch());
        Assert.Equal(transform.OutputShape(source.Shape), target.Shape);
        return target;
    }

    private static float At(FloatImage image, int c, int y, int x) => image.Data[(c * image.Height + y) * image.Width + x];

    [Theory]
    [InlineData(28, 32, -2)]  // padded: 2 before, 2 after
    [InlineData(28, 31, -1)]  // (31 − 28) // 2 = 1 before, 2 after
    [InlineData(5, 2, 2)]     // round(1.5) = 2: Python rounds halves to even
    [InlineData(7, 2, 2)]     // round(2.5) = 2
    [InlineData(9, 2, 4)]     // round(3.5) = 4
    [InlineData(10, 10, 0)]
    public void Center_crop_offsets_are_torchvisions(int size, int crop, int offset)
    {
        Assert.Equal(offset, CenterCrop.Offset(size, crop));
        var out_ = Run(new CenterCrop(crop, fill: -7), Coordinates(2, size, size));
        for (var c = 0; c < 2; c++)
            for (var y = 0; y < crop; y++)
                for (var x = 0; x < crop; x++)
                {
                    var (sy, sx) = (y + offset, x + offset);
                    var inside = sy >= 0 && sy < size && sx >= 0 && sx < size;
                    Assert.Equal(inside ? c * 10000 + sy * 100 + sx : -7, At(out_, c, y, x));
                }
    }

    [Fact]
    public void Random_crop_reaches_every_offset_of_the_padded_image_uniformly_and_fills_outside()
    {
        var crop = new RandomCrop(32, padding: 4, fill: -1);
        var counts = new int[5, 5];
        for (var i = 0; i < 8100; i++)
        {
            var out_ = Run(crop, Coordinates(1, 28, 28), seed: 3, index: i);
            // The window's top-left in the image's coordinates is in [−4, 0]² (a 32 window of the 36 padded image): pixel
            // (16, 16) of the window, always inside the image, holds image pixel (16 + top, 16 + left).
            var v = (int)At(out_, 0, 16, 16);
            var (top, left) = (v / 100 - 16, v % 100 - 16);
            counts[top + 4, left + 4]++;
            for (var y = 0; y < 32; y += 3)
                for (var x = 0; x < 32; x += 5)
                {
                    var (sy, sx) = (y + top, x + left);
                    Assert.Equal(sy is >= 0 and < 28 && sx is >= 0 and < 28 ? sy * 100 + sx : -1, At(out_, 0, y, x));
                }
        }
        // 25 offsets, 324 expected each: all reached, none far from uniform.
        foreach (var n in counts) Assert.InRange(n, 250, 400);
    }

    [Fact]
    public void Random_crop_refuses_an_image_too_small_for_it()
    {
        var e = Assert.Throws<DatasetException>(() => new RandomCrop(32, padding: 1).OutputShape(new ImageShape(1, 28, 28)));
        Assert.Equal("RandomCrop(32×32, padding 1) needs images of at least 30×30, got 28×28: resize them first or pad more", e.Message);
        Assert.Throws<DatasetException>(() => Run(new RandomCrop(32, padding: 1), Coordinates(1, 28, 28)));
        Assert.Equal(new ImageShape(3, 32, 32), new RandomCrop(32, padding: 2).OutputShape(new ImageShape(3, 28, 28)));
    }

    [Fact]
    public void Pad_surrounds_the_image()
    {
        var out_ = Run(new Pad(2, fill: 9), Coordinates(1, 3, 4));
        Assert.Equal(new ImageShape(1, 7, 8), out_.Shape);
        Assert.Equal(9, At(out_, 0, 0, 0));
        Assert.Equal(9, At(out_, 0, 6, 7));
        Assert.Equal(0, At(out_, 0, 2, 2));
        Assert.Equal(203, At(out_, 0, 4, 5));
    }

    [Fact]
    public void Horizontal_flip_mirrors_rows_with_its_probability()
    {
        var image = Coordinates(3, 4, 5);
        var flipped = Run(new HorizontalFlip(1), image);
        for (var c = 0; c < 3; c++)
            for (var y = 0; y < 4; y++)
                for (var x = 0; x < 5; x++)
                    Assert.Equal(c * 10000 + y * 100 + (4 - x), At(flipped, c, y, x));
        Assert.Equal(image.Pixels.ToArray(), Run(new HorizontalFlip(0), image).Pixels.ToArray());
        var flips = Enumerable.Range(0, 4000).Count(i => At(Run(new HorizontalFlip(), image, index: i), 0, 0, 0) == 4);
        Assert.InRange(flips, 1850, 2150);
        // In place (the loader's way) gives the same as into another image.
        var inPlace = Coordinates(3, 4, 5);
        var random = DataRandom.ForItem(1, 0, 0);
        new HorizontalFlip(1).Apply(inPlace, inPlace, ref random, new TransformScratch());
        Assert.Equal(flipped.Pixels.ToArray(), inPlace.Pixels.ToArray());
    }

    [Fact]
    public void Random_erasing_blanks_one_rectangle_in_every_channel_within_torchvisions_bounds()
    {
        var image = Coordinates(3, 32, 32);
        var (erased, areas, ratios) = (0, new List<double>(), new List<double>());
        for (var i = 0; i < 3000; i++)
        {
            var output = Run(new RandomErasing(0.5, value: -1), image, index: i);
            var marked = Enumerable.Range(0, 32 * 32).Where(p => output.Data[p] == -1).ToArray();
            if (marked.Length == 0)
            {
                Assert.Equal(image.Pixels.ToArray(), output.Pixels.ToArray());
                continue;
            }
            erased++;
            // One axis-aligned rectangle, the same in every channel, everything else untouched.
            var (y0, y1) = (marked.Min(p => p / 32), marked.Max(p => p / 32));
            var (x0, x1) = (marked.Min(p => p % 32), marked.Max(p => p % 32));
            var (h, w) = (y1 - y0 + 1, x1 - x0 + 1);
            Assert.Equal(h * w, marked.Length);
            Assert.True(h < 32 && w < 32);
            for (var c = 0; c < 3; c++)
                for (var y = 0; y < 32; y++)
                    for (var x = 0; x < 32; x++)
                    {
                        var inside = y >= y0 && y <= y1 && x >= x0 && x <= x1;
                        Assert.Equal(inside ? -1 : c * 10000 + y * 100 + x, At(output, c, y, x));
                    }
            areas.Add(h * w / 1024.0);
            ratios.Add((double)h / w);
        }
        Assert.InRange(erased, 1400, 1600);
        // Rounding the sides moves the area and ratio a little past the drawn bounds.
        Assert.InRange(areas.Min(), 0.01, 0.05);
        Assert.InRange(areas.Max(), 0.28, 0.40);
        Assert.InRange(ratios.Min(), 0.2, 0.45);
        Assert.InRange(ratios.Max(), 2.2, 4);
        Assert.Equal(image.Pixels.ToArray(), Run(new RandomErasing(0), image).Pixels.ToArray());
        // In place gives the same as into another image, and the same item always gets the same rectangle.
        var inPlace = Coordinates(3, 32, 32);
        var random = DataRandom.ForItem(1, 0, 7);
        new RandomErasing(1).Apply(inPlace, inPlace, ref random, new TransformScratch());
        Assert.Equal(Run(new RandomErasing(1), image, index: 7).Pixels.ToArray(), inPlace.Pixels.ToArray());
        Assert.Throws<DatasetException>(() => new RandomErasing(1.5));
        Assert.Throws<DatasetException>(() => new RandomErasing(0.5, minArea: 0.5, maxArea: 0.2));
        Assert.Throws<DatasetException>(() => new RandomErasing(0.5, minRatio: 0));
        Assert.Throws<DatasetException>(() => new RandomErasing(0.5, value: float.NaN));
    }

    [Fact]
    public void Normalize_is_per_channel_or_shared_and_checks_the_channels()
    {
        var image = Coordinates(3, 2, 2);
        var out_ = Run(new Normalize([1f, 2f, 3f], [2f, 4f, 0.5f]), image);
        Assert.Equal((10000f - 2f) / 4f, At(out_, 1, 0, 0));
        Assert.Equal((20101f - 3f) / 0.5f, At(out_, 2, 1, 1));
        Assert.Equal((101f - 1f) / 2f, At(Run(new Normalize([1f], [2f]), image), 0, 1, 1));
        var e = Assert.Throws<DatasetException>(() => new Normalize([1f, 2f], [1f, 1f]).OutputShape(new ImageShape(3, 5, 5)));
        Assert.Equal("Normalize has 2 means and standard deviations for images of 3 channels: give one value, or one per channel", e.Message);
        Assert.Throws<DatasetException>(() => new Normalize([1f], [0f]));
        Assert.Throws<DatasetException>(() => new Normalize([float.NaN], [1f]));
        Assert.Throws<DatasetException>(() => new Normalize([1f, 2f], [1f]));
    }

    [Fact]
    public void Replicate_channels_repeats_gray_and_passes_rgb()
    {
        var out_ = Run(new ReplicateChannels(3), Coordinates(1, 2, 3));
        Assert.Equal(new ImageShape(3, 2, 3), out_.Shape);
        for (var c = 0; c < 3; c++) Assert.Equal(102, At(out_, c, 1, 2));
        Assert.Equal(10102, At(Run(new ReplicateChannels(3), Coordinates(3, 2, 3)), 1, 1, 2));
        Assert.Throws<DatasetException>(() => new ReplicateChannels(3).OutputShape(new ImageShape(2, 5, 5)));
    }

    [Fact]
    public void Random_resized_crop_boxes_follow_torchvisions_rules()
    {
        var rrc = new RandomResizedCrop(24);
        for (var i = 0; i < 2000; i++)
        {
            var random = DataRandom.ForItem(5, 1, i);
            var (h, w) = i % 2 == 0 ? (120, 80) : (37, 300);
            var (top, left, bh, bw) = rrc.Box(h, w, ref random);
            Assert.InRange(top, 0, h - bh);
            Assert.InRange(left, 0, w - bw);
            Assert.InRange(bh, 1, h);
            Assert.InRange(bw, 1, w);
            var ratio = (double)bw / bh;
            var area = (double)bh * bw / (h * w);
            // Rounding the sides to pixels moves ratio and area a little off their ranges on small boxes; the
            // fallback (the whole image cut to the nearest allowed ratio) is the only other outcome.
            var fallback = top == (h - bh) / 2 && left == (w - bw) / 2 && (bh == h || bw == w);
            Assert.True(fallback || (ratio > 0.7 && ratio < 1.4 && area > 0.07 && area <= 1.0), $"{bh}×{bw} at ({top}, {left}) of {h}×{w}");
        }
        // No box of 90–100 % of the area with a ratio of 3–4 fits a square: the fallback is the centre cut to ratio 3.
        var wide = new RandomResizedCrop(24, minScale: 0.9, maxScale: 1.0, minRatio: 3, maxRatio: 4);
        var r = DataRandom.ForItem(0, 0, 0);
        Assert.Equal((33, 0, 33, 100), wide.Box(100, 100, ref r));
        var tall = new RandomResizedCrop(24, minScale: 0.9, maxScale: 1.0, minRatio: 3, maxRatio: 4);
        r = DataRandom.ForItem(0, 0, 0);
        Assert.Equal((0, 30, 10, 40), tall.Box(10, 100, ref r)); // wider than ratio 4: the height kept, the width 4 × 10
    }
}
