using System.Buffers.Binary;
using LightNets.IO;
using LightNets.Weights.PyTorch;
using LightNets.Weights.SafeTensors;
using Microsoft.Win32.SafeHandles;

namespace LightNets.Weights;

/// <summary>
/// Reads pretrained weights without Python: PyTorch checkpoints (<c>torch.save</c>'s zip format and the legacy format
/// before it) and safetensors files, into a <see cref="StateDict"/> of float32 tensors.
/// <para>
/// Every file is untrusted. Nothing in it is executed: a PyTorch pickle may name only the few Python globals a state
/// dict needs (<see cref="ForbiddenGlobalException"/> otherwise, before anything is built); every size, offset, stride
/// and count is checked against the bytes really there before memory is allocated for it; an archive entry is read
/// through a stream that stops at its expected size. Anything wrong is a <see cref="WeightFileException"/> naming the
/// file and the first problem.
/// </para>
/// </summary>
public static class WeightFiles
{
    /// <summary>
    /// The first bytes of a legacy <c>torch.save</c> file after the pickle protocol opcode (and, from protocol 4 on, a
    /// 9-byte FRAME opcode): LONG1 (0x8a) of 10 bytes, then the little-endian magic number 0x1950a86a20f9469cfc6c.
    /// </summary>
    private static readonly byte[] LegacyMagic = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    /// <summary>Reads every tensor of the weight file at <paramref name="path"/>, whatever its format (<see cref="Detect"/>).</summary>
    /// <exception cref="WeightFileException">
    /// The file is missing, unreadable, of an unknown format, an ONNX model (read those with <see cref="Onnx.OnnxWeights"/>),
    /// or damaged or hostile in any way.
    /// </exception>
    public static StateDict Read(string path)
    {
        var format = Detect(path);
        return Open(path, (handle, length) => format switch
        {
            WeightFormat.SafeTensors => SafeTensorsReader.Read(path, handle, length, Failure(path, "safetensors file")),
            WeightFormat.PyTorchZip => PyTorchZipReader.Read(path, handle, length, Failure(path, "PyTorch checkpoint")),
            WeightFormat.PyTorchLegacy => PyTorchLegacyReader.Read(path, handle, length, Failure(path, "PyTorch checkpoint (legacy format)")),
            _ => throw new WeightFileException(
                $"'{path}' is an ONNX model: its weights are read with the ONNX importer (OnnxWeights.LoadInto), not as a state dict"),
        });
    }

    /// <summary>
    /// Tells the format of the file at <paramref name="path"/> from its first bytes: a zip archive (<c>PK</c>) is a
    /// PyTorch checkpoint, a pickle starting with PyTorch's magic number a legacy one, an 8-byte length followed by
    /// <c>{</c> safetensors, a protobuf starting with field 1 (<c>ir_version</c>) ONNX. When the content says nothing,
    /// a <c>.safetensors</c> or <c>.onnx</c> extension decides (so that a damaged file gets that format's own error).
    /// </summary>
    /// <exception cref="WeightFileException">The file is missing, empty, not a regular file, or none of these formats.</exception>
    public static WeightFormat Detect(string path) => Open(path, (handle, length) =>
    {
        Span<byte> head = stackalloc byte[32];
        head = head[..RandomAccess.Read(handle, head, 0)];
        if (head.Length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] is 3 or 5 or 7 && head[3] == head[2] + 1)
            return WeightFormat.PyTorchZip;
        if (head.Length >= 2 + LegacyMagic.Length && head[0] == 0x80 && (head[2..].StartsWith(LegacyMagic) || head[2] == 0x95 && head[11..].StartsWith(LegacyMagic)))
            return WeightFormat.PyTorchLegacy;
        if (head.Length >= 9 && head[8] == '{' && BinaryPrimitives.ReadUInt64LittleEndian(head) > 0)
            return WeightFormat.SafeTensors;
        if (head.Length >= 2 && head[0] == 0x08 && head[1] is > 0 and < 0x80)
            return WeightFormat.Onnx;
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".safetensors") return WeightFormat.SafeTensors;
        if (extension == ".onnx") return WeightFormat.Onnx;
        throw new WeightFileException(
            $"'{path}' is not a weight file LightNets reads: it is neither a PyTorch checkpoint (torch.save), safetensors nor ONNX (it starts with {Convert.ToHexString(head[..Math.Min(8, head.Length)])})");
    });

    private static T Open<T>(string path, Func<SafeFileHandle, long, T> read)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new WeightFileException($"'{path}' is a directory, not a weight file");
        if (!File.Exists(path)) throw new WeightFileException($"there is no weight file '{path}'");
        // Asked before opening: opening a FIFO blocks, and pipes and devices report size 0.
        if (UserFiles.SizeOfTarget(path) == 0)
            throw new WeightFileException($"'{path}' is empty or not a regular file (a pipe, socket or device); weights are read from a file");
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return read(handle, RandomAccess.GetLength(handle));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WeightFileException($"cannot read weight file '{path}': {e.Message}", e);
        }
    }

    private static Func<string, Exception> Failure(string path, string what) =>
        problem => new WeightFileException($"'{path}' is not a readable {what}: {problem}");
}
