using System.Runtime.InteropServices;

namespace LightNets.Training.Engine;

/// <summary>
/// One buffer of the training arena: an activation kept for backward, a gradient, saved statistics, argmax indices or
/// scratch. Its lifetime is [first, last] schedule position that touches it; the planner gives it a byte offset.
/// </summary>
internal sealed class Slot(string name, long length, int elementSize)
{
    public string Name { get; } = name;
    public long Length { get; } = length;
    public int ElementSize { get; } = elementSize;
    public long Bytes => Length * ElementSize;
    public int First { get; private set; } = int.MaxValue;
    public int Last { get; private set; } = -1;
    public long Offset { get; set; } = -1;

    public void Touch(int position)
    {
        First = Math.Min(First, position);
        Last = Math.Max(Last, position);
    }

    public override string ToString() => $"{Name} ({Bytes} B, positions {First}–{Last}, offset {Offset})";
}

/// <summary>
/// Places slots in one arena so that slots alive at the same time never overlap (largest first, at the lowest
/// 64-byte-aligned offset free during its whole lifetime, as the inference planner does), then owns the native memory.
/// The memory is touched once at allocation: first-touch page faults cost more than the work of a small step here.
/// </summary>
internal sealed unsafe class Arena : IDisposable
{
    private const long Align = 64;
    private byte* _base;

    public Arena(IReadOnlyList<Slot> slots, long maxBytes, string what)
    {
        Bytes = Plan(slots);
        if (Bytes > maxBytes)
            throw new WorkingMemoryException(
                $"training {what} needs {Bytes / (1 << 20)} MiB of working memory, more than the {maxBytes / (1 << 20)} MiB allowed; use a smaller batch or resolution, or raise MaxArenaBytes");
        _base = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(Bytes, Align), (nuint)Align);
        new Span<byte>(_base, (int)Math.Min(Bytes, int.MaxValue)).Clear();
        for (var done = (long)int.MaxValue; done < Bytes; done += int.MaxValue)
            new Span<byte>(_base + done, (int)Math.Min(Bytes - done, int.MaxValue)).Clear();
    }

    public long Bytes { get; }
    public byte* Base => _base != null ? _base : throw new ObjectDisposedException(nameof(Arena));

    private static long Plan(IReadOnlyList<Slot> slots)
    {
        var placed = new List<Slot>();
        long size = 0;
        foreach (var slot in slots.Where(s => s.Last >= 0).OrderByDescending(s => s.Bytes).ThenBy(s => s.First))
        {
            var need = (slot.Bytes + Align - 1) / Align * Align;
            long offset = 0;
            foreach (var other in placed.Where(p => p.First <= slot.Last && slot.First <= p.Last).OrderBy(p => p.Offset))
            {
                if (offset + need <= other.Offset) break;
                offset = Math.Max(offset, other.Offset + (other.Bytes + Align - 1) / Align * Align);
            }
            slot.Offset = offset;
            placed.Add(slot);
            size = Math.Max(size, offset + need);
        }
        return size;
    }

    public void Dispose()
    {
        if (_base != null) NativeMemory.AlignedFree(_base);
        _base = null;
        GC.SuppressFinalize(this);
    }

    ~Arena()
    {
        if (_base != null) NativeMemory.AlignedFree(_base);
    }
}
