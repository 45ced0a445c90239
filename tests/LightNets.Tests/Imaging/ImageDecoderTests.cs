using LightNets.Imaging;
using SkiaSharp;

namespace LightNets.Tests.Imaging;

/// <summary>Decoding every format, orientation and colour model, and every way a file can be bad.</summary>
public sealed class ImageDecoderTests
{
    private readonly ImageDecoder _decoder = new();

    [Theory]
    [InlineData("landscape_rgb_png", "Png")]
    [InlineData("portrait_jpeg", "Jpeg")]
    [InlineData("lossy_webp", "Webp")]
    [InlineData("lossless_webp", "Webp")]
    [InlineData("odd_bmp", "Bmp")]
    [InlineData("two_frame_gif", "Gif")]
    [InlineData("cmyk_jpeg", "Jpeg")]
    public void Each_format_decodes_to_its_size(string name, string format)
    {
        var f = ImagingFixtures.Get(name);
        using var image = _decoder.Decode(f.Path);
        Assert.Equal(format, image.Format);
        Assert.Equal((f.Width, f.Height), (image.Width, image.Height));
        Assert.Equal(3 * f.Width * f.Height, image.ToRgbArray().Length);
    }

    [Fact]
    public void A_gif_decodes_its_first_frame()
    {
        // The second frame is solid blue; the first is the scene, which has red, green and white in it.
        using var image = _decoder.Decode(ImagingFixtures.Get("two_frame_gif").Path);
        var rgb = image.ToRgbArray();
        Assert.Contains(Enumerable.Range(0, rgb.Length / 3), i => rgb[3 * i] > 200 && rgb[3 * i + 2] < 100);
    }

    [Theory]
    [InlineData("gray_png")]
    [InlineData("gray_jpeg")]
    public void Grayscale_becomes_three_equal_channels(string name)
    {
        using var image = _decoder.Decode(ImagingFixtures.Get(name).Path);
        var rgb = image.ToRgbArray();
        for (var i = 0; i < rgb.Length; i += 3)
            Assert.True(rgb[i] == rgb[i + 1] && rgb[i] == rgb[i + 2], $"pixel {i / 3} is ({rgb[i]}, {rgb[i + 1]}, {rgb[i + 2]})");
        Assert.True(rgb.Distinct().Count() > 50, "a gray gradient has many levels");
    }

    [Fact]
    public void Cmyk_jpeg_becomes_colour_rgb()
    {
        using var image = _decoder.Decode(ImagingFixtures.Get("cmyk_jpeg").Path);
        Assert.Equal("CMYK", ImagingFixtures.Get("cmyk_jpeg").Mode);
        var rgb = image.ToRgbArray();
        Assert.Contains(Enumerable.Range(0, rgb.Length / 3), i => Math.Abs(rgb[3 * i] - rgb[3 * i + 1]) > 100);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(128)]
    public void Alpha_is_dropped_not_composited(byte alpha)
    {
        // PIL's convert("RGB") keeps the stored colour whatever the alpha; a composite on black or white would not.
        using var bitmap = ImageFiles.Blocks(24, 16, alpha);
        using var image = _decoder.Decode(ImageFiles.Encode(bitmap, SKEncodedImageFormat.Png), "alpha.png");
        for (var y = 0; y < 16; y++)
            for (var x = 0; x < 24; x++)
            {
                var c = bitmap.GetPixel(x, y);
                Assert.Equal((c.Red, c.Green, c.Blue), image[x, y]);
            }
    }

    [Theory]
    [InlineData(ImageOrientation.Normal)]
    [InlineData(ImageOrientation.FlipHorizontal)]
    [InlineData(ImageOrientation.Rotate180)]
    [InlineData(ImageOrientation.FlipVertical)]
    [InlineData(ImageOrientation.Transpose)]
    [InlineData(ImageOrientation.Rotate90)]
    [InlineData(ImageOrientation.Transverse)]
    [InlineData(ImageOrientation.Rotate270)]
    public void Exif_orientation_turns_the_image_upright(ImageOrientation orientation)
    {
        using var bitmap = ImageFiles.Blocks(40, 24);
        var jpeg = ImageFiles.Encode(bitmap, SKEncodedImageFormat.Jpeg, 95);
        using var stored = _decoder.Decode(jpeg, "stored.jpg");
        using var upright = _decoder.Decode(ImageFiles.WithExifOrientation(jpeg, (int)orientation), "tagged.jpg");
        Assert.Equal(orientation, upright.Orientation);
        var (w, h) = (stored.Width, stored.Height);
        var swaps = orientation >= ImageOrientation.Transpose;
        Assert.Equal(swaps ? (h, w) : (w, h), (upright.Width, upright.Height));

        // Where each upright pixel comes from, written out per orientation (EXIF 2.3, tag 0x0112).
        for (var y = 0; y < upright.Height; y++)
            for (var x = 0; x < upright.Width; x++)
            {
                var (sx, sy) = orientation switch
                {
                    ImageOrientation.FlipHorizontal => (w - 1 - x, y),
                    ImageOrientation.Rotate180 => (w - 1 - x, h - 1 - y),
                    ImageOrientation.FlipVertical => (x, h - 1 - y),
                    ImageOrientation.Transpose => (y, x),
                    ImageOrientation.Rotate90 => (y, h - 1 - x),
                    ImageOrientation.Transverse => (w - 1 - y, h - 1 - x),
                    ImageOrientation.Rotate270 => (w - 1 - y, x),
                    _ => (x, y),
                };
                Assert.Equal(stored[sx, sy], upright[x, y]);
            }
    }

