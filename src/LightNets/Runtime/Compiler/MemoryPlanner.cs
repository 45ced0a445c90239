namespace LightNets.Runtime.Compiler;

/// <summary>
/// Gives every arena slot an offset so that slots alive at the same time never overlap: slots are placed largest
/// first at the lowest 64-byte-aligned offset free during their whole lifetime (greedy interval packing). Returns the
/// arena size in floats. A slot's lifetime is [first step that touches it, last step that touches it].
/// </summary>
internal static class MemoryPlanner
{
    private const int AlignFloats = 16; // 64 bytes

    /// <param name="slots">The buffers, with their lifetimes.</param>
    /// <param name="guardFloats">Extra floats reserved after every buffer for the whole of its lifetime (overrun guards).</param>
    public static long Plan(IReadOnlyList<BufferSlot> slots, int guardFloats = 0)
    {
        var placed = new List<BufferSlot>();
        long arena = 0;
        foreach (var slot in slots.Where(s => !s.IsGraphInput && s.LastUse >= 0)
                     .OrderByDescending(s => s.Floats).ThenBy(s => s.FirstUse).ThenBy(s => s.Id))
        {
            var size = Align(slot.Floats + guardFloats);
            var busy = placed.Where(p => p.FirstUse <= slot.LastUse && slot.FirstUse <= p.LastUse)
                .Select(p => (Start: p.Offset, End: p.Offset + Align(p.Floats + guardFloats)))
                .OrderBy(r => r.Start).ToList();
            long offset = 0;
            foreach (var (start, end) in busy)
            {
                if (offset + size <= start) break;
                offset = Math.Max(offset, end);
            }
            slot.Offset = offset;
            placed.Add(slot);
            arena = Math.Max(arena, offset + size);
        }
        return arena;
    }

    private static long Align(long floats) => (floats + AlignFloats - 1) / AlignFloats * AlignFloats;
}
