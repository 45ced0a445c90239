using LightNets.Graphs;

namespace LightNets.Experiments.Advice;

/// <summary>One graph node with its measured time, its cost-model counts and the time its guideline violations put at stake.</summary>
/// <param name="Node">The node.</param>
/// <param name="Role">What it is in the guidelines' terms.</param>
/// <param name="Macs">Its multiply-accumulates (cost model).</param>
/// <param name="MemoryAccess">Its memory access cost in elements, all ops counted (inputs + outputs + weights).</param>
/// <param name="Microseconds">Its measured time, run as its own pass (median).</param>
/// <param name="AtStake">Per guideline, the share of <paramref name="Microseconds"/> the guideline's proposal would save, as measured (may be negative: the proposal was slower).</param>
public sealed record LayerAdvice(Node Node, LayerRole Role, long Macs, long MemoryAccess, double Microseconds, IReadOnlyDictionary<GuidelineTag, double> AtStake)
{
    /// <summary>Time at stake in this layer, every guideline together, between 0 and its own time.</summary>
    public double AtStakeMicroseconds => Math.Clamp(AtStake.Values.Sum(), 0, Microseconds);
}

/// <summary>
/// One finding: a guideline, the layers that break it, the measured time at stake and the numbers behind it.
/// <see cref="Figures"/> holds the same numbers typed, for JSON.
/// </summary>
public sealed record Finding(
    GuidelineTag Guideline, string Title, IReadOnlyList<string> Layers, string LayerPattern,
    double Microseconds, double AtStakeMicroseconds, double TimeShare, double MacShare,
    string Numbers, string Change, bool Named, IReadOnlyDictionary<string, double> Figures)
{
    /// <summary>"G1", "G2", ...</summary>
    public string Id => Guideline.ToString();
}

/// <summary>Ops the guidelines say nothing about, by kind, with their measured share: the report states them rather than hiding them.</summary>
public sealed record UnattributedOps(string Kind, int Count, double Microseconds, double TimeShare, double MacShare);

/// <summary>
/// What <see cref="Advisor.Run"/> found: per-layer attribution, findings ranked by time at stake, what it could not
/// attribute, and the score (share of the network's time at stake in guideline violations: lower is better).
/// </summary>
public sealed record AdviceResult(
    string Model, Graph Graph, AdviceSettings Settings, NetworkTiming Timing, IReadOnlyList<LayerAdvice> Layers,
    IReadOnlyList<Finding> Findings, IReadOnlyList<UnattributedOps> Unattributed, IReadOnlyList<BranchUnit> Units,
    long Macs, string Machine)
{
    public double TotalMicroseconds => Timing.TotalMicroseconds;

    /// <summary>Share of the measured time (each op as its own pass) that the guidelines' proposals would save: the score, lower is better.</summary>
    public double AtStakeShare => TotalMicroseconds > 0 ? Layers.Sum(l => l.AtStakeMicroseconds) / TotalMicroseconds : 0;

    /// <summary>Measured time per million MACs (each op as its own pass), µs.</summary>
    public double MicrosecondsPerMegaMac => Macs > 0 ? TotalMicroseconds / (Macs / 1e6) : double.NaN;

    /// <summary>The guidelines named: at least one finding with time at stake above the threshold.</summary>
    public IReadOnlyList<GuidelineTag> Named => Findings.Where(f => f.Named).Select(f => f.Guideline).Distinct().ToArray();

    public int Batch => Graph.Inputs.Count > 0 ? Graph.Inputs[0].Shape.N : 1;
}
