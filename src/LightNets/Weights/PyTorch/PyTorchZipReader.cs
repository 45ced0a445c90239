using System.IO.Compression;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace LightNets.Weights.PyTorch;

/// <summary>
/// Reads <c>torch.save</c>'s zip format (PyTorch 1.6 and later): one top-level folder (its name is free) holding
/// <c>data.pkl</c> (the pickled object), <c>data/KEY</c> (the raw bytes of each storage), and optionally
/// <c>byteorder</c> (<c>little</c> or <c>big</c>; little when absent) and <c>version</c>.
/// <para>
/// Entries are read through <see cref="ZipArchive"/>, each at most its expected size plus one byte: an entry that
/// declares another size than its storage needs, that inflates past what it declares, or that is compressed more than
/// <see cref="MaxRatio"/>:1 (PyTorch stores entries uncompressed) is refused before its bytes are allocated; an entry
/// whose bytes do not match its CRC-32 is refused once read.
/// </para>
/// </summary>
internal static class PyTorchZipReader
{
    /// <summary>More entries than any state dict has (one per storage); a central directory past it is refused.</summary>
    public const int MaxEntries = 1_000_000;

    /// <summary>The highest compression ratio accepted for an entry; float weights barely compress.</summary>
    public const int MaxRatio = 100;

    public static StateDict Read(string path, SafeFileHandle handle, long length, Func<string, Exception> fail)
    {
        try
        {
            using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
            using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            if (archive.Entries.Count > MaxEntries)
                throw fail($"its archive has {archive.Entries.Count} entries, more than the {MaxEntries} a checkpoint may have");
            var (prefix, pickleEntry) = FindPickle(archive, fail);
            var bigEndian = ByteOrder(archive.GetEntry(prefix + "/byteorder"), fail);
            var pickle = ReadEntry(pickleEntry, Limit(pickleEntry, PickleScanner.MaxPickleBytes, "its data.pkl", fail), $"entry '{pickleEntry.FullName}'", fail);
            var (root, _, _) = TorchUnpickler.Load(pickle, 0, pickle.Length, path, fail);

            // Storages may not add up to more bytes than this, whatever their entries declare (overlapping entries).
            var storageBudget = 8 * length + (64L << 20);
            byte[] ReadStorage(StorageRef storage)
            {
                var name = $"{prefix}/data/{storage.Key}";
                var entry = archive.GetEntry(name)
                    ?? throw fail($"storage '{TorchUnpickler.Clip(storage.Key)}' that its pickle names has no entry '{TorchUnpickler.Clip(name)}' in the archive");
                var bytes = PyTorchStateDict.StorageBytes(storage, entry.Length, $"entry '{TorchUnpickler.Clip(name)}'", fail);
                CheckRatio(entry, fail);
                storageBudget -= bytes;
                if (storageBudget < 0) throw fail($"its storages add up to more than {8 * length + (64L << 20)} bytes, more than a {length}-byte archive holds");
                return ReadEntry(entry, bytes, $"entry '{TorchUnpickler.Clip(name)}'", fail);
            }
            return PyTorchStateDict.Build(WeightFormat.PyTorchZip, path, root, length, bigEndian, ReadStorage, fail);
        }
        catch (InvalidDataException e)
        {
            throw fail($"its zip archive is damaged ({e.Message})");
        }
    }

    /// <summary>The one <c>FOLDER/data.pkl</c> entry, and the folder.</summary>
    private static (string Prefix, ZipArchiveEntry Entry) FindPickle(ZipArchive archive, Func<string, Exception> fail)
    {
        var found = archive.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.IndexOf('/') == e.FullName.Length - 9).Take(2).ToList();
        if (found.Count == 0) throw fail("its zip archive has no FOLDER/data.pkl entry, so it is not a torch.save checkpoint");
        if (found.Count > 1) throw fail($"its zip archive has two pickles, '{TorchUnpickler.Clip(found[0].FullName)}' and '{TorchUnpickler.Clip(found[1].FullName)}'");
        return (found[0].FullName[..^9], found[0]);
    }

    private static bool ByteOrder(ZipArchiveEntry? entry, Func<string, Exception> fail)
    {
        if (entry is null) return false;
        var text = Encoding.ASCII.GetString(ReadEntry(entry, Limit(entry, 16, "its byteorder entry", fail), "its byteorder entry", fail));
        return text switch
        {
            "little" => false,
            "big" => true,
            _ => throw fail($"its byteorder entry says '{TorchUnpickler.Clip(text)}', not 'little' or 'big'"),
        };
    }

    private static int Limit(ZipArchiveEntry entry, int max, string what, Func<string, Exception> fail)
    {
        if (entry.Length > max) throw fail($"{what} declares {entry.Length} bytes, more than the {max} it may have");
        CheckRatio(entry, fail);
        return (int)entry.Length;
    }

    private static void CheckRatio(ZipArchiveEntry entry, Func<string, Exception> fail)
    {
        if (entry.Length > 4096 && entry.Length / Math.Max(1, entry.CompressedLength) > MaxRatio)
            throw fail($"entry '{TorchUnpickler.Clip(entry.FullName)}' inflates {entry.CompressedLength} bytes to {entry.Length}, more than {MaxRatio}:1 " +
                       "(a zip bomb? PyTorch stores its entries uncompressed)");
    }

    /// <summary>
    /// Exactly <paramref name="expected"/> bytes of the entry (its declared size, already checked): fewer is a
    /// truncated entry, and one byte more an entry that inflates past what it declares. No more is ever read.
    /// </summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, int expected, string what, Func<string, Exception> fail)
    {
        var bytes = new byte[expected];
        using var data = entry.Open();
        for (var done = 0; done < expected;)
        {
            var read = data.Read(bytes, done, expected - done);
            if (read == 0) throw fail($"{what} ends after {done} of the {expected} bytes it declares (truncated?)");
            done += read;
        }
        Span<byte> probe = stackalloc byte[1];
        if (data.Read(probe) != 0) throw fail($"{what} holds more than the {expected} bytes it declares (a zip bomb?)");
        if (Crc32.Compute(bytes) != entry.Crc32)
            throw fail($"{what}'s bytes do not match its CRC-32 checksum (the file is damaged, or the entry's declared size is wrong)");
        return bytes;
    }
}
