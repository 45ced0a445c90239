namespace LightNets.Models;

/// <summary>A table's "Input" column: a square feature map Size×Size with Channels channels (printed 112²×32).</summary>
public readonly record struct InputSize(int Size, int Channels)
{
    public override string ToString() => $"{Size}²×{Channels}";
}

/// <summary>
/// A family's small-input variant, as data beside its table: the architecture is kept and its first two
/// 2× down-samplings are removed, so that the network down-samples 8× instead of 32× and a 32×32 input ends on a 4×4 map
/// (at 28–32 px the ImageNet layout ends on 1×1). Rows are indices into the family's table; each table's doc comment names
/// the published CIFAR adaptation its choice follows. The network is built from the changed table, so a block that now
/// runs at stride 1 with equal input and output widths gets its architecture's identity shortcut (MobileNetV2 0.35's
/// features.2, MobileNetV3-Small's features.1), as a PyTorch model built from the changed settings does.
/// </summary>
/// <param name="StrideOne">The stride-2 rows that run at stride 1 (a row with repeats: its first, strided repeat).</param>
/// <param name="Removed">The rows left out (ShuffleNets' max-pool).</param>
/// <param name="Change">What changes, in words: the graph's "small-input" metadata.</param>
public sealed record SmallInputVariant(IReadOnlyList<int> StrideOne, IReadOnlyList<int> Removed, string Change)
{
    /// <summary>The stride of table row <paramref name="row"/> (<paramref name="stride"/> in the table) in the variant, or in the table when not <paramref name="small"/>.</summary>
    public int Stride(bool small, int row, int stride) => small && StrideOne.Contains(row) ? 1 : stride;

    /// <summary>Whether table row <paramref name="row"/> is built.</summary>
    public bool Keeps(bool small, int row) => !(small && Removed.Contains(row));
}
