using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LightNets.Weights;

/// <summary>
/// A dtype a weight file may store, named as PyTorch names it, with its size and how one element becomes a float32.
/// The byte order is a parameter, not the machine's: a PyTorch file records its own ("byteorder"), safetensors is
/// always little-endian.
/// </summary>
internal sealed class ElementType
{
    private enum Kind { Float32, Float16, BFloat16, Float64, Int64, Int32, Int16, Int8, UInt8, Bool }

    private readonly Kind _kind;

    private ElementType(string name, Kind kind, int size, bool isInteger)
    {
        Name = name;
        _kind = kind;
        Size = size;
        IsInteger = isInteger;
    }

    public static readonly ElementType Float32 = new("float32", Kind.Float32, 4, false);
    public static readonly ElementType Float16 = new("float16", Kind.Float16, 2, false);
    public static readonly ElementType BFloat16 = new("bfloat16", Kind.BFloat16, 2, false);
    public static readonly ElementType Float64 = new("float64", Kind.Float64, 8, false);
    public static readonly ElementType Int64 = new("int64", Kind.Int64, 8, true);
    public static readonly ElementType Int32 = new("int32", Kind.Int32, 4, true);
    public static readonly ElementType Int16 = new("int16", Kind.Int16, 2, true);
    public static readonly ElementType Int8 = new("int8", Kind.Int8, 1, true);
    public static readonly ElementType UInt8 = new("uint8", Kind.UInt8, 1, true);
    public static readonly ElementType Bool = new("bool", Kind.Bool, 1, true);

    /// <summary>PyTorch's name for the dtype (<c>float32</c>, <c>bfloat16</c>, <c>int64</c>, ...).</summary>
    public string Name { get; }

    /// <summary>Bytes per element.</summary>
    public int Size { get; }

    /// <summary>An integer or bool type: a counter or a mask, not a weight.</summary>
    public bool IsInteger { get; }

    /// <summary>
    /// Converts <c>destination.Length</c> elements stored back to back in <paramref name="source"/> (which holds at
    /// least that many × <see cref="Size"/> bytes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Decode(ReadOnlySpan<byte> source, Span<float> destination, bool bigEndian)
    {
        if (_kind == Kind.Float32 && bigEndian == !BitConverter.IsLittleEndian)
        {
            // The file's order is the machine's: a plain copy.
            MemoryMarshal.Cast<byte, float>(source[..(destination.Length * 4)]).CopyTo(destination);
            return;
        }
        for (var i = 0; i < destination.Length; i++) destination[i] = DecodeOne(source[(i * Size)..], bigEndian);
    }

    /// <summary>The element at the start of <paramref name="source"/>.</summary>
    public float DecodeOne(ReadOnlySpan<byte> source, bool bigEndian) => _kind switch
    {
        Kind.Float32 => BitConverter.Int32BitsToSingle(bigEndian ? BinaryPrimitives.ReadInt32BigEndian(source) : BinaryPrimitives.ReadInt32LittleEndian(source)),
        Kind.Float16 => (float)BitConverter.UInt16BitsToHalf(bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(source) : BinaryPrimitives.ReadUInt16LittleEndian(source)),
        // bfloat16 is the upper half of a float32.
        Kind.BFloat16 => BitConverter.Int32BitsToSingle((bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(source) : BinaryPrimitives.ReadUInt16LittleEndian(source)) << 16),
        Kind.Float64 => (float)(bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(source) : BinaryPrimitives.ReadDoubleLittleEndian(source)),
        Kind.Int64 => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(source) : BinaryPrimitives.ReadInt64LittleEndian(source),
        Kind.Int32 => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(source) : BinaryPrimitives.ReadInt32LittleEndian(source),
        Kind.Int16 => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(source) : BinaryPrimitives.ReadInt16LittleEndian(source),
        Kind.Int8 => (sbyte)source[0],
        Kind.UInt8 => source[0],
        Kind.Bool => source[0] != 0 ? 1f : 0f,
        _ => throw new InvalidOperationException($"no decoder for {Name}"),
    };

    /// <summary>The element types of safetensors' dtype names that LightNets converts (not the 8-bit floats).</summary>
    public static ElementType? FromSafeTensors(string dtype) => dtype switch
    {
        "F32" => Float32, "F16" => Float16, "BF16" => BFloat16, "F64" => Float64,
        "I64" => Int64, "I32" => Int32, "I16" => Int16, "I8" => Int8, "U8" => UInt8, "BOOL" => Bool,
        _ => null,
    };
}
