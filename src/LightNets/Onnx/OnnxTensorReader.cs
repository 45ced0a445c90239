using System.Buffers.Binary;
using System.Globalization;
using Onnx;

namespace LightNets.Onnx;

/// <summary>
/// Turns <see cref="TensorProto"/>s (initializers, Constant attributes) into <see cref="ConstTensor"/>s. Every size
/// is checked before anything is allocated: the declared dims must multiply (without overflow) to exactly the number
/// of elements present, whether the data is inline (raw_data or a typed field) or in an external file, whose path
/// must stay inside the model's directory and whose offset and length must lie inside that file.
/// </summary>
internal sealed class OnnxTensorReader(string source, string? baseDirectory)
{
    private const int Float = 1, Uint8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, Bool = 9, Double = 11;

    private static readonly Dictionary<int, string> TypeNames = new()
    {
        [0] = "UNDEFINED", [1] = "FLOAT", [2] = "UINT8", [3] = "INT8", [4] = "UINT16", [5] = "INT16", [6] = "INT32",
        [7] = "INT64", [8] = "STRING", [9] = "BOOL", [10] = "FLOAT16", [11] = "DOUBLE", [12] = "UINT32",
        [13] = "UINT64", [14] = "COMPLEX64", [15] = "COMPLEX128", [16] = "BFLOAT16",
    };

    public static string TypeName(int dataType) =>
        TypeNames.TryGetValue(dataType, out var n) ? $"{n} ({dataType})" : $"type {dataType}";

    /// <summary>Reads <paramref name="t"/>; <paramref name="what"/> names it in errors ("initializer 'fc.weight'").</summary>
    public ConstTensor Read(TensorProto t, string what)
    {
        var dims = t.Dims.ToArray();
        var count = ConstTensor.ElementCount(dims);
        if (count is null)
            throw Fail($"{what} has dims [{string.Join(", ", dims)}], which are negative or whose product overflows");
        if (count > int.MaxValue)
            throw Fail($"{what} has dims [{string.Join(", ", dims)}] = {count} elements, more than a single array can hold");
        var n = (int)count.Value;
        var size = ElementSize(t.DataType, what);
        var bytes = (long)n * size;

        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            return Decode(t.DataType, dims, ReadExternal(t, what, bytes), n);
        if (!t.RawData.IsEmpty || n == 0)
        {
            if (t.RawData.Length != bytes)
                throw Fail($"{what} declares dims [{string.Join(", ", dims)}] = {n} elements ({bytes} bytes) but its raw_data holds {t.RawData.Length} bytes");
            return Decode(t.DataType, dims, t.RawData.Span, n);
        }
        return t.DataType switch
        {
            Float => ConstTensor.Float(dims, Typed(t.FloatData, n, what, "float_data")),
            Double => ConstTensor.Float(dims, Typed(t.DoubleData, n, what, "double_data").Select(d => (float)d).ToArray()),
            Int64 => ConstTensor.Int(dims, Typed(t.Int64Data, n, what, "int64_data")),
            // INT32, INT8, UINT8 and BOOL all travel in int32_data.
            _ => ConstTensor.Int(dims, Typed(t.Int32Data, n, what, "int32_data").Select(v => (long)v).ToArray()),
        };
    }

    private T[] Typed<T>(IReadOnlyCollection<T> field, int n, string what, string fieldName)
    {
        if (field.Count != n)
            throw Fail($"{what} declares {n} elements but its {fieldName} holds {field.Count}");
        return field.ToArray();
    }

    private int ElementSize(int dataType, string what) => dataType switch
    {
        Float or Int32 => 4,
        Int64 or Double => 8,
        Bool or Int8 or Uint8 => 1,
        _ => throw Fail($"{what} has data type {TypeName(dataType)}; LightNets reads FLOAT, DOUBLE, INT64, INT32, INT8, UINT8 and BOOL tensors"),
    };

