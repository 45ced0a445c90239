namespace LightNets.Weights.PyTorch;

/// <summary>
/// The CRC-32 of zip archives (reflected polynomial 0xEDB88320). .NET's <c>ZipArchive</c> does not check an entry's
/// checksum when it is read, so without this a flipped byte in a storage would load as a silently wrong weight, and an
/// entry whose declared size was cut would load its first part.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (var i = 0u; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
