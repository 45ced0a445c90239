using System.Buffers;
using SkiaSharp;

namespace LightNets.Imaging;

/// <summary>
/// Decodes JPEG, PNG, WebP, BMP and GIF (first frame) with SkiaSharp into upright 8-bit RGB. Grayscale, palette and
/// CMYK images come out as RGB; alpha is dropped (not composited), as PIL's <c>convert("RGB")</c> does; no colour
/// management is applied (PIL applies none either). The dimensions in the header are checked against
/// <see cref="MaxPixels"/> before any pixel buffer is allocated. Thread-safe.
/// <para>
/// "Corrupt" means what the decoders detect: damaged headers of every format, PNG and GIF data (checksums, LZW
/// codes), truncation of every format. Damaged JPEG or WebP entropy-coded data may decode to wrong pixels without an
/// error, as it does in PIL and browsers.
/// </para>
/// </summary>
public sealed class ImageDecoder
{
    /// <summary>The default pixel limit: 50 megapixels (a 200 MB RGBA buffer).</summary>
    public const long DefaultMaxPixels = 50_000_000;

    /// <summary>A decoder with the default limit.</summary>
    public ImageDecoder() : this(DefaultMaxPixels)
    {
    }

    /// <param name="maxPixels">The largest width × height accepted; larger images are rejected from their header.</param>
    public ImageDecoder(long maxPixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixels, 1);
        // The RGBA buffer must fit in one array.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPixels, Array.MaxLength / 4);
        MaxPixels = maxPixels;
    }

    /// <summary>The largest width × height this decoder accepts.</summary>
    public long MaxPixels { get; }

    /// <summary>
    /// The largest encoded image accepted: the size of the largest image's pixels stored raw (4 bytes each), plus
    /// 16 MiB for metadata. The encoded bytes are read into memory before decoding; a pipe is read no further.
    /// </summary>
    public long MaxEncodedBytes => Math.Min(Array.MaxLength, MaxPixels * 4 + (16L << 20));

    /// <summary>
    /// Decodes the image file at <paramref name="path"/>. A pipe (a FIFO, or bash's <c>&lt;(cat img.jpg)</c>) is read
    /// to its end, at most <see cref="MaxEncodedBytes"/>; opening a FIFO waits for its writer, as any reader does.
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="ImageDecodeException">Not an image in a supported format, corrupt, truncated, over
    /// <see cref="MaxPixels"/> or <see cref="MaxEncodedBytes"/>, or a device such as /dev/zero.</exception>
    public DecodedImage Decode(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException(Directory.Exists(path) ? $"{path} is a directory, not an image file" : $"no such file: {path}", path);
        // Unbuffered: every byte goes straight into the encoded buffer.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var (bytes, length) = ReadEncoded(stream, path);
        return Decode(bytes.AsSpan(0, length), path);
    }

    /// <summary>
    /// Decodes an image from a stream, from its position to its end; <paramref name="name"/> is used in error
    /// messages. A seekable stream longer than <see cref="MaxEncodedBytes"/> is refused unread; any other is read
    /// no further than that.
    /// </summary>
    public DecodedImage Decode(Stream stream, string name = "image")
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (bytes, length) = ReadEncoded(stream, name);
        return Decode(bytes.AsSpan(0, length), name);
    }

    /// <summary>The encoded bytes of <paramref name="stream"/> (the first <c>Length</c> of the array).</summary>
    private (byte[] Bytes, int Length) ReadEncoded(Stream stream, string name)
    {
        if (!stream.CanSeek) return ReadToEnd(stream, name);
        // A stream may be positioned past its end: nothing is left to read.
        var length = Math.Max(0, stream.Length - stream.Position);
        if (length > MaxEncodedBytes) throw TooLarge(name, length);
        if (length == 0)
        {
            // Empty, unless it is a device or a /proc file: those report a size of 0 whatever they hold, and
            // /dev/zero never ends. One byte tells them apart.
            if (stream.ReadByte() < 0) throw new ImageDecodeException(name, "the file is empty");
            throw new ImageDecodeException(name, "it reports a size of 0 bytes yet yields data: a device or special file, not an image file");
        }
        var bytes = new byte[length];
        try { stream.ReadExactly(bytes); }
        catch (EndOfStreamException) { throw new ImageDecodeException(name, "the file shrank while being read"); }
        return (bytes, bytes.Length);
    }

    /// <summary>
    /// Reads a stream of unknown length (a pipe) to its end into a buffer that doubles as it fills, up to
    /// <see cref="MaxEncodedBytes"/>; one byte more is an error.
    /// </summary>
    private (byte[] Bytes, int Length) ReadToEnd(Stream stream, string name)
    {
        var limit = (int)MaxEncodedBytes;
        var buffer = new byte[Math.Min(64 << 10, limit)];
        var filled = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                if (filled == limit)
                {
                    if (stream.ReadByte() >= 0)
                        throw new ImageDecodeException(name, $"more than {limit:N0} bytes, more than an image of at most {MaxPixels:N0} pixels needs");
                    break;
                }
                Array.Resize(ref buffer, (int)Math.Min(2L * buffer.Length, limit));
            }
            var read = stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0) break;
            filled += read;
        }
        if (filled == 0) throw new ImageDecodeException(name, "the file is empty");
        return (buffer, filled);
    }

    private ImageDecodeException TooLarge(string name, long length) =>
        new(name, $"{length:N0} bytes is more than an image of at most {MaxPixels:N0} pixels needs ({MaxEncodedBytes:N0} bytes)");

    /// <summary>Decodes an image held in memory; <paramref name="name"/> is used in error messages.</summary>
    public DecodedImage Decode(ReadOnlySpan<byte> encoded, string name = "image")
    {
        if (encoded.IsEmpty) throw new ImageDecodeException(name, "the data is empty");
        if (encoded.Length > MaxEncodedBytes) throw TooLarge(name, encoded.Length);
        // Sniff the signature ourselves: Skia reports a short text file as "incomplete input", which would read as
        // "truncated"; a known signature whose header Skia rejects is a damaged image instead.
        var format = Sniff(encoded[..Math.Min(12, encoded.Length)]);
        if (format is null) throw new ImageDecodeException(name, "not a supported image: JPEG, PNG, WebP, BMP or GIF expected");

        // Skia reads a native copy (SKData), never a managed Stream: a damaged file can make a codec ask for a read
        // SkiaSharp's managed-stream callback rejects by throwing, and an exception thrown inside that native callback
        // ends the process.
        using var data = SKData.CreateCopy(encoded);
        // The stream passes to Skia: the codec owns it, or Skia frees it when no codec can be made.
        var codec = SKCodec.Create(new SKMemoryStream(data), out var result);
        if (codec is null)
        {
            throw new ImageDecodeException(name, result == SKCodecResult.IncompleteInput
                ? $"the {format} file is truncated: it ends inside the header"
                : $"the {format} header is corrupt ({result})");
        }
        using (codec)
            return Decode(codec, name);
    }

    /// <summary>The format whose signature starts <paramref name="head"/>, or null.</summary>
    private static string? Sniff(ReadOnlySpan<byte> head) => head switch
    {
        [0xFF, 0xD8, 0xFF, ..] => "JPEG",
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "PNG",
        [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => "GIF",
        [(byte)'B', (byte)'M', ..] => "BMP",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "WebP",
        _ => null,
    };

    private DecodedImage Decode(SKCodec codec, string name)
    {
        var info = codec.Info;
        var pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0)
            throw new ImageDecodeException(name, $"the header declares an empty image ({info.Width}×{info.Height})");
        if (pixels > MaxPixels)
            throw new ImageDecodeException(name,
                $"{info.Width}×{info.Height} = {pixels:N0} pixels is over the limit of {MaxPixels:N0} (raise it with --max-pixels / ImageDecoder(maxPixels))");

        // Unpremultiplied RGBA without a colour space: Skia then converts gray, palette and CMYK to RGB and leaves
        // the values as stored, with no colour management and alpha untouched (dropped later).
        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = ArrayPool<byte>.Shared.Rent(checked((int)(pixels * 4)));
        try
        {
            SKCodecResult result;
            unsafe
            {
                fixed (byte* p = rgba)
                    result = codec.GetPixels(target, (IntPtr)p, target.RowBytes, new SKCodecOptions(0));
            }
            switch (result)
            {
                case SKCodecResult.Success:
                    break;
                case SKCodecResult.IncompleteInput:
                    throw new ImageDecodeException(name, "the file is truncated: it ends before the image data does");
                case SKCodecResult.ErrorInInput or SKCodecResult.InvalidInput:
                    throw new ImageDecodeException(name, "the image data is corrupt");
                default:
                    throw new ImageDecodeException(name, $"the decoder cannot read this {codec.EncodedFormat} image ({result})");
            }
            var orientation = codec.EncodedOrigin is >= SKEncodedOrigin.TopLeft and <= SKEncodedOrigin.LeftBottom
                ? (ImageOrientation)(int)codec.EncodedOrigin
                : ImageOrientation.Normal;
            return new DecodedImage(rgba, info.Width, info.Height, orientation, codec.EncodedFormat.ToString());
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rgba);
            throw;
        }
    }
}

/// <summary>An image that cannot be decoded: not an image, an unsupported format, corrupt or truncated data, or over the pixel limit.</summary>
public sealed class ImageDecodeException(string image, string reason) : LightNetsException($"{image}: {reason}")
{
    /// <summary>The file or name of the image.</summary>
    public string Image { get; } = image;

    /// <summary>What is wrong with it, without the name.</summary>
    public string Reason { get; } = reason;
}
