using System.IO.Compression;
using LightNets.IO;

namespace LightNets.Training.Data;

/// <summary>
/// A data set file opened for reading, plain or gzip-compressed (told by its first two bytes, not its name). Every read
/// is bounded: a plain file's size is checked before a buffer is allocated for it; compressed data, whose size is
/// unknown until it is inflated, goes into a buffer that grows only as data actually arrives and never past the size
/// the caller expects, so a gzip bomb costs at most that much memory. Errors are <see cref="DatasetException"/>s that
/// name the file.
/// </summary>
internal sealed class DataFile : IDisposable
{
    private const int GrowFrom = 1 << 20;
    private readonly FileStream _file;
    private readonly Stream _stream;

    private DataFile(string path, FileStream file, bool compressed)
    {
        Path = path;
        _file = file;
        Compressed = compressed;
        _stream = compressed ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    public string Path { get; }

    /// <summary>Whether the file is gzip-compressed.</summary>
    public bool Compressed { get; }

    /// <summary>Bytes left to read in a plain file; unknown (null) for a compressed one.</summary>
    public long? Remaining => Compressed ? null : _file.Length - _file.Position;

    /// <summary>
    /// Opens <paramref name="path"/>, which must be a non-empty regular file (a link to one is followed); pipes and
    /// devices are refused unopened (opening a pipe would wait for a writer). <paramref name="what"/> names what the file
    /// should be, for messages ("an IDX images file").
    /// </summary>
    public static DataFile Open(string path, string what)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new DatasetException($"no path given for {what}");
        if (Directory.Exists(path)) throw new DatasetFormatException(path, $"a directory, not {what}");
        if (!File.Exists(path)) throw new DatasetException($"no such file: {path} (expected {what})");
        if (UserFiles.SizeOfTarget(path) == 0)
            throw new DatasetFormatException(path, $"the file is empty or not a regular file (a pipe or a device); expected {what}");
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DatasetException($"{path}: permission denied (expected {what} readable by this user)", e);
        }
        catch (IOException e)
        {
            throw new DatasetException($"{path}: cannot be opened: {e.Message}", e);
        }
        try
        {
            // Checked again on the file actually opened: the path may have been replaced since.
            if (file.Length == 0) throw new DatasetFormatException(path, $"the file is empty; expected {what}");
            Span<byte> magic = stackalloc byte[2];
            var compressed = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
            file.Position = 0;
            return new DataFile(path, file, compressed);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Fills <paramref name="buffer"/> or throws: the file ends early (<paramref name="what"/> says what was being read).</summary>
    public void ReadExactly(Span<byte> buffer, string what)
    {
        var filled = Fill(buffer);
        if (filled < buffer.Length) throw Truncated(what, filled, buffer.Length);
    }

    /// <summary>
    /// The next <paramref name="count"/> bytes in a new array, or an error if the file ends first. A plain file's
    /// remaining size is checked before the array is allocated; compressed data fills a buffer that grows with the data.
    /// </summary>
    public byte[] ReadBlock(long count, string what)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Array.MaxLength);
        if (Remaining is { } left && left < count) throw Truncated(what, left, count);
        var buffer = new byte[Compressed ? Math.Min(count, GrowFrom) : count];
        var filled = 0;
        while (true)
        {
            filled += Fill(buffer.AsSpan(filled));
            if (filled == count) return buffer;
            if (filled < buffer.Length) throw Truncated(what, filled, count);
            Array.Resize(ref buffer, (int)Math.Min(count, 2L * buffer.Length));
        }
    }

    /// <summary>
    /// Everything left in the file, at most <paramref name="limit"/> bytes: a longer file (or compressed data that
    /// inflates past the limit) is an error, found before more than the limit is held.
    /// </summary>
    public byte[] ReadToEnd(long limit, string what)
    {
        limit = Math.Min(limit, Array.MaxLength);
        if (Remaining is { } left)
        {
            if (left > limit) throw new DatasetFormatException(Path, $"{left:N0} bytes is more than the limit of {limit:N0} bytes for {what}{RaiseLimit}");
            return ReadBlock(left, what);
        }
        var buffer = new byte[Math.Min(limit, GrowFrom)];
        var filled = 0;
        while (true)
        {
            filled += Fill(buffer.AsSpan(filled));
            if (filled < buffer.Length) return buffer.AsSpan(0, filled).ToArray();
            if (filled == limit)
            {
                if (Fill(stackalloc byte[1]) > 0)
                    throw new DatasetFormatException(Path, $"the compressed data inflates to more than the limit of {limit:N0} bytes for {what}{RaiseLimit}");
                return buffer;
            }
            Array.Resize(ref buffer, (int)Math.Min(limit, 2L * buffer.Length));
        }
    }

    /// <summary>Throws when the file holds more than has been read: <paramref name="declared"/> says what its header declared.</summary>
    public void ExpectEnd(string declared)
    {
        if (Remaining is { } left)
        {
            if (left > 0) throw new DatasetFormatException(Path, $"{left:N0} bytes more than its header declares ({declared}): the file is damaged or not what it claims");
            return;
        }
        if (Fill(stackalloc byte[1]) > 0)
            throw new DatasetFormatException(Path, $"its data goes on past what its header declares ({declared}): the file is damaged or not what it claims");
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the data ends; the bytes read.</summary>
    private int Fill(Span<byte> buffer)
    {
        try
        {
            return _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new DatasetFormatException(Path, "the gzip data is corrupt; download or decompress the file again", e);
        }
        catch (IOException e)
        {
            throw new DatasetFormatException(Path, $"reading failed: {e.Message}", e);
        }
    }

    private DatasetFormatException Truncated(string what, long got, long expected) =>
        new(Path, $"the file is truncated: it ends after {got:N0} of the {expected:N0} bytes of {what}{(Compressed ? " (decompressed)" : "")}");

    private const string RaiseLimit = " (raise DatasetReadOptions.MaxBytes if the data set really is this large)";

    public void Dispose()
    {
        _stream.Dispose();
        _file.Dispose();
    }
}
