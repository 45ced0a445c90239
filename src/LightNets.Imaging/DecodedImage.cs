using System.Buffers;

namespace LightNets.Imaging;

/// <summary>
/// A decoded image as 8-bit RGB, already turned upright: its EXIF orientation is applied as an index mapping over the
/// decoder's RGBA buffer instead of a rotated copy, so an image costs one buffer (rented from the shared array pool;
/// dispose to return it). Alpha is ignored, as PIL's <c>convert("RGB")</c> ignores it.
/// </summary>
public sealed class DecodedImage : IDisposable
{
    private byte[]? _rgba;

    internal DecodedImage(byte[] rgba, int storedWidth, int storedHeight, ImageOrientation orientation, string format)
    {
        _rgba = rgba;
        StoredWidth = storedWidth;
        StoredHeight = storedHeight;
        Orientation = orientation;
        Format = format;
        var swaps = orientation >= ImageOrientation.Transpose;
        Width = swaps ? storedHeight : storedWidth;
        Height = swaps ? storedWidth : storedHeight;

        // Upright pixel (x, y) is stored at (sx, sy) = (ax + bx·x + cx·y, ay + by·x + cy·y); as byte offsets:
        // Offset(x, y) = Origin + x·StepX + y·StepY, with 4 bytes per stored pixel.
        var (w1, h1) = (storedWidth - 1, storedHeight - 1);
        var (ax, bx, cx, ay, by, cy) = orientation switch
        {
            ImageOrientation.FlipHorizontal => (w1, -1, 0, 0, 0, 1),
            ImageOrientation.Rotate180 => (w1, -1, 0, h1, 0, -1),
            ImageOrientation.FlipVertical => (0, 1, 0, h1, 0, -1),
            ImageOrientation.Transpose => (0, 0, 1, 0, 1, 0),
            ImageOrientation.Rotate90 => (0, 0, 1, h1, -1, 0),
            ImageOrientation.Transverse => (w1, 0, -1, h1, -1, 0),
            ImageOrientation.Rotate270 => (w1, 0, -1, 0, 1, 0),
            _ => (0, 1, 0, 0, 0, 1),
        };
        var row = 4L * storedWidth;
        Origin = 4L * ax + row * ay;
        StepX = 4L * bx + row * by;
        StepY = 4L * cx + row * cy;
    }

    /// <summary>Upright width in pixels (after the EXIF orientation).</summary>
    public int Width { get; }

    /// <summary>Upright height in pixels (after the EXIF orientation).</summary>
    public int Height { get; }

    /// <summary>Width as stored in the file, before the orientation.</summary>
    public int StoredWidth { get; }

    /// <summary>Height as stored in the file, before the orientation.</summary>
    public int StoredHeight { get; }

    /// <summary>The EXIF orientation that was applied (<see cref="ImageOrientation.Normal"/> when the file has none).</summary>
    public ImageOrientation Orientation { get; }

    /// <summary>The container format as the decoder names it: Jpeg, Png, Webp, Bmp, Gif.</summary>
    public string Format { get; }

    internal long Origin { get; }
    internal long StepX { get; }
    internal long StepY { get; }

    /// <summary>The decoder's stored RGBA bytes (row-major, unpremultiplied, 4 per pixel).</summary>
    internal byte[] Rgba => _rgba ?? throw new ObjectDisposedException(nameof(DecodedImage));

    /// <summary>The upright pixel at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(x);
            ArgumentOutOfRangeException.ThrowIfNegative(y);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
            var o = Origin + x * StepX + y * StepY;
            var p = Rgba;
            return (p[o], p[o + 1], p[o + 2]);
        }
    }

    /// <summary>A copy of the upright pixels as interleaved RGB bytes, row by row (for tests and tools, not the hot path).</summary>
    public byte[] ToRgbArray()
    {
        var rgb = new byte[3L * Width * Height];
        var i = 0;
        for (var y = 0; y < Height; y++)
            for (var x = 0; x < Width; x++)
            {
                var (r, g, b) = this[x, y];
                rgb[i++] = r;
                rgb[i++] = g;
                rgb[i++] = b;
            }
        return rgb;
    }

    public void Dispose()
    {
        var rgba = Interlocked.Exchange(ref _rgba, null);
        if (rgba is not null) ArrayPool<byte>.Shared.Return(rgba);
    }
}

/// <summary>EXIF orientation (tag 0x0112), named by what turns the stored pixels upright.</summary>
public enum ImageOrientation
{
    /// <summary>1: stored upright.</summary>
    Normal = 1,
    /// <summary>2: mirrored left–right.</summary>
    FlipHorizontal = 2,
    /// <summary>3: upside down.</summary>
    Rotate180 = 3,
    /// <summary>4: mirrored top–bottom.</summary>
    FlipVertical = 4,
    /// <summary>5: mirrored along the main diagonal.</summary>
    Transpose = 5,
    /// <summary>6: to be rotated 90° clockwise (a phone held upright).</summary>
    Rotate90 = 6,
    /// <summary>7: mirrored along the anti-diagonal.</summary>
    Transverse = 7,
    /// <summary>8: to be rotated 90° counter-clockwise.</summary>
    Rotate270 = 8,
}
