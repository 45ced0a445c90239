using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace LightNets.Tests.Weights;

/// <summary>A pickle written opcode by opcode, so that tests can say anything a hostile file could.</summary>
internal sealed class PickleBytes
{
    private readonly List<byte> _bytes = [0x80, 2];

    public byte[] ToArray() => [.. _bytes];

    public PickleBytes Op(params byte[] bytes) { _bytes.AddRange(bytes); return this; }
    public PickleBytes Mark() => Op((byte)'(');
    public PickleBytes Tuple() => Op((byte)'t');
    public PickleBytes EmptyTuple() => Op((byte)')');
    public PickleBytes EmptyDict() => Op((byte)'}');
    public PickleBytes EmptyList() => Op((byte)']');
    public PickleBytes SetItems() => Op((byte)'u');
    public PickleBytes SetItem() => Op((byte)'s');
    public PickleBytes Reduce() => Op((byte)'R');
    public PickleBytes PersistentId() => Op((byte)'Q');
    public PickleBytes None() => Op((byte)'N');
    public PickleBytes False() => Op(0x89);
    public PickleBytes Stop() => Op((byte)'.');
    public PickleBytes Put(byte index) => Op((byte)'q', index);
    public PickleBytes Get(byte index) => Op((byte)'h', index);

    public PickleBytes Global(string module, string name) => Op([(byte)'c', .. Encoding.UTF8.GetBytes($"{module}\n{name}\n")]);

    /// <summary>Protocol 4's way: the two strings, then STACK_GLOBAL.</summary>
    public PickleBytes StackGlobal(string module, string name) => Str(module).Str(name).Op(0x93);

    public PickleBytes Str(string s)
    {
        var utf8 = Encoding.UTF8.GetBytes(s);
        Op((byte)'X');
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
        return Op([.. length, .. utf8]);
    }

    public PickleBytes Int(long value)
    {
        if (value is >= 0 and < 256) return Op((byte)'K', (byte)value);
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)value);
            return Op([(byte)'J', .. b]);
        }
        var l = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(l, value);
        return Op([0x8a, 8, .. l]);
    }

    public PickleBytes Ints(params long[] values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }

    /// <summary>The persistent id <c>('storage', torch.CLASS, key, 'cpu', numel)</c>, pushed through BINPERSID.</summary>
    public PickleBytes Storage(string storageClass, string key, long numel) =>
        Mark().Str("storage").Global("torch", storageClass).Str(key).Str("cpu").Int(numel).Tuple().PersistentId();

    /// <summary><c>_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())</c>.</summary>
    public PickleBytes Tensor(string storageClass, string key, long numel, long offset, long[] size, long[] stride) =>
        Global("torch._utils", "_rebuild_tensor_v2").Mark().Storage(storageClass, key, numel).Int(offset).Ints(size).Ints(stride)
            .False().Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce();

    /// <summary>An OrderedDict of one tensor "w" (a FloatStorage view), closed with STOP.</summary>
    public static byte[] OneTensor(string key, long numel, long offset, long[] size, long[] stride, string storageClass = "FloatStorage") =>
        new PickleBytes().Global("collections", "OrderedDict").EmptyTuple().Reduce().Mark().Str("w")
            .Tensor(storageClass, key, numel, offset, size, stride).SetItems().Stop().ToArray();

    /// <summary>A call of <paramref name="module"/>.<paramref name="name"/>(<paramref name="argument"/>) as the top-level object.</summary>
    public static byte[] Call(string module, string name, string argument, bool stackGlobal = false)
    {
        var p = new PickleBytes();
        if (stackGlobal) p.StackGlobal(module, name);
        else p.Global(module, name);
        return p.Str(argument).Op(0x85).Reduce().Stop().ToArray();
    }
}

/// <summary>torch.save-shaped zip archives and legacy files around a given pickle.</summary>
internal static class TorchArchive
{
    /// <summary>A zip of <c>archive/data.pkl</c>, <c>archive/data/KEY</c> for each storage, and <c>archive/version</c>.</summary>
    public static byte[] Zip(byte[] pickle, params (string Key, byte[] Data)[] storages) =>
        Zip(pickle, CompressionLevel.NoCompression, storages);

