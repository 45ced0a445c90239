namespace LightNets.Experiments;

/// <summary>
/// One network of the ShuffleNetV2 guideline experiments (docs/GUIDELINES-SPEC.md §3–§7): ten identical blocks stacked on a
/// C×56×56 input, no stem, no head. The four kinds are the four tables' blocks; <see cref="GuidelineStacks.Build"/>
/// turns one into a graph.
/// </summary>
public abstract record StackSpec
{
    /// <summary>Blocks per stack: the paper stacks every block 10 times.</summary>
    public const int Blocks = 10;

    /// <summary>Channels of the stack's input (and output).</summary>
    public abstract int InputChannels { get; }

    /// <summary>The channel numbers as the paper's tables print them, e.g. "(32,32)", "c=184", "2×45→45".</summary>
    public abstract string Describe();
}

/// <summary>G1 (Table 1): a block is conv1×1 c1→c2 followed by conv1×1 c2→c1, no activation.</summary>
public sealed record PairStack(int C1, int C2) : StackSpec
{
    public override int InputChannels => C1;
    public override string Describe() => $"({C1},{C2})";
}

/// <summary>G2 (Table 2): a block is one pointwise group convolution c→c with <see cref="Groups"/> groups, as one op.</summary>
public sealed record GroupStack(int Channels, int Groups) : StackSpec
{
    public override int InputChannels => Channels;
    public override string Describe() => $"c={Channels}";
}

/// <summary>The five blocks of Table 3 (the paper's Appendix Fig. 1 (a)–(e)).</summary>
public enum FragmentLayout
{
    /// <summary>(a) one conv c→c: the same network as G2's g = 1 (its twin).</summary>
    One,

    /// <summary>(b) two convs in a chain, each floor(c/√2) wide.</summary>
    TwoSeries,

    /// <summary>(c) four convs in a chain, each c/2 wide.</summary>
    FourSeries,

    /// <summary>(d) two convs c→c/2 reading the same input, joined by a Concat (resolution P1).</summary>
    TwoParallel,

    /// <summary>(e) four convs c→c/4 reading the same input, joined by a Concat (resolution P1).</summary>
    FourParallel,
}

/// <summary>
/// G3 (Table 3): a block of 1 to 4 1×1 convolutions in series or in parallel, widths chosen so that every layout has
/// the FLOPs of the one-conv block of width <see cref="Channels"/> (docs/GUIDELINES-SPEC.md §6).
/// </summary>
public sealed record FragmentStack(int Channels, FragmentLayout Layout) : StackSpec
{
    /// <summary>Number of convolutions per block.</summary>
    public int Fragments => Layout switch
    {
        FragmentLayout.One => 1,
        FragmentLayout.TwoSeries or FragmentLayout.TwoParallel => 2,
        _ => 4,
    };

    public bool Parallel => Layout is FragmentLayout.TwoParallel or FragmentLayout.FourParallel;

    /// <summary>Width of a series chain: k·w² ≈ c², so floor(c/√2) for k = 2 (the paper's own 90 for 128/√2) and c/2 for k = 4.</summary>
    public int SeriesWidth => Layout switch
    {
        FragmentLayout.TwoSeries => FloorDivSqrt2(Channels),
        FragmentLayout.FourSeries => Channels / 2,
        _ => Channels,
    };

    public override int InputChannels => Parallel ? Channels : SeriesWidth;

    public override string Describe() => Layout switch
    {
        FragmentLayout.One => $"{Channels}→{Channels}",
        FragmentLayout.TwoSeries or FragmentLayout.FourSeries => $"{Fragments}×{SeriesWidth}→{SeriesWidth}",
        _ => $"{Fragments}×{Channels}→{Channels / Fragments} + concat",
    };

    /// <summary>floor(c/√2) in integers, exactly: the largest w with 2·w² ≤ c².</summary>
    public static int FloorDivSqrt2(int c)
    {
        var w = (int)(c / Math.Sqrt(2));
        while (2L * (w + 1) * (w + 1) <= (long)c * c) w++;
        while (2L * w * w > (long)c * c) w--;
        return w;
    }
}

/// <summary>
/// G4 (Table 4): ResNet's bottleneck with outer width c and inner width c/4 — conv1×1 c→c/4, conv3×3 c/4→c/4,
/// conv1×1 c/4→c, identity Add — with its three ReLUs and its shortcut each present or removed.
/// </summary>
public sealed record BottleneckStack(int Channels, bool Relu, bool Shortcut) : StackSpec
{
    public int Inner => Channels / 4;
    public override int InputChannels => Channels;
    public override string Describe() => $"c={Channels}";
}
