using System.Buffers.Binary;

namespace LightNets.Training.Data;

/// <summary>
/// The IDX header (MNIST's format): two zero bytes, the element type (0x08: unsigned byte), the number of dimensions,
/// then each dimension as a big-endian 32-bit count. Images are 0x00000803 (count, rows, columns), labels 0x00000801
/// (count).
/// </summary>
internal static class IdxFormat
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads the header and returns its dimensions, checked to be an unsigned-byte IDX file of <paramref name="dims"/> dimensions.</summary>
    public static int[] ReadHeader(DataFile file, int dims)
    {
        var expected = dims == 3 ? "IDX images (magic 0x00000803)" : "IDX labels (magic 0x00000801)";
        Span<byte> head = stackalloc byte[4];
        file.ReadExactly(head, "the IDX header");
        var magic = BinaryPrimitives.ReadInt32BigEndian(head);
        if (head[0] != 0 || head[1] != 0 || ElementType(head[2]) is null)
            throw new DatasetFormatException(file.Path, $"not an IDX file: it starts with 0x{magic:X8}, expected {expected}");
        if (head[2] != 0x08)
            throw new DatasetFormatException(file.Path,
                $"the IDX file holds {ElementType(head[2])} values (type 0x{head[2]:X2}); only unsigned bytes (type 0x08, as MNIST and Fashion-MNIST use) are supported");
        if (head[3] != dims)
        {
            var swapped = (head[3], dims) switch
            {
                (3, 1) => ": this is an IDX images file; are the images and labels files swapped?",
                (1, 3) => ": this is an IDX labels file; are the images and labels files swapped?",
                _ => "",
            };
            throw new DatasetFormatException(file.Path, $"the IDX file has {head[3]} dimensions (magic 0x{magic:X8}), expected {expected}{swapped}");
        }
        Span<byte> sizes = stackalloc byte[4 * dims];
        file.ReadExactly(sizes, "the IDX header");
        var result = new int[dims];
        for (var d = 0; d < dims; d++)
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(sizes[(4 * d)..]);
            if (size > int.MaxValue)
                throw new DatasetFormatException(file.Path, $"the IDX header declares dimension {d} as {size:N0}, an absurd size: the file is damaged");
            result[d] = (int)size;
        }
        return result;
    }

    private static string? ElementType(byte code) => code switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => null,
    };
}
