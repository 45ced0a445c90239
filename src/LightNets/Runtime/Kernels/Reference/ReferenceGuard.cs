using LightNets.Tensors;

namespace LightNets.Runtime.Kernels.Reference;

/// <summary>
/// Argument checks shared by the reference kernels. A graph has already been validated by shape inference, so these
/// only protect direct callers (tests, other kernels) from an index error deep inside a loop: a wrong argument
/// raises <see cref="ArgumentException"/> naming the parameter and the shapes.
/// </summary>
internal static class ReferenceGuard
{
    public static void NotNull(Tensor? t, string name)
    {
        if (t is null) throw new ArgumentNullException(name);
    }

    public static void Rank(Tensor t, int rank, string name)
    {
        NotNull(t, name);
        if (t.Shape.Rank != rank)
            throw new ArgumentException($"needs a rank-{rank} tensor but got [{t.Shape}]", name);
    }

    public static void AtLeastRank(Tensor t, int rank, string name)
    {
        NotNull(t, name);
        if (t.Shape.Rank < rank)
            throw new ArgumentException($"needs a tensor of rank ≥ {rank} but got [{t.Shape}]", name);
    }

    /// <summary>A vector of exactly <paramref name="length"/> elements (a bias or per-channel statistic).</summary>
    public static void Vector(Tensor t, int length, string name)
    {
        NotNull(t, name);
        if (t.Shape.Rank != 1 || t.Shape[0] != length)
            throw new ArgumentException($"needs a vector [{length}] but got [{t.Shape}]", name);
    }

    public static void That(bool condition, string message, string name)
    {
        if (!condition) throw new ArgumentException(message, name);
    }

    /// <summary>Product of the dimensions after the channel axis (1 for a rank-2 tensor): the per-channel block size.</summary>
    public static int InnerSize(Shape s)
    {
        var inner = 1;
        for (var d = 2; d < s.Rank; d++) inner = checked(inner * s[d]);
        return inner;
    }
}
