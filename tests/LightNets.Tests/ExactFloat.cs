namespace LightNets.Tests;

/// <summary>
/// Exact equality of two computed floats: the same bits, so that +0 and −0 differ, except that any NaN equals any
/// NaN. Which NaN an operation returns is the processor's choice, not the kernel's (x86 gives 0xFFC00000 where ARM64
/// gives its default NaN 0x7FC00000), so a kernel and its reference agree on NaN-ness, not on NaN bits. Where the bits
/// themselves are the point (buffer poison that must stay untouched, a payload a plain copy must keep), compare bits.
/// </summary>
internal static class ExactFloat
{
    public static bool Same(float a, float b) =>
        BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) || (float.IsNaN(a) && float.IsNaN(b));
}
