using System.Runtime.CompilerServices;

namespace LightNets.Runtime.Kernels.Cpu;

/// <summary>Argument checks and tier selection shared by the CPU kernels (run once per call, never per element).</summary>
internal static class KernelGuard
{
    /// <summary>
    /// The tier a kernel runs: the requested one if this process supports it, else the best supported one below it,
    /// so that a V512 path is only ever taken when it is both requested and available.
    /// </summary>
    public static Isa Effective(Isa requested) => requested <= CpuCaps.Best ? requested : CpuCaps.Best;

    public static unsafe void NotNull(void* p, string name)
    {
        if (p == null) throw new ArgumentNullException(name);
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> for <paramref name="name"/> unless <paramref name="condition"/> holds. The
    /// message is an interpolated string that is only formatted when the check fails: formatting it eagerly (a
    /// shape's ToString on every call) cost 0.6 µs and an allocation per kernel call.
    /// </summary>
    public static void That(bool condition, [InterpolatedStringHandlerArgument(nameof(condition))] ref FailureMessage message, string name)
    {
        if (!condition) throw new ArgumentException(message.Text(), name);
    }
}

/// <summary>The message of a failed <see cref="KernelGuard.That"/>, built only when the condition is false.</summary>
[InterpolatedStringHandler]
internal ref struct FailureMessage
{
    private DefaultInterpolatedStringHandler _text;

    public FailureMessage(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
    {
        shouldAppend = !condition;
        _text = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    public string Text() => _text.ToStringAndClear();
}
