using LightNets.Imaging;

namespace LightNets.Training.Data;

/// <summary>
/// One image as a data set hands it over: 8-bit pixels in planar CHW order (channel by channel, row by row), or a
/// decoded image file (whose planar pixels are made only when a transform asks for them, because torchvision's
/// evaluation preprocessing reads the decoded image directly). A loader worker keeps one item and reuses its buffer
/// for every image it reads. Not thread-safe.
/// </summary>
public sealed class ImageItem : IDisposable
{
    private byte[] _pixels = [];
    private bool _planar;

    /// <summary>Channels: 1 (grayscale) or 3 (RGB).</summary>
    public int Channels { get; private set; }

    public int Height { get; private set; }

    public int Width { get; private set; }

    public ImageShape Shape => new(Channels, Height, Width);

    /// <summary>The decoded image file the item came from, or null for an in-memory item. The item owns and disposes it.</summary>
    public DecodedImage? Decoded { get; private set; }

    /// <summary>The pixels, planar CHW (Channels × Height × Width bytes); made from <see cref="Decoded"/> when first asked.</summary>
    public ReadOnlySpan<byte> Pixels
    {
        get
        {
            if (!_planar && Decoded is not null) Unpack(Decoded);
            return _pixels.AsSpan(0, Channels * Height * Width);
        }
    }

    /// <summary>
    /// Sizes the item for <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/> pixels and
    /// returns them to be filled in planar CHW order. The buffer grows only when a larger image comes.
    /// </summary>
    public Span<byte> Allocate(int channels, int height, int width)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "an item has 1 or 3 channels");
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var length = checked(channels * height * width);
        Release();
        if (_pixels.Length < length) _pixels = new byte[length];
        (Channels, Height, Width, _planar) = (channels, height, width, true);
        return _pixels.AsSpan(0, length);
    }

    /// <summary>Makes the item a decoded image file (RGB, upright); the item disposes it when it is replaced.</summary>
    public void SetDecoded(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        Release();
        Decoded = image;
        (Channels, Height, Width, _planar) = (3, image.Height, image.Width, false);
    }

    private void Unpack(DecodedImage image)
    {
        var plane = image.Height * image.Width;
        if (_pixels.Length < 3 * plane) _pixels = new byte[3 * plane];
        var p = _pixels;
        var i = 0;
        for (var y = 0; y < image.Height; y++)
            for (var x = 0; x < image.Width; x++, i++)
            {
                var (r, g, b) = image[x, y];
                p[i] = r;
                p[plane + i] = g;
                p[2 * plane + i] = b;
            }
        _planar = true;
    }

    private void Release()
    {
        Decoded?.Dispose();
        Decoded = null;
    }

    public void Dispose() => Release();
}
