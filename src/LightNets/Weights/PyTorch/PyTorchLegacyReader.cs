using System.Buffers.Binary;
using System.Collections;
using System.Numerics;
using Microsoft.Win32.SafeHandles;

namespace LightNets.Weights.PyTorch;

/// <summary>
/// Reads the format <c>torch.save</c> wrote before PyTorch 1.6 (and still writes with
/// <c>_use_new_zipfile_serialization=False</c>): five pickles back to back (the magic number 0x1950a86a20f9469cfc6c,
/// the protocol version 1001, a dict of system info, the object, the list of storage keys), then each storage of that
/// list in turn as an 8-byte element count followed by its elements, little-endian. Every pickle goes through the same
/// checks as a zip checkpoint's; every storage's count must match what the pickle said and fit the file.
/// </summary>
internal static class PyTorchLegacyReader
{
    private static readonly BigInteger Magic = BigInteger.Parse("119547037146038801333356");
    private const int ProtocolVersion = 1001;

    /// <summary>Enough for the magic number, version and system-info pickles (about 140 bytes).</summary>
    private const int HeaderPickleBytes = 4096;

    public static StateDict Read(string path, SafeFileHandle handle, long length, Func<string, Exception> fail)
    {
        long pos = 0;
        byte[] Window(int maxBytes)
        {
            var window = new byte[(int)Math.Min(maxBytes, length - pos)];
            FileRanges.ReadExactly(handle, window, pos, fail);
            return window;
        }
        object? Next(int maxBytes)
        {
            var window = Window(maxBytes);
            var (value, used, _) = TorchUnpickler.Load(window, 0, window.Length, path, fail);
            pos += used;
            return value;
        }

        if (Next(HeaderPickleBytes) is not BigInteger magic || magic != Magic) throw fail("it does not start with PyTorch's magic number");
        if (Next(HeaderPickleBytes) is not (int and ProtocolVersion))
            throw fail($"its legacy format version is not {ProtocolVersion}, the only one PyTorch wrote");
        if (Next(HeaderPickleBytes) is not Hashtable systemInfo) throw fail("its system information is not a dict");
        if (systemInfo["little_endian"] is not true)
            throw fail("it was saved on a big-endian machine (or does not say): load and save it again on a little-endian one");

        var objectAt = pos;
        var window = Window(PickleScanner.MaxPickleBytes);
        var (root, used, unpickler) = TorchUnpickler.Load(window, 0, window.Length, path, fail);
        pos += used;
        // The key list follows the object; when the window already holds the rest of the file, it is read from there.
        object? keyList;
        if (objectAt + window.Length == length)
        {
            (keyList, var keysUsed, _) = TorchUnpickler.Load(window, used, window.Length - used, path, fail);
            pos += keysUsed;
        }
        else keyList = Next(PickleScanner.MaxPickleBytes);
        if (keyList is not ArrayList keys) throw fail("its list of storage keys is not a list");

        var places = Locate(keys, unpickler.Storages, pos, length, handle, fail);
        byte[] ReadStorage(StorageRef storage)
        {
            if (!places.TryGetValue(storage.Key, out var start))
                throw fail($"storage '{TorchUnpickler.Clip(storage.Key)}' that its pickle names is not among the storages the file holds");
            var bytes = new byte[(int)(storage.Elements * storage.Type.Size)];
            FileRanges.ReadExactly(handle, bytes, start, fail);
            return bytes;
        }
        return PyTorchStateDict.Build(WeightFormat.PyTorchLegacy, path, root, length, bigEndian: false, ReadStorage, fail);
    }

    /// <summary>Walks the storage section (count, elements; count, elements; ...) and returns where each storage's elements start.</summary>
    private static Dictionary<string, long> Locate(ArrayList keys, IReadOnlyDictionary<string, StorageRef> named, long pos, long length,
        SafeFileHandle handle, Func<string, Exception> fail)
    {
        var places = new Dictionary<string, long>(StringComparer.Ordinal);
        Span<byte> count = stackalloc byte[8];
        foreach (var item in keys)
        {
            if (item is not string key) throw fail($"its list of storage keys holds {TorchConstructors.Describe(item)}");
            if (!named.TryGetValue(key, out var storage))
                throw fail($"its storage list names '{TorchUnpickler.Clip(key)}', which its pickle does not");
            if (places.ContainsKey(key)) throw fail($"its storage list names '{TorchUnpickler.Clip(key)}' twice");
            if (length - pos < 8) throw fail($"it ends before storage '{TorchUnpickler.Clip(key)}' (truncated?)");
            FileRanges.ReadExactly(handle, count, pos, fail);
            var elements = BinaryPrimitives.ReadInt64LittleEndian(count);
            pos += 8;
            if (elements != storage.Elements)
                throw fail($"storage '{TorchUnpickler.Clip(key)}' holds {elements} elements in the file, but its pickle says {storage.Elements}");
            var size = storage.Type.Size;
            if (elements > (length - pos) / size)
                throw fail($"storage '{TorchUnpickler.Clip(key)}' needs {elements} × {size} bytes, but the file has {length - pos} left (truncated?)");
            PyTorchStateDict.StorageBytes(storage, elements * size, "its place in the file", fail);
            places.Add(key, pos);
            pos += elements * size;
        }
        return places;
    }
}
