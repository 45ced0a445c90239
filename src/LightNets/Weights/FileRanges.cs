using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace LightNets.Weights;

/// <summary>Reads byte ranges of an open file whose bounds the caller has validated.</summary>
internal static class FileRanges
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>; a file that shrank meanwhile is an error, not a hang or a short read.</summary>
    public static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, Func<string, Exception> fail)
    {
        for (var done = 0; done < buffer.Length;)
        {
            var read = RandomAccess.Read(handle, buffer[done..], offset + done);
            if (read == 0) throw fail("it ended early (it changed while being read)");
            done += read;
        }
    }

    /// <summary>Reads <c>destination.Length</c> elements of <paramref name="type"/> stored from <paramref name="offset"/>, converting them to float32.</summary>
    public static void ReadElements(SafeFileHandle handle, long offset, ElementType type, bool bigEndian, float[] destination, Func<string, Exception> fail)
    {
        var perChunk = ChunkBytes / type.Size;
        var chunk = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkBytes, Math.Max(1L, (long)destination.Length * type.Size)));
        try
        {
            for (var start = 0; start < destination.Length; start += perChunk)
            {
                var n = Math.Min(perChunk, destination.Length - start);
                var bytes = chunk.AsSpan(0, n * type.Size);
                ReadExactly(handle, bytes, offset + (long)start * type.Size, fail);
                type.Decode(bytes, destination.AsSpan(start, n), bigEndian);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
