namespace LightNets.Models;

/// <summary>A table's "Input" column: a square feature map Size×Size with Channels channels (printed 112²×32).</summary>
public readonly record struct InputSize(int Size, int Channels)
{
    public override string ToString() => $"{Size}²×{Channels}";
}
