using System.Buffers.Binary;
using System.IO.Compression;

namespace LightNets.Tests.Training.Data;

/// <summary>Small IDX and CIFAR-10 files the data-set tests write themselves, well-formed or broken on purpose.</summary>
internal static class DataFiles
{
    /// <summary>An IDX header: two zero bytes, the type, the dimension count, then big-endian sizes.</summary>
    public static byte[] IdxHeader(byte type, params uint[] dims)
    {
        var head = new byte[4 + 4 * dims.Length];
        head[2] = type;
        head[3] = (byte)dims.Length;
        for (var d = 0; d < dims.Length; d++) BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(4 + 4 * d), dims[d]);
        return head;
    }

    /// <summary>Pixels of item i at (y, x): a pattern that tells items and positions apart.</summary>
    public static byte Pixel(int item, int y, int x) => (byte)(item * 37 + y * 11 + x * 3);

    public static byte[] IdxImages(int count, int rows, int cols)
    {
        var payload = new byte[count * rows * cols];
        for (var i = 0; i < count; i++)
            for (var y = 0; y < rows; y++)
                for (var x = 0; x < cols; x++)
                    payload[(i * rows + y) * cols + x] = Pixel(i, y, x);
        return [.. IdxHeader(8, (uint)count, (uint)rows, (uint)cols), .. payload];
    }

    public static byte[] IdxLabels(params byte[] labels) => [.. IdxHeader(8, (uint)labels.Length), .. labels];

    /// <summary>CIFAR-10 records: label byte, then R, G, B planes of 32×32; pixel (c, y, x) of record i = Pixel(i + c, y, x).</summary>
    public static byte[] CifarRecords(params byte[] labels)
    {
        var bytes = new byte[labels.Length * 3073];
        for (var i = 0; i < labels.Length; i++)
        {
            bytes[i * 3073] = labels[i];
            for (var c = 0; c < 3; c++)
                for (var y = 0; y < 32; y++)
                    for (var x = 0; x < 32; x++)
                        bytes[i * 3073 + 1 + (c * 32 + y) * 32 + x] = Pixel(i + c, y, x);
        }
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(data);
        return output.ToArray();
    }

    /// <summary>gzip of <paramref name="head"/> followed by <paramref name="zeros"/> zero bytes, streamed (a bomb's shape).</summary>
    public static byte[] GzipWithZeros(byte[] head, long zeros)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest))
        {
            gz.Write(head);
            var block = new byte[1 << 20];
            for (var left = zeros; left > 0; left -= block.Length) gz.Write(block, 0, (int)Math.Min(left, block.Length));
        }
        return output.ToArray();
    }
}
