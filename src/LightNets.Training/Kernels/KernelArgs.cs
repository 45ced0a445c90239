namespace LightNets.Training.Kernels;

/// <summary>
/// Argument checks shared by the training kernels (reference and fast): a span of the wrong length raises
/// <see cref="ArgumentException"/> naming it and both lengths, before any loop could index past it. The engine sizes
/// every buffer from validated shapes, so these only fire on a direct caller's mistake.
/// </summary>
internal static class KernelArgs
{
    public static void Length<T>(ReadOnlySpan<T> span, long expected, string name)
    {
        if (span.Length != expected)
            throw new ArgumentException($"{name} has {span.Length} elements but the shape needs {expected}", name);
    }

    /// <summary>An optional operand (a bias): empty means absent, otherwise exactly <paramref name="expected"/> elements.</summary>
    public static void Optional<T>(ReadOnlySpan<T> span, long expected, string name)
    {
        if (!span.IsEmpty) Length(span, expected, name);
    }

    public static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentException($"{name} must be at least 1 but is {value}", name);
    }
}
