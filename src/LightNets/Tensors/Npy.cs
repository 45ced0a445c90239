using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LightNets.Tensors;

/// <summary>A .npy file that cannot be read as a float32 C-order tensor; the message says why.</summary>
public sealed class NpyFormatException(string message) : LightNetsException(message);

/// <summary>
/// NumPy's .npy format (versions 1.0–3.0), float32 only: a magic string, a header length, a Python-dict header with
/// 'descr', 'fortran_order' and 'shape', then the raw little-endian data. Every size read from a file is checked
/// against the file's length before anything is allocated.
/// </summary>
public static partial class Npy
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int MaxHeaderLength = 1 << 16;

    public static Tensor Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    public static Tensor Read(Stream stream, string name = "stream")
    {
        var length = stream.CanSeek ? stream.Length - stream.Position : long.MaxValue;
        Span<byte> prefix = stackalloc byte[10];
        if (!TryFill(stream, prefix[..8]) || !prefix[..6].SequenceEqual(Magic))
            throw new NpyFormatException($"{name}: not a .npy file (the file does not start with the NumPy magic string)");
        int major = prefix[6], headerLength, preamble;
        switch (major)
        {
            case 1:
                if (!TryFill(stream, prefix.Slice(8, 2))) throw Truncated(name);
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix.Slice(8, 2));
                preamble = 10;
                break;
            case 2 or 3:
                Span<byte> len = stackalloc byte[4];
                if (!TryFill(stream, len)) throw Truncated(name);
                var l = BinaryPrimitives.ReadUInt32LittleEndian(len);
                if (l > MaxHeaderLength) throw new NpyFormatException($"{name}: header length {l} is implausible (over {MaxHeaderLength} bytes)");
                headerLength = (int)l;
                preamble = 12;
                break;
            default:
                throw new NpyFormatException($"{name}: unsupported .npy format version {major}.{prefix[7]}");
        }
        if (headerLength > length - preamble) throw Truncated(name);
        var headerBytes = new byte[headerLength];
        if (!TryFill(stream, headerBytes)) throw Truncated(name);
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var descr = HeaderField(header, "descr", name).Trim('\'', '"');
        if (descr is not ("<f4" or "|f4" or "=f4"))
            throw new NpyFormatException($"{name}: expected float32 data ('<f4'), got dtype '{descr}'{DtypeHint(descr)}");
        if (HeaderField(header, "fortran_order", name) != "False")
            throw new NpyFormatException($"{name}: Fortran-order arrays are not supported; save a C-order array (np.ascontiguousarray)");
        var dims = ParseShape(HeaderField(header, "shape", name), name);

        long count = 1;
        foreach (var d in dims)
        {
            count *= d;
            if (count > Array.MaxLength) throw new NpyFormatException($"{name}: shape ({string.Join(", ", dims)}) is too large for one tensor");
        }
        var shape = new Shape(dims);
        if (count * 4 > length - preamble - headerLength)
            throw new NpyFormatException($"{name}: header promises shape {shape} ({count * 4} bytes of data) but the file holds only {length - preamble - headerLength}");
        var data = new float[count];
        if (!TryFill(stream, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()))) throw Truncated(name);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        return new Tensor(shape, data);
    }

    public static void Write(string path, Tensor tensor)
    {
        using var stream = File.Create(path);
        Write(stream, tensor);
    }

    public static void Write(Stream stream, Tensor tensor)
    {
        var dims = tensor.Shape.Rank == 1 ? $"({tensor.Shape[0]},)" : $"({string.Join(", ", tensor.Shape)})";
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {dims}, }}";
        // Pad with spaces so that the data starts on a 64-byte boundary, ending with a newline (format 1.0).
        var total = 10 + header.Length + 1;
        header += new string(' ', (64 - total % 64) % 64) + "\n";
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, checked((ushort)header.Length));
        stream.Write(len);
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
    }

    private static string HeaderField(string header, string key, string name)
    {
        var m = Regex.Match(header, $@"['""]{key}['""]\s*:\s*(\([^)]*\)|'[^']*'|""[^""]*""|True|False)");
        if (!m.Success) throw new NpyFormatException($"{name}: the header has no '{key}' entry");
        return m.Groups[1].Value;
    }

    private static int[] ParseShape(string tuple, string name)
    {
        var parts = tuple.Trim('(', ')').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new NpyFormatException($"{name}: a 0-d (scalar) array is not a tensor input");
        var dims = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i].TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]) || dims[i] < 1)
                throw new NpyFormatException($"{name}: shape {tuple} has a dimension that is not a positive integer");
        }
        return dims;
    }

    private static string DtypeHint(string descr) => descr switch
    {
        "<f8" => " (float64: use x.astype(np.float32))",
        "<f2" => " (float16)",
        _ when descr.Contains('i') || descr.Contains('u') => " (integers)",
        _ => "",
    };

    private static NpyFormatException Truncated(string name) => new($"{name}: the file is truncated");

    private static bool TryFill(Stream stream, Span<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var n = stream.Read(buffer);
            if (n == 0) return false;
            buffer = buffer[n..];
        }
        return true;
    }
}
