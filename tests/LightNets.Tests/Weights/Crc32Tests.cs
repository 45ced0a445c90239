using System.IO.Compression;
using System.Text;
using LightNets.Weights.PyTorch;

namespace LightNets.Tests.Weights;

/// <summary>The zip CRC-32 that checks every entry of a PyTorch archive, against its standard check value and .NET's zip writer.</summary>
public sealed class Crc32Tests
{
    [Fact]
    public void The_check_value_of_123456789_is_CBF43926()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32.Compute([]));
    }

    [Fact]
    public void It_agrees_with_the_checksums_the_zip_writer_stores_at_every_length_around_the_eight_byte_step()
    {
        var rng = new Random(3);
        var lengths = Enumerable.Range(0, 40).Append(1000).Append(65537).ToArray();
        using var memory = new MemoryStream();
        var data = new Dictionary<string, byte[]>();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var length in lengths)
            {
                var bytes = new byte[length];
                rng.NextBytes(bytes);
                data[$"e{length}"] = bytes;
                using var stream = zip.CreateEntry($"e{length}", CompressionLevel.NoCompression).Open();
                stream.Write(bytes);
            }
        }
        memory.Position = 0;
        using var read = new ZipArchive(memory, ZipArchiveMode.Read);
        foreach (var entry in read.Entries) Assert.Equal(entry.Crc32, Crc32.Compute(data[entry.FullName]));
    }
}