    [Fact]
    public void The_exif_fixture_is_portrait_after_rotation()
    {
        using var image = _decoder.Decode(ImagingFixtures.Get("exif_rotated_jpeg").Path);
        Assert.Equal(ImageOrientation.Rotate90, image.Orientation);
        Assert.Equal((80, 48), (image.StoredWidth, image.StoredHeight));
        Assert.Equal((48, 80), (image.Width, image.Height));
    }

    [Fact]
    public void A_missing_file_is_file_not_found()
    {
        var e = Assert.Throws<FileNotFoundException>(() => _decoder.Decode("/no/such/picture.jpg"));
        Assert.Contains("no such file", e.Message);
    }

    [Fact]
    public void An_empty_file_is_rejected()
    {
        using var dir = new ImageFiles.TempDir();
        var e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(dir.Write("empty.png", [])));
        Assert.Contains("empty", e.Reason);
    }

    [Fact]
    public void A_text_file_is_not_an_image()
    {
        using var dir = new ImageFiles.TempDir();
        var path = dir.Write("notes.jpg", "these are not the pixels you are looking for\n"u8.ToArray());
        var e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(path));
        Assert.Contains("not a supported image", e.Reason);
        Assert.StartsWith(path, e.Message);
    }

    [Theory]
    [InlineData("portrait_jpeg")]
    [InlineData("landscape_rgb_png")]
    [InlineData("lossy_webp")]
    [InlineData("two_frame_gif")]
    [InlineData("odd_bmp")]
    public void A_truncated_file_is_rejected(string name)
    {
        using var dir = new ImageFiles.TempDir();
        var f = ImagingFixtures.Get(name);
        var path = dir.Write(f.File, ImageFiles.Truncated(File.ReadAllBytes(f.Path), 0.6));
        var e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(path));
        Assert.Contains("truncated", e.Reason);
    }

    /// <summary>Damaged data: PNG and GIF data are checked (CRC, LZW); JPEG and WebP are damaged in their headers, since their entropy-coded data has no check.</summary>
    [Theory]
    [InlineData("landscape_rgb_png", -1, -1, "corrupt")]
    [InlineData("gray_png", -1, -1, "corrupt")]
    [InlineData("two_frame_gif", -1, -1, "corrupt")]
    [InlineData("portrait_jpeg", 4, 100, "JPEG header is corrupt")]
    [InlineData("lossy_webp", 12, 30, "corrupt")]
    [InlineData("lossless_webp", 25, 30, "corrupt")]
    public void A_corrupt_file_is_rejected(string name, int start, int length, string expected)
    {
        using var dir = new ImageFiles.TempDir();
        var f = ImagingFixtures.Get(name);
        var path = dir.Write(f.File, ImageFiles.Corrupted(File.ReadAllBytes(f.Path), start, length));
        var e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(path));
        Assert.Contains(expected, e.Reason);
    }

    [Fact]
    public void A_short_text_file_is_not_called_truncated()
    {
        var e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode("hi\n"u8, "short.png"));
        Assert.Contains("not a supported image", e.Reason);
    }

    [Fact]
    public void An_image_over_the_pixel_limit_is_rejected()
    {
        var f = ImagingFixtures.Get("landscape_rgb_png");
        var e = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(maxPixels: 97 * 61 - 1).Decode(f.Path));
        Assert.Contains("97×61 = 5,917 pixels is over the limit of 5,916", e.Reason);
        using var ok = new ImageDecoder(maxPixels: 97 * 61).Decode(f.Path);
        Assert.Equal(97, ok.Width);
    }

    /// <summary>
    /// A BMP whose pixel-data offset (bytes 10–13) points ~4 GiB past its end, found by fuzzing: through a managed
    /// Stream, Skia's skip request made SkiaSharp's read callback throw inside native code, which ended the process.
    /// </summary>
    [Fact]
    public void A_pixel_offset_far_past_the_end_is_rejected_from_bytes_stream_and_file()
    {
        var bytes = File.ReadAllBytes(ImagingFixtures.Get("odd_bmp").Path);
        (bytes[12], bytes[13]) = (14, 0xFF);
        using var dir = new ImageFiles.TempDir();
        var path = dir.Write("far_offset.bmp", bytes);
        Assert.Throws<ImageDecodeException>(() => _decoder.Decode(bytes, "far_offset.bmp"));
        Assert.Throws<ImageDecodeException>(() => _decoder.Decode(new MemoryStream(bytes), "far_offset.bmp"));
        var e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(path));
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void More_encoded_bytes_than_the_pixel_limit_can_need_are_rejected_unread()
    {
        var small = new ImageDecoder(maxPixels: 1000);
        Assert.Equal(1000 * 4 + (16L << 20), small.MaxEncodedBytes);
        var stream = new MemoryStream(new byte[small.MaxEncodedBytes + 1]);
        var e = Assert.Throws<ImageDecodeException>(() => small.Decode(stream, "big.png"));
        Assert.Contains("is more than an image of at most 1,000 pixels needs", e.Reason);
        Assert.Equal(0, stream.Position);
    }

    [Fact]
    public void A_huge_header_in_a_tiny_file_is_rejected_before_any_allocation()
    {
        // This thread's allocations only: other tests run in parallel in the same process.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(ImageFiles.BmpHeader(40_000, 30_000), "huge.bmp"));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("40000×30000 = 1,200,000,000 pixels is over the limit", e.Reason);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated for a rejected header");
    }
}
