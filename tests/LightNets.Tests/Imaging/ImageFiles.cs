using SkiaSharp;

namespace LightNets.Tests.Imaging;

/// <summary>Images and broken files that the tests make themselves: encoded with SkiaSharp, EXIF added by hand, cut, corrupted.</summary>
internal static class ImageFiles
{
    /// <summary>A temporary directory removed on dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("lightnets-imaging-").FullName;
        public string File(string name) => System.IO.Path.Combine(Path, name);

        public string Write(string name, byte[] bytes)
        {
            var path = File(name);
            System.IO.File.WriteAllBytes(path, bytes);
            return path;
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    /// <summary>An unpremultiplied RGBA picture with distinct colours in 8×8 blocks, so that orientations are told apart.</summary>
    public static SKBitmap Blocks(int width, int height, byte alpha = 255)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(40 + 200 * (x / 8) / Math.Max(1, width / 8)), (byte)(40 + 200 * (y / 8) / Math.Max(1, height / 8)),
                    (byte)((x / 8 + y / 8) % 2 * 180 + 30), alpha));
        return bitmap;
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 100)
    {
        using var data = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"SkiaSharp cannot encode {format}");
        return data.ToArray();
    }

    /// <summary>
    /// <paramref name="jpeg"/> with an APP1 EXIF segment holding only the orientation tag (0x0112), right after SOI.
    /// The TIFF structure is big-endian: header, one IFD with one SHORT entry, no next IFD.
    /// </summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        if (jpeg[0] != 0xFF || jpeg[1] != 0xD8) throw new ArgumentException("not a JPEG");
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF, first IFD at offset 8
            0, 1, // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, // Orientation, SHORT, count 1, value
            0, 0, 0, 0, // no next IFD
        ];
        byte[] exif = [.. "Exif\0\0"u8, .. tiff];
        var length = exif.Length + 2;
        byte[] segment = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. exif];
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }

    /// <summary>
    /// A 54-byte BMP header (BITMAPINFOHEADER, 24 bits) declaring <paramref name="width"/> × <paramref name="height"/>
    /// and followed by only a few bytes of pixels: a tiny file that claims to be huge.
    /// </summary>
    public static byte[] BmpHeader(int width, int height)
    {
        var b = new byte[54 + 16];
        b[0] = (byte)'B';
        b[1] = (byte)'M';
        BitConverter.TryWriteBytes(b.AsSpan(2), (uint)b.Length);
        BitConverter.TryWriteBytes(b.AsSpan(10), 54u); // pixel data offset
        BitConverter.TryWriteBytes(b.AsSpan(14), 40u); // BITMAPINFOHEADER
        BitConverter.TryWriteBytes(b.AsSpan(18), width);
        BitConverter.TryWriteBytes(b.AsSpan(22), height);
        BitConverter.TryWriteBytes(b.AsSpan(26), (ushort)1); // planes
        BitConverter.TryWriteBytes(b.AsSpan(28), (ushort)24); // bits per pixel
        return b;
    }

    /// <summary>The first <paramref name="fraction"/> of the file.</summary>
    public static byte[] Truncated(byte[] file, double fraction) => file.AsSpan(0, (int)(file.Length * fraction)).ToArray();

    /// <summary>The file with <paramref name="length"/> bytes from <paramref name="start"/> (default: its middle third) overwritten by seeded random bytes.</summary>
    public static byte[] Corrupted(byte[] file, int start = -1, int length = -1, int seed = 1)
    {
        var copy = (byte[])file.Clone();
        if (start < 0) (start, length) = (copy.Length / 3, copy.Length / 3);
        new Random(seed).NextBytes(copy.AsSpan(start, length));
        return copy;
    }
}
