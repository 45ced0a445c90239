using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Win32.SafeHandles;

namespace LightNets.Weights.SafeTensors;

/// <summary>One tensor of a safetensors file: its dtype, shape and byte range within the data section.</summary>
internal sealed record SafeTensorsEntry(string Name, string Dtype, long[] Shape, long Begin, long End);

/// <summary>
/// The header of a safetensors file (https://github.com/huggingface/safetensors): an 8-byte little-endian header
/// length N, N bytes of JSON (one object per tensor with "dtype", "shape" and "data_offsets" [begin, end) relative to
/// the data section, plus an optional "__metadata__" map of strings), then the data section. The file is untrusted, so
/// the header is validated whole before any tensor is read: N at most <see cref="MaxHeaderBytes"/> and within the
/// file, JSON nesting bounded, every shape and range checked against the data section's real size with products that
/// cannot overflow, and the ranges tiling the data section exactly (no overlap, no gap, nothing after the last tensor),
/// as the reference implementation requires. A tensor's allocation is therefore bounded by the file's size. Shared by
/// <see cref="SafeTensorsReader"/> (any safetensors weight file) and the training checkpoints (LightNets.Training).
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>The safetensors library's own limit on the header.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    /// <summary>
    /// The most dimensions a tensor may have: far above any tensor of these networks (4), and it keeps a long shape array
    /// in a hostile header from costing eight bytes of memory per two bytes of file.
    /// </summary>
    public const int MaxRank = 16;

    private static readonly Dictionary<string, int> DtypeBytes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    private SafeTensorsHeader(List<SafeTensorsEntry> entries, Dictionary<string, string> metadata, long dataStart, long dataLength)
    {
        Entries = entries;
        Metadata = metadata;
        DataStart = dataStart;
        DataLength = dataLength;
    }

    /// <summary>The tensors in file order (by offset).</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public long DataStart { get; }
    public long DataLength { get; }

    /// <summary>Reads and validates the header of the <paramref name="length"/>-byte file behind <paramref name="handle"/>.</summary>
    public static SafeTensorsHeader Read(SafeFileHandle handle, long length, Func<string, Exception> fail)
    {
        if (length < 8) throw fail($"it is {length} bytes long, shorter than the 8-byte header length a safetensors file starts with (truncated?)");
        Span<byte> prefix = stackalloc byte[8];
        FileRanges.ReadExactly(handle, prefix, 0, fail);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength == 0) throw fail("its header length is 0; a safetensors header is a JSON object");
        if (headerLength > MaxHeaderBytes)
            throw fail($"its header length is {headerLength} bytes, over the {MaxHeaderBytes / 1_000_000} MB a safetensors header may have (a damaged file, or not safetensors)");
        if ((long)headerLength > length - 8)
            throw fail($"its header length is {headerLength} bytes, past the end of the {length}-byte file (truncated?)");

        var json = new byte[headerLength];
        FileRanges.ReadExactly(handle, json, 8, fail);
        if (json[0] != (byte)'{') throw fail("its header does not start with '{'; a safetensors header is a JSON object");
        if (!Utf8.IsValid(json)) throw fail("its header is not valid UTF-8 text");
        var dataStart = 8 + (long)headerLength;
        var dataLength = length - dataStart;

        JsonDocument doc;
        try
        {
            // Depth 3 is all a header needs (object, tensor entry, shape); a deeper one is refused before it is built.
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 3 });
        }
        catch (JsonException e)
        {
            throw fail($"its header is not valid JSON ({Where(e)}), or nests deeper than a safetensors header does");
        }
        using (doc)
        {
            try
            {
                return Interpret(doc, dataStart, dataLength, fail);
            }
            catch (InvalidOperationException)
            {
                // What JsonDocument refuses only when a string is read: an escaped lone surrogate such as "\ud800".
                throw fail("its header holds a string that is not valid Unicode (a lone surrogate escape)");
            }
        }
    }

    private static SafeTensorsHeader Interpret(JsonDocument doc, long dataStart, long dataLength, Func<string, Exception> fail)
    {
        var entries = new List<SafeTensorsEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (!names.Add(property.Name)) throw fail($"its header names '{property.Name}' twice");
            if (property.Name == MetadataKey) ReadMetadata(property.Value, metadata, fail);
            else entries.Add(ReadEntry(property.Name, property.Value, dataLength, fail));
        }
        CheckTiling(entries, dataLength, fail);
        return new SafeTensorsHeader(entries, metadata, dataStart, dataLength);
    }

    /// <summary>Bytes per element of a dtype the format defines.</summary>
    public static int BytesOf(string dtype) => DtypeBytes[dtype];

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, Func<string, Exception> fail)
    {
        if (value.ValueKind != JsonValueKind.Object) throw fail($"its header's {MetadataKey} is a JSON {Kind(value)}, not an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String) throw fail($"its metadata '{item.Name}' is a JSON {Kind(item.Value)}; safetensors metadata values are strings");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!)) throw fail($"its metadata names '{item.Name}' twice");
        }
    }

    private static SafeTensorsEntry ReadEntry(string name, JsonElement value, long dataLength, Func<string, Exception> fail)
    {
        var tensor = $"tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object) throw fail($"{tensor} is a JSON {Kind(value)} in the header, not an object with dtype, shape and data_offsets");
        string? dtype = null;
        long[]? shape = null, offsets = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtype is null:
                    if (field.Value.ValueKind != JsonValueKind.String || !DtypeBytes.ContainsKey(field.Value.GetString()!))
                        throw fail($"{tensor} has dtype {field.Value.GetRawText()}, which is not a safetensors dtype ({string.Join(", ", DtypeBytes.Keys)})");
                    dtype = field.Value.GetString()!;
                    break;
                case "shape" when shape is null:
                    if (field.Value.ValueKind == JsonValueKind.Array && field.Value.GetArrayLength() > MaxRank)
                        throw fail($"{tensor}'s shape has {field.Value.GetArrayLength()} dimensions, more than the {MaxRank} a checkpoint tensor may have");
                    shape = Integers(field.Value, -1, $"{tensor}'s shape", fail);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = Integers(field.Value, 2, $"{tensor}'s data_offsets", fail);
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw fail($"{tensor} gives its {field.Name} twice");
                default:
                    throw fail($"{tensor} has a field '{field.Name}' that safetensors does not define (only dtype, shape, data_offsets)");
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw fail($"{tensor} lacks its {(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}");

        var (begin, end) = (offsets[0], offsets[1]);
        if (end < begin) throw fail($"{tensor}'s data_offsets [{begin}, {end}] end before they begin");
        if (end > dataLength) throw fail($"{tensor}'s data_offsets [{begin}, {end}] run past the end of the file's {dataLength}-byte data section (truncated?)");
        // The product is checked against the range's size at every factor, so it never exceeds the file and never
        // overflows; a dimension of 0 makes an empty tensor, which safetensors allows.
        long bytes = shape.Contains(0) ? 0 : BytesOf(dtype);
        foreach (var d in shape)
        {
            if (bytes != 0 && bytes > (end - begin) / d)
                throw fail($"{tensor}'s shape [{string.Join(", ", shape)}] needs more than the {end - begin} bytes of its data_offsets [{begin}, {end}]");
            bytes *= d;
        }
        if (bytes != end - begin)
            throw fail($"{tensor}'s shape [{string.Join(", ", shape)}] of {dtype} needs {bytes} bytes, but its data_offsets [{begin}, {end}] hold {end - begin}");
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    /// <summary>A JSON array of whole numbers ≥ 0 (of <paramref name="count"/> of them, unless −1).</summary>
    private static long[] Integers(JsonElement value, int count, string what, Func<string, Exception> fail)
    {
        if (value.ValueKind != JsonValueKind.Array || (count >= 0 && value.GetArrayLength() != count))
            throw fail($"{what} is {Clip(value.GetRawText())}, not {(count >= 0 ? $"an array of {count}" : "an array of")} whole numbers ≥ 0");
        var result = new long[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var n) || n < 0)
                throw fail($"{what} holds {Clip(item.GetRawText())}, which is not a whole number from 0 to {long.MaxValue}");
            result[i++] = n;
        }
        return result;
    }

    private static void CheckTiling(List<SafeTensorsEntry> entries, long dataLength, Func<string, Exception> fail)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        SafeTensorsEntry? previous = null;
        foreach (var e in entries)
        {
            if (e.Begin < covered)
                throw fail($"tensor '{e.Name}' (bytes [{e.Begin}, {e.End})) overlaps tensor '{previous!.Name}' (bytes [{previous.Begin}, {previous.End}))");
            if (e.Begin > covered)
                throw fail($"bytes [{covered}, {e.Begin}) of its data section belong to no tensor (a gap before tensor '{e.Name}')");
            covered = e.End;
            previous = e;
        }
        if (covered < dataLength)
            throw fail($"{dataLength - covered} bytes follow the last tensor's data (trailing garbage, or a header that lost tensors)");
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    private static string Where(JsonException e) => e.BytePositionInLine is { } b ? $"at line {e.LineNumber + 1}, byte {b + 1}" : "unreadable";

    private static string Clip(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
