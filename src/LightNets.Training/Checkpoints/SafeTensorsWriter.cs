using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using LightNets.Weights.SafeTensors;

namespace LightNets.Training.Checkpoints;

/// <summary>A float32 tensor to write: its name in the file, its shape and its values.</summary>
internal readonly record struct TensorToWrite(string Name, int[] Shape, float[] Values);

/// <summary>
/// Writes a safetensors file of float32 tensors: the 8-byte header length, the JSON header (metadata first, then the
/// tensors in data order, padded with spaces so that the data starts 8-byte aligned, as the reference writer does),
/// then each tensor's values, little-endian, back to back.
/// </summary>
internal static class SafeTensorsWriter
{
    public static void Write(Stream stream, IReadOnlyList<TensorToWrite> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = Header(tensors, metadata);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var t in tensors) WriteFloats(stream, t.Values);
    }

    private static byte[] Header(IReadOnlyList<TensorToWrite> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject(SafeTensorsHeader.MetadataKey);
            foreach (var (key, value) in metadata) json.WriteString(key, value);
            json.WriteEndObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (var d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += (long)t.Values.Length * sizeof(float);
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        var padded = (buffer.WrittenCount + 8 + 7) / 8 * 8 - 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    // The file is little-endian, as is every machine .NET ships for; CheckpointFile refuses to run on any other.
    private static void WriteFloats(Stream stream, float[] values) => stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
}