    public static byte[] Zip(byte[] pickle, CompressionLevel level, params (string Key, byte[] Data)[] storages)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, "archive/data.pkl", pickle, CompressionLevel.NoCompression);
            foreach (var (key, data) in storages) Add(zip, $"archive/data/{key}", data, level);
            Add(zip, "archive/version", "3\n"u8.ToArray(), CompressionLevel.NoCompression);
        }
        return memory.ToArray();
    }

    /// <summary>A zip of exactly these stored entries.</summary>
    public static byte[] Entries(params (string Name, byte[] Data)[] entries)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in entries) Add(zip, name, data, CompressionLevel.NoCompression);
        return memory.ToArray();
    }

    private static void Add(ZipArchive zip, string name, byte[] data, CompressionLevel level)
    {
        using var stream = zip.CreateEntry(name, level).Open();
        stream.Write(data);
    }

    /// <summary>Floats as little-endian bytes.</summary>
    public static byte[] Floats(params float[] values) => [.. values.SelectMany(BitConverter.GetBytes)];
}

/// <summary>The legacy format: magic number, protocol version, system info, the object, the storage keys, the storages.</summary>
internal static class LegacyBytes
{
    public static byte[] Header(bool littleEndian = true)
    {
        var magic = new PickleBytes().Op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).Stop().ToArray();
        var version = new PickleBytes().Op((byte)'M', 0xe9, 0x03).Stop().ToArray();
        var info = new PickleBytes().EmptyDict().Mark().Str("protocol_version").Op((byte)'M', 0xe9, 0x03)
            .Str("little_endian").Op(littleEndian ? (byte)0x88 : (byte)0x89).SetItems().Stop().ToArray();
        return [.. magic, .. version, .. info];
    }

    /// <summary>The header, the object's pickle, the keys' pickle, then each storage as (int64 count, bytes).</summary>
    public static byte[] File(byte[] pickle, byte[] keys, params (long Count, byte[] Data)[] storages)
    {
        var bytes = new List<byte>([.. Header(), .. pickle, .. keys]);
        foreach (var (count, data) in storages)
        {
            bytes.AddRange(BitConverter.GetBytes(count));
            bytes.AddRange(data);
        }
        return [.. bytes];
    }

    public static byte[] Keys(params string[] keys)
    {
        var p = new PickleBytes().EmptyList().Mark();
        foreach (var k in keys) p.Str(k);
        return p.Op((byte)'e').Stop().ToArray();
    }
}

/// <summary>Edits of a zip's headers that no zip writer would make.</summary>
internal static class ZipPatch
{
    /// <summary>Sets the uncompressed size of <paramref name="entry"/> in its local header and its central directory record.</summary>
    public static byte[] DeclaredSize(byte[] zip, string entry, uint size)
    {
        var bytes = (byte[])zip.Clone();
        var name = Encoding.UTF8.GetBytes(entry);
        var patched = 0;
        for (var i = 0; i + 46 < bytes.Length; i++)
        {
            var signature = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i));
            if (signature == 0x04034b50 && bytes.AsSpan(i + 30).StartsWith(name) && BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + 26)) == name.Length)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 22), size);
                patched++;
            }
            if (signature == 0x02014b50 && bytes.AsSpan(i + 46).StartsWith(name) && BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + 28)) == name.Length)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 24), size);
                patched++;
            }
        }
        Assert.Equal(2, patched);
        return bytes;
    }

    /// <summary>
    /// Turns the end of central directory into the Zip64 form (a Zip64 record and locator before it, its own counts
    /// 0xFFFF) with the Zip64 record declaring <paramref name="entries"/> entries.
    /// </summary>
    public static byte[] Zip64EntryCount(byte[] zip, long entries)
    {
        var eocd = zip.AsSpan().LastIndexOf([(byte)0x50, (byte)0x4b, (byte)0x05, (byte)0x06]);
        var cdSize = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(eocd + 12));
        var cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(eocd + 16));
        var record = new byte[56];
        BinaryPrimitives.WriteUInt32LittleEndian(record, 0x06064b50);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(4), 44);
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(12), 45);
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(14), 45);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(24), entries);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(32), entries);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(40), cdSize);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(48), cdOffset);
        var locator = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064b50);
        BinaryPrimitives.WriteInt64LittleEndian(locator.AsSpan(8), eocd);
        BinaryPrimitives.WriteUInt32LittleEndian(locator.AsSpan(16), 1);
        var end = zip.AsSpan(eocd).ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), 0xffff);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), 0xffff);
        return [.. zip.AsSpan(0, eocd), .. record, .. locator, .. end];
    }
}
