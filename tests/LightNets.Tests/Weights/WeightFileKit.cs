using System.Buffers.Binary;
using System.Text;

namespace LightNets.Tests.Weights;

/// <summary>A temporary directory for the weight-file tests, and hand-built safetensors files.</summary>
internal sealed class TempFiles : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("lightnets-weights-").FullName;

    public string Write(byte[] bytes, string name)
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

/// <summary>safetensors files written byte by byte, so that every field can be wrong.</summary>
internal static class SafeTensorsBytes
{
    /// <summary>8-byte length (or <paramref name="declaredLength"/>), the header text, then <paramref name="data"/>.</summary>
    public static byte[] File(string header, byte[] data, ulong? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    /// <summary>One tensor's header entry.</summary>
    public static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    /// <summary>
    /// A file with one tensor of each converted dtype and metadata: "w" F32 [2,3] = 0.5·i − 1, "h" F16 [2] = 1.5, −2,
    /// "b" BF16 [2] = 1, −3.5, "d" F64 [1] = 0.1, "n" I64 [] = 7.
    /// </summary>
    public static byte[] Mixed()
    {
        var data = new List<byte>();
        foreach (var i in Enumerable.Range(0, 6)) data.AddRange(BitConverter.GetBytes(0.5f * i - 1));
        data.AddRange(BitConverter.GetBytes((Half)1.5f));
        data.AddRange(BitConverter.GetBytes((Half)(-2f)));
        foreach (var f in new[] { 1f, -3.5f }) data.AddRange(BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(f) >> 16)));
        data.AddRange(BitConverter.GetBytes(0.1));
        data.AddRange(BitConverter.GetBytes(7L));
        var header = "{\"__metadata__\":{\"format\":\"pt\",\"arch\":\"mobilenetv3_large_100\"}," +
                     string.Join(",", Entry("w", "F32", "[2,3]", 0, 24), Entry("h", "F16", "[2]", 24, 28), Entry("b", "BF16", "[2]", 28, 32),
                         Entry("d", "F64", "[1]", 32, 40), Entry("n", "I64", "[]", 40, 48)) + "}";
        return File(header, [.. data]);
    }
}
