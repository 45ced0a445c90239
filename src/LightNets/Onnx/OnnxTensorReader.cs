using System.Buffers.Binary;
using System.Globalization;
using Onnx;

namespace LightNets.Onnx;

/// <summary>
/// Turns <see cref="TensorProto"/>s (initializers, Constant attributes) into <see cref="ConstTensor"/>s. Every size
/// is checked before anything is allocated: the declared dims must multiply (without overflow) to exactly the number
/// of elements present, whether the data is inline (raw_data or a typed field) or in an external file, whose real
/// path must stay inside the model's real directory and whose offset and length must lie inside that file.
/// </summary>
internal sealed class OnnxTensorReader(string source, string? baseDirectory)
{
    private const int Float = 1, Uint8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, Bool = 9, Double = 11;

    private ExternalDataFile? _directory;

    private static readonly Dictionary<int, string> TypeNames = new()
    {
        [0] = "UNDEFINED", [1] = "FLOAT", [2] = "UINT8", [3] = "INT8", [4] = "UINT16", [5] = "INT16", [6] = "INT32",
        [7] = "INT64", [8] = "STRING", [9] = "BOOL", [10] = "FLOAT16", [11] = "DOUBLE", [12] = "UINT32",
        [13] = "UINT64", [14] = "COMPLEX64", [15] = "COMPLEX128", [16] = "BFLOAT16", [17] = "FLOAT8E4M3FN",
        [18] = "FLOAT8E4M3FNUZ", [19] = "FLOAT8E5M2", [20] = "FLOAT8E5M2FNUZ", [21] = "UINT4", [22] = "INT4", [23] = "FLOAT4E2M1",
    };

    public static string TypeName(int dataType) =>
        TypeNames.TryGetValue(dataType, out var n) ? $"{n} ({dataType})" : $"type {dataType}";

    /// <summary>
    /// Numeric element types a model may legitimately hold that LightNets does not read: 16-bit integers and floats,
    /// 8- and 4-bit floats, 4-bit integers (a QDQ model's int16, float8 or int4 quantization, a float16 export). A
    /// constant of such a type stays unread (<see cref="UnreadableConst"/>), so that the op using it names itself and
    /// the type in its error; other types (strings, complex numbers, unknown codes) are format errors on reading.
    /// </summary>
    public static bool IsUnreadableNumeric(int dataType) => dataType is 4 or 5 or 10 or 12 or 13 or (>= 16 and <= 23);

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
            // INT32, INT8, UINT8 and BOOL all travel in int32_data (unchecked against the type's range here).
            _ => ConstTensor.Int(dims, Typed(t.Int32Data, n, what, "int32_data").Select(v => (long)v).ToArray(), t.DataType),
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
                return ConstTensor.Int(dims, l, Int64);
            }
            case Int32:
            {
                var l = new long[n];
                for (var i = 0; i < n; i++) l[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]);
                return ConstTensor.Int(dims, l, Int32);
            }
            case Int8:
            {
                var l = new long[n];
                for (var i = 0; i < n; i++) l[i] = (sbyte)raw[i];
                return ConstTensor.Int(dims, l, Int8);
            }
            default: // UINT8, BOOL
            {
                var l = new long[n];
                for (var i = 0; i < n; i++) l[i] = raw[i];
                return ConstTensor.Int(dims, l, dataType);
            }
        }
    }

    /// <summary>
    /// The bytes of an external tensor: "offset" and "length" checked against what the dims promise, then read by
    /// <see cref="ExternalDataFile"/>, which keeps "location" inside the model's real directory and bounds the read
    /// by the file. Every external tensor, whichever engine later runs the graph, is read here.
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
        if (location.Contains('\0'))
            throw Fail($"{what} refers to external file '{location.Replace("\0", "\\0")}', a name with a NUL character");
        if (Path.IsPathRooted(location))
            throw Fail($"{what} refers to external file '{location}', an absolute path; external data must be relative to the model's directory");
        if (length is { } declared && declared != expectedBytes)
            throw Fail($"{what} declares {expectedBytes} bytes by its dims but its external data length is {declared}");

        // The directory is resolved once per model, when its first external tensor is read.
        if (_directory is null)
        {
            _directory = ExternalDataFile.InDirectory(baseDirectory, out var problem)
                ?? throw Fail($"{what} refers to external file '{location}', but the model's directory '{baseDirectory}' {problem}");
        }
        return _directory.Read(location, offset, expectedBytes, clause => Fail($"{what} {clause}"));
    }

    private long ParseNonNegative(string text, string key, string what) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw Fail($"{what} has external data {key} '{text}', which is not a non-negative integer");

    private OnnxFormatException Fail(string message) => new($"{source}: {message}");
}