    /// <summary>Little-endian raw bytes (ONNX's layout) to elements.</summary>
    private static ConstTensor Decode(int dataType, long[] dims, ReadOnlySpan<byte> raw, int n)
    {
        switch (dataType)
        {
            case Float:
            {
                var f = new float[n];
                for (var i = 0; i < n; i++) f[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                return ConstTensor.Float(dims, f);
            }
            case Double:
            {
                var f = new float[n];
                for (var i = 0; i < n; i++) f[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                return ConstTensor.Float(dims, f);
            }
            case Int64:
            {
                var l = new long[n];
                for (var i = 0; i < n; i++) l[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]);
                return ConstTensor.Int(dims, l);
            }
            case Int32:
            {
                var l = new long[n];
                for (var i = 0; i < n; i++) l[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]);
                return ConstTensor.Int(dims, l);
            }
            case Int8:
            {
                var l = new long[n];
                for (var i = 0; i < n; i++) l[i] = (sbyte)raw[i];
                return ConstTensor.Int(dims, l);
            }
            default: // UINT8, BOOL
            {
                var l = new long[n];
                for (var i = 0; i < n; i++) l[i] = raw[i];
                return ConstTensor.Int(dims, l);
            }
        }
    }

    /// <summary>
    /// The bytes of an external tensor: "location" relative to the model's directory (no absolute path, no escape
    /// through "..", no symbolic link leading out), "offset" and "length" inside the file, and the length equal to
    /// what the dims promise. Only then is a buffer of that (file-bounded) size allocated.
    /// </summary>
    private byte[] ReadExternal(TensorProto t, string what, long expectedBytes)
    {
        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var entry in t.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = ParseNonNegative(entry.Value, "offset", what); break;
                case "length": length = ParseNonNegative(entry.Value, "length", what); break;
            }
        }
        if (string.IsNullOrEmpty(location))
            throw Fail($"{what} is stored as external data but names no location");
        if (baseDirectory is null)
            throw Fail($"{what} is stored in external file '{location}', but no base directory was given to resolve it (import from a file path or pass the model's directory)");
        if (Path.IsPathRooted(location) || location.Contains('\0'))
            throw Fail($"{what} refers to external file '{location}', an absolute path; external data must be relative to the model's directory");

        var root = Path.GetFullPath(baseDirectory);
        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(Path.Combine(root, location));
        if (!full.StartsWith(rootWithSeparator, StringComparison.Ordinal))
            throw Fail($"{what} refers to external file '{location}', which lies outside the model's directory '{root}'");
        var file = new FileInfo(full);
        if (!file.Exists)
            throw Fail($"{what} refers to external file '{location}', which does not exist in '{root}'");
        if (file.ResolveLinkTarget(returnFinalTarget: true) is { } target
            && !Path.GetFullPath(target.FullName).StartsWith(rootWithSeparator, StringComparison.Ordinal))
            throw Fail($"{what} refers to external file '{location}', a link to '{target.FullName}' outside the model's directory");

        var fileLength = file.Length;
        if (length is { } declared && declared != expectedBytes)
            throw Fail($"{what} declares {expectedBytes} bytes by its dims but its external data length is {declared}");
        if (offset > fileLength || expectedBytes > fileLength - offset)
            throw Fail($"{what} needs bytes [{offset}, {offset + expectedBytes}) of '{location}', past the end of that {fileLength}-byte file");

        var buffer = new byte[expectedBytes];
        using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read);
        var done = 0;
        while (done < buffer.Length)
        {
            var read = RandomAccess.Read(handle, buffer.AsSpan(done), offset + done);
            if (read == 0)
                throw Fail($"{what}: external file '{location}' ended early (it changed while being read)");
            done += read;
        }
        return buffer;
    }

    private long ParseNonNegative(string text, string key, string what) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw Fail($"{what} has external data {key} '{text}', which is not a non-negative integer");

    private OnnxFormatException Fail(string message) => new($"{source}: {message}");

    /// <summary>A reader for tensors that can only be inline (no directory to resolve files against).</summary>
    public static ConstTensor ReadInline(TensorProto t, string source, string what) => new OnnxTensorReader(source, null).Read(t, what);
}
