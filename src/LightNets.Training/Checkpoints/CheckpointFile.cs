using System.Runtime.InteropServices;
using LightNets.IO;
using LightNets.Weights;
using LightNets.Weights.SafeTensors;

namespace LightNets.Training.Checkpoints;

/// <summary>
/// Saves and loads training checkpoints: safetensors files (readable by any safetensors tool) holding float32 tensors
/// named <c>param/NAME</c>, <c>buffer/NAME</c>, <c>optim/SLOT/NAME</c> and <c>ema/NAME</c>, with the step, epoch,
/// trainer progress, model configuration, training options, metrics, optimizer kind and step counts and EMA update
/// count as metadata strings (see <see cref="CheckpointMetadata"/>).
/// <para>
/// Saving is atomic: the file is written under a temporary name in the same directory, flushed to the disk, then
/// renamed over the target, so a process killed at any moment leaves either the previous checkpoint or the new one,
/// never a torn file (a killed save may leave its temporary ".partial" file behind; nothing reads it). A crash of the
/// whole machine can also lose the rename itself, which would need a flush of the directory that .NET does not offer:
/// then the previous checkpoint is what survives.
/// </para>
/// <para>
/// Loading treats the file as untrusted: only a non-empty regular file is opened (never a pipe, socket or device), the
/// whole header is validated against the file's real size before a tensor is read (see <see cref="SafeTensorsHeader"/>),
/// every tensor must be F32, every name one LightNets writes and every metadata value well formed.
/// </para>
/// </summary>
public static class CheckpointFile
{
    /// <summary>Writes <paramref name="state"/> to <paramref name="path"/> atomically, creating its directory if needed.</summary>
    public static void Save(string path, TrainingState state) => Save(path, state, static stream => stream);

    /// <summary><see cref="Save(string, TrainingState)"/>, writing through <paramref name="wrap"/> (tests make it fail mid-write).</summary>
    internal static void Save(string path, TrainingState state, Func<Stream, Stream> wrap)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(state);
        RequireLittleEndian();
        ArgumentOutOfRangeException.ThrowIfNegative(state.Step);
        ArgumentOutOfRangeException.ThrowIfNegative(state.Epoch);
        var tensors = Tensors(state);
        var metadata = CheckpointMetadata.Encode(state);

        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new CheckpointException($"cannot save the checkpoint as '{path}': that is a directory");
        var directory = Path.GetDirectoryName(full)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        try
        {
            Directory.CreateDirectory(directory);
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var stream = wrap(file);
                SafeTensorsWriter.Write(stream, tensors, metadata);
                stream.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Discard(temporary);
            throw new CheckpointException($"could not save the checkpoint as '{path}' ({e.Message}); the previous checkpoint there, if any, is unchanged", e);
        }
        catch
        {
            Discard(temporary);
            throw;
        }
    }

    /// <summary>Reads and validates the checkpoint at <paramref name="path"/>.</summary>
    public static Checkpoint Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        RequireLittleEndian();
        Exception Fail(string problem) => new CheckpointFormatException($"checkpoint '{path}' cannot be used: {problem}");
        if (Directory.Exists(path)) throw new CheckpointException($"'{path}' is a directory, not a checkpoint file");
        if (!File.Exists(path)) throw new CheckpointException($"there is no checkpoint '{path}'");
        // Asked before opening: opening a FIFO blocks, and pipes and devices report size 0.
        if (UserFiles.SizeOfTarget(path) == 0)
            throw Fail("it is empty or not a regular file (a pipe, socket or device); a checkpoint is a file LightNets wrote");

        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var header = SafeTensorsHeader.Read(handle, RandomAccess.GetLength(handle), Fail);
            return CheckpointReader.Read(path, handle, header, Fail);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"cannot read checkpoint '{path}': {e.Message}", e);
        }
    }

    private static List<TensorToWrite> Tensors(TrainingState state)
    {
        var tensors = new List<TensorToWrite>();
        foreach (var p in state.Parameters) tensors.Add(new(CheckpointMetadata.ParameterTensor(p.Name), p.Shape.ToArray(), p.Value));
        foreach (var b in state.Buffers) tensors.Add(new(CheckpointMetadata.BufferTensor(b.Name), b.Shape.ToArray(), b.Value));
        if (state.Optimizer is { } optimizer)
            foreach (var s in optimizer.Slots)
                tensors.Add(new(CheckpointMetadata.OptimizerTensor(s.Name, s.Parameter.Name), s.Parameter.Shape.ToArray(), s.Values));
        if (state.Ema is { } ema)
            foreach (var t in ema.Tensors) tensors.Add(new(CheckpointMetadata.EmaTensor(t.Name), t.Shape.ToArray(), t.Average));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tensors)
            if (!names.Add(t.Name)) throw new ArgumentException($"two tensors would both be saved as '{t.Name}': parameter and buffer names must be unique", nameof(state));
        return tensors;
    }

    private static void Discard(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the failure being reported matters more than a leftover temporary file.
        }
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("LightNets checkpoints are little-endian files, read and written in place; this machine is big-endian");
    }

    internal static void ReadFloats(Microsoft.Win32.SafeHandles.SafeFileHandle handle, float[] values, long offset, Func<string, Exception> fail) =>
        FileRanges.ReadExactly(handle, MemoryMarshal.AsBytes(values.AsSpan()), offset, fail);
}
