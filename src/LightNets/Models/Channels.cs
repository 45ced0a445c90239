namespace LightNets.Models;

/// <summary>
/// The one width-rounding rule of the MobileNet family (TF's and torchvision's <c>make_divisible</c>):
/// round v to the nearest multiple of the divisor (halves up), at least <c>min</c>, and never more than 10 % below v.
/// Exceptions are made by the families, in the open: MobileNetV1 uses TF-slim's max(⌊c·α⌋, 8); MobileNetV2's last conv
/// is scaled by max(1, α); MobileNetV3's SE width rounds exp/4 with this same rule; ShuffleNets take widths from tables.
/// </summary>
public static class Channels
{
    public const int Divisor = 8;

    /// <summary>make_divisible(v, d, min): r = max(min, ⌊(v + d/2)/d⌋·d); if r &lt; 0.9·v then r += d.</summary>
    public static int MakeDivisible(double v, int divisor = Divisor, int? min = null)
    {
        if (!(v > 0) || double.IsInfinity(v))
            throw new ArgumentOutOfRangeException(nameof(v), $"a channel count must be positive, got {v}");
        var floor = min ?? divisor;
        var r = Math.Max(floor, (int)Math.Floor((v + divisor / 2.0) / divisor) * divisor);
        if (r < 0.9 * v) r += divisor;
        return r;
    }

    /// <summary>MobileNetV1's rule in TF-slim: max(⌊c·α⌋, 8) (Keras: ⌊c·α⌋). Exact for the published α = 1, 0.75, 0.5, 0.25.</summary>
    public static int TfSlimDepth(int channels, double alpha, int minDepth = 8) =>
        Math.Max((int)(channels * alpha + 1e-9), minDepth);
}
