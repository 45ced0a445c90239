using System.Globalization;
using System.Text.RegularExpressions;
using LightNets.Cost;
using LightNets.Graphs;

namespace LightNets.Experiments.Advice;

/// <summary>One row of the per-guideline summary: the layers booked under a tag (by their primary tag), their time and MACs.</summary>
public sealed record CategoryShare(GuidelineTag Tag, int Layers, double Microseconds, double TimeShare, double MacShare, double AtStakeMicroseconds);

/// <summary>
/// Turns per-layer measurements into findings: one per guideline and pattern (G1 per c1:c2 ratio, G2 per group count,
/// G3 for parallel branches, G4 per kind of op), each with its layers, numbers and what the paper's guideline would
/// change, ranked by measured time at stake.
/// </summary>
public static partial class AdviceFindings
{
    internal static IReadOnlyList<Finding> Build(Graph graph, IReadOnlyList<LayerAdvice> layers, IReadOnlyList<BranchUnit> units,
        IReadOnlyList<SiblingConvs> siblings, int unmeasured, NetworkTiming timing, AdviceSettings s)
    {
        var ctx = new Context(layers, timing.TotalMicroseconds, Math.Max(1, layers.Sum(l => l.Macs)), s);
        var findings = new List<Finding>();
        // Grouped by how unbalanced, either way round: a bottleneck's reducing and expanding convs are one pattern (Table 1's c1→c2→c1 pairs).
        foreach (var g in layers.Where(l => l.Role.Has(GuidelineTag.G1)).GroupBy(l => Math.Round(l.Role.Imbalance)))
            findings.Add(G1(graph, ctx, RatioLabel(g), g.ToArray()));
        foreach (var g in layers.Where(l => l.Role.Has(GuidelineTag.G2)).GroupBy(l => l.Role.Groups))
            findings.Add(G2(graph, ctx, g.Key, g.ToArray()));
        if (units.Count > 0 || siblings.Count > 0) findings.Add(G3(ctx, units, siblings));
        foreach (var g in layers.Where(l => l.Role.Primary == GuidelineTag.G4).GroupBy(l => l.Role.Kind))
            findings.Add(G4(ctx, g.Key, g.ToArray(), timing));
        if (unmeasured > 0)
            findings = findings.Select(f => f with { Numbers = f.Numbers + $" ({unmeasured} layer(s) beyond the {Advisor.MaxLayerConfigs}-configuration budget were not timed alone; their time at stake counts as 0.)" }).ToList();
        return findings.OrderByDescending(f => f.AtStakeMicroseconds).ThenBy(f => f.Id, StringComparer.Ordinal).ToArray();
    }

    /// <summary>The per-tag summary (each layer under its primary tag), in tag order.</summary>
    public static IReadOnlyList<CategoryShare> Summary(AdviceResult r)
    {
        var macs = (double)Math.Max(1, r.Macs);
        var total = r.TotalMicroseconds;
        return Enum.GetValues<GuidelineTag>().Select(tag =>
        {
            var ls = r.Layers.Where(l => l.Role.Primary == tag).ToArray();
            var t = ls.Sum(l => l.Microseconds);
            return new CategoryShare(tag, ls.Length, t, total > 0 ? t / total : 0, ls.Sum(l => l.Macs) / macs, ls.Sum(l => l.AtStakeMicroseconds));
        }).Where(c => c.Layers > 0).ToArray();
    }

    private sealed record Context(IReadOnlyList<LayerAdvice> Layers, double Total, long Macs, AdviceSettings Settings)
    {
        public double TimeShare(IEnumerable<LayerAdvice> ls) => Total > 0 ? ls.Sum(l => l.Microseconds) / Total : 0;
        public double MacShare(IEnumerable<LayerAdvice> ls) => (double)ls.Sum(l => l.Macs) / Macs;
        public bool Named(double atStake) => atStake > 0 && Total > 0 && atStake / Total >= Settings.MinShare;
    }

    private static Finding G1(Graph graph, Context ctx, string ratio, LayerAdvice[] ls)
    {
        double mac = 0, bound = 0;
        foreach (var l in ls)
        {
            var y = graph.ShapeOf(l.Node.Outputs[0]);
            var x = graph.ShapeOf(l.Node.Inputs[0]);
            var hw = (long)y.N * y.H * y.W;
            var b = (double)l.Macs;
            // Eq. 1 with a group's weights c1·c2/g; the bound 2·√(hw·B) + B/hw is what c1 = c2 reaches at the same B.
            mac += (double)x.N * x.H * x.W * l.Role.InChannels + hw * l.Role.OutChannels + (double)l.Role.InChannels * l.Role.OutChannels / l.Role.Groups;
            bound += Formulas.PointwiseMemoryAccessLowerBound(hw, b);
        }
        var stake = ls.Sum(l => l.AtStake.GetValueOrDefault(GuidelineTag.G1));
        var time = ls.Sum(l => l.Microseconds);
        var lower = mac > 0 ? 1 - bound / mac : 0;
        var pattern = Pattern(ls);
        var grouped = ls.Any(l => l.Role.Groups > 1) ? " (group) " : " ";
        var numbers = $"{pattern}: {ls.Length}{grouped}1×1 conv{S(ls.Length)} at {ratio} take {P(ctx.TimeShare(ls))} of the time for {P(ctx.MacShare(ls))} of the MACs; " +
                      $"memory access {N(mac)} elements against the G1 bound {N(bound)}";
        var change = $"at 1:1 with equal FLOPs the MAC bound is {P(lower)} lower; measured alone, balanced layers of equal FLOPs {Saving(stake, time, ctx.Total, "these layers'")}";
        return new Finding(GuidelineTag.G1, $"unbalanced 1×1 convolutions ({ratio})", Names(ls), pattern, time, Math.Max(0, stake),
            ctx.TimeShare(ls), ctx.MacShare(ls), numbers, change, ctx.Named(stake), new Dictionary<string, double>
            {
                ["layers"] = ls.Length, ["ratio"] = ls[0].Role.Imbalance, ["memory_access"] = mac, ["memory_access_bound"] = bound,
                ["bound_lower_share"] = lower, ["measured_saving_us"] = stake,
            });
    }

    private static Finding G2(Graph graph, Context ctx, int groups, LayerAdvice[] ls)
    {
        double atG = 0, atOne = 0;
        foreach (var l in ls)
        {
            var y = graph.ShapeOf(l.Node.Outputs[0]);
            var h = y.N * y.H;
            // G2's form at fixed B and c1: h·w·c1 + B·g/c1 + B/(h·w), against the same with g = 1.
            atG += Formulas.GroupConvMemoryAccessAtFixedMacs(h, y.W, l.Role.InChannels, l.Macs, groups);
            atOne += Formulas.GroupConvMemoryAccessAtFixedMacs(h, y.W, l.Role.InChannels, l.Macs, 1);
        }
        var stake = ls.Sum(l => l.AtStake.GetValueOrDefault(GuidelineTag.G2));
        var time = ls.Sum(l => l.Microseconds);
        var lower = atG > 0 ? 1 - atOne / atG : 0;
        var pattern = Pattern(ls);
        var kinds = string.Join(", ", ls.GroupBy(l => l.Role.Kind).Select(g => $"{g.Count()} {g.Key}{S(g.Count())}"));
        var numbers = $"{pattern}: {kinds} with g={groups} take {P(ctx.TimeShare(ls))} of the time for {P(ctx.MacShare(ls))} of the MACs; " +
                      $"MAC at g={groups} {N(atG)} elements, at g=1 with the same FLOPs and input {N(atOne)}";
        var change = $"at g=1 with equal FLOPs their memory access is {P(lower)} lower; measured alone, ungrouped layers of equal FLOPs {Saving(stake, time, ctx.Total, "these layers'")}";
        return new Finding(GuidelineTag.G2, $"group convolutions (g={groups})", Names(ls), pattern, time, Math.Max(0, stake),
            ctx.TimeShare(ls), ctx.MacShare(ls), numbers, change, ctx.Named(stake), new Dictionary<string, double>
            {
                ["layers"] = ls.Length, ["groups"] = groups, ["memory_access"] = atG, ["memory_access_g1"] = atOne,
                ["g1_lower_share"] = lower, ["measured_saving_us"] = stake,
            });
    }

    private static Finding G3(Context ctx, IReadOnlyList<BranchUnit> units, IReadOnlyList<SiblingConvs> siblings)
    {
        var inUnits = units.SelectMany(u => u.Branches.SelectMany(b => b)).Distinct().ToHashSet();
        var ls = ctx.Layers.Where(l => inUnits.Contains(l.Node)).ToArray();
        var sibs = siblings.SelectMany(g => g.Convs).Distinct().ToHashSet();
        var sibLayers = ctx.Layers.Where(l => sibs.Contains(l.Node)).ToArray();
        var stake = ctx.Layers.Sum(l => l.AtStake.GetValueOrDefault(GuidelineTag.G3));
        var branches = units.Count == 0 ? "" : string.Join(", ", units.GroupBy(u => u.ComputeBranches).OrderBy(g => g.Key).Select(g => $"{g.Count()}×{g.Key}"));
        var fragments = units.Count == 0 ? 0 : Stats.Median(units.Select(u => (double)u.Fragments));
        var sibTime = sibLayers.Sum(l => l.Microseconds);
        var numbers = units.Count == 0
            ? "no unit with two or more computing branches"
            : $"{units.Count} unit{S(units.Count)} with parallel computing branches (units×branches: {branches}; median {fragments:0.#} fragments per unit) " +
              $"take {P(ctx.TimeShare(ls))} of the time for {P(ctx.MacShare(ls))} of the MACs";
        numbers += siblings.Count == 0
            ? "; no two convolutions read the same input"
            : $"; {siblings.Count} group{S(siblings.Count)} of {sibLayers.Length} convolutions read the same input ({Us(sibTime)})";
        var change = siblings.Count == 0
            ? "no parallel convolutions to merge; the branches' joins are booked under G4 (concat, add)"
            : $"measured alone, one convolution of equal FLOPs per group {Saving(stake, sibTime, ctx.Total, "their")}";
        var named = ls.Length > 0 ? ls : sibLayers;
        return new Finding(GuidelineTag.G3, "parallel branches and fragments", Names(sibLayers.Length > 0 ? sibLayers : named),
            Pattern(named), ls.Sum(l => l.Microseconds), Math.Max(0, stake), ctx.TimeShare(ls), ctx.MacShare(ls), numbers, change, ctx.Named(stake),
            new Dictionary<string, double>
            {
                ["units"] = units.Count, ["median_fragments_per_unit"] = fragments, ["sibling_groups"] = siblings.Count,
                ["sibling_convs"] = sibLayers.Length, ["measured_saving_us"] = stake,
            });
    }

    private static Finding G4(Context ctx, string kind, LayerAdvice[] ls, NetworkTiming timing)
    {
        var stake = ls.Sum(l => l.AtStake.GetValueOrDefault(GuidelineTag.G4));
        var time = ls.Sum(l => l.Microseconds);
        var pattern = Pattern(ls.Where(l => l.Microseconds > 0).DefaultIfEmpty(ls[0]).ToArray());
        // Ops the compiler folded away or turned into index maps have no pass of their own: named apart, no traffic.
        var passes = ls.Where(l => l.Microseconds > 0).ToArray();
        var absorbed = ls.Where(l => l.Microseconds <= 0).ToArray();
        var ops = passes.Length == 0 ? "no op with a pass of its own"
            : string.Join(", ", passes.GroupBy(l => Op(l.Node)).OrderByDescending(g => g.Sum(l => l.Microseconds)).Select(g => $"{g.Key} ×{g.Count()}"));
        var folded = absorbed.Length == 0 ? ""
            : $"; {string.Join(", ", absorbed.GroupBy(l => Op(l.Node)).Select(g => $"{g.Key} ×{g.Count()}"))} run inside other steps here (folded or index maps: 0 µs)";
        var traffic = passes.Sum(l => (double)l.MemoryAccess);
        string numbers, change, title;
        var figures = new Dictionary<string, double> { ["layers"] = ls.Length, ["memory_access"] = traffic, ["measured_saving_us"] = stake };
        switch (kind)
        {
            case "depthwise conv":
                title = "depthwise convolutions";
                numbers = $"{pattern}: {ls.Length} depthwise conv{S(ls.Length)} take {P(ctx.TimeShare(ls))} of the time for {P(ctx.MacShare(ls))} of the MACs " +
                          $"({N(traffic)} elements of memory access for {N(ls.Sum(l => (double)l.Macs))} MACs)";
                change = $"measured alone, dense 1×1 convolutions of the same FLOPs would take {Us(time - stake)} instead of {Us(time)}: {Us(stake)} at stake ({P(stake / ctx.Total)} of the network)";
                break;
            case "data movement":
            {
                title = "data movement (concat, shuffle, split, slice)";
                numbers = $"{pattern}: {ops}: {P(ctx.TimeShare(ls))} of the time for 0 % of the MACs{folded}";
                change = $"fewer joins and splits, or joins folded into their producers, would save up to {Us(stake)} ({P(stake / ctx.Total)} of the network)";
                break;
            }
            default:
            {
                title = "element-wise operations";
                var saved = timing.UnfusedStepsMs - timing.FusedStepsMs;
                figures["fused_ms"] = timing.FusedStepsMs;
                figures["unfused_ms"] = timing.UnfusedStepsMs;
                numbers = $"{pattern}: {ops}: {P(ctx.TimeShare(ls))} of the time as separate passes for 0 % of the MACs ({N(traffic)} elements of memory traffic){folded}";
                change = $"removing them would save up to {Us(stake)} ({P(stake / ctx.Total)}); fusing them into the convolutions, as this runtime does, measures " +
                         $"{timing.FusedStepsMs:0.###} ms against {timing.UnfusedStepsMs:0.###} ms unfused (sums of per-step medians) ({(saved >= 0 ? "−" : "+")}{Math.Abs(saved):0.###} ms)";
                break;
            }
        }
        return new Finding(GuidelineTag.G4, title, Names(ls), pattern, time, Math.Max(0, stake), ctx.TimeShare(ls), ctx.MacShare(ls), numbers, change,
            ctx.Named(stake), figures);
    }

    /// <summary>"would save 5 µs (17 % of these layers' time, 2 % of the network's)", or, when the proposal measured slower, says so.</summary>
    private static string Saving(double stake, double time, double total, string whose) => stake >= 0
        ? $"would save {Us(stake)} ({P(stake / Math.Max(time, 1e-9))} of {whose} time, {P(stake / Math.Max(total, 1e-9))} of the network's)"
        : $"would be {Us(-stake)} slower ({P(-stake / Math.Max(time, 1e-9))} of {whose} time): nothing at stake here";

    /// <summary>"1:4 and 4:1" when both directions occur, else the one ratio.</summary>
    private static string RatioLabel(IEnumerable<LayerAdvice> ls)
    {
        var ratios = ls.Select(l => l.Role.Ratio).Distinct().OrderBy(r => r.StartsWith("1:", StringComparison.Ordinal) ? 0 : 1).ToArray();
        return ratios.Length <= 3 ? string.Join(", ", ratios) : string.Join(", ", ratios.Take(3)) + " …";
    }

    /// <summary>"ReLU6", "Add", "Concat" ... for the op list of a G4 finding.</summary>
    private static string Op(Node n) => n.Op switch
    {
        ClipOp c when c.IsRelu6 => "ReLU6",
        ReluOp => "ReLU",
        HardSwishOp => "h-swish",
        HardSigmoidOp => "h-sigmoid",
        _ => n.Kind.ToString(),
    };

    private static IReadOnlyList<string> Names(IEnumerable<LayerAdvice> ls) => ls.Select(l => l.Node.Name).ToArray();

    /// <summary>
    /// The layers in few words: their paper-level stages ("stage3.*") when the graph has blocks, else the longest common
    /// prefix of their names cut at a separator ("/layers/*"), else the first names.
    /// </summary>
    public static string Pattern(IReadOnlyList<LayerAdvice> ls)
    {
        if (ls.Count == 0) return "";
        if (ls.Count == 1) return ls[0].Node.Name;
        if (ls.All(l => l.Node.Block.Length > 0))
        {
            var stages = ls.Select(l => TrailingIndex().Replace(l.Node.Block, "") + ".*").Distinct().ToArray();
            return stages.Length <= 4 ? string.Join(", ", stages) : $"{string.Join(", ", stages.Take(3))} … {stages[^1]}";
        }
        var names = ls.Select(l => l.Node.Name).ToArray();
        var prefix = names.Aggregate((a, b) => a[..Enumerable.Range(0, Math.Min(a.Length, b.Length)).TakeWhile(i => a[i] == b[i]).Count()]);
        var cut = prefix.LastIndexOfAny(['/', '.', '_']);
        if (cut > 0) return prefix[..(cut + 1)] + "*";
        return names.Length <= 3 ? string.Join(", ", names) : $"{string.Join(", ", names.Take(2))} … {names[^1]} ({names.Length})";
    }

    [GeneratedRegex(@"\.\d+$")]
    private static partial Regex TrailingIndex();

    private static string S(int n) => n == 1 ? "" : "s";
    public static string P(double share) => double.IsNaN(share) || double.IsInfinity(share) ? "n/a" : (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %";
    public static string Us(double us) => us >= 1000 ? (us / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " ms" : us.ToString("0", CultureInfo.InvariantCulture) + " µs";
    private static string N(double v) => v >= 1e6 ? (v / 1e6).ToString("0.0#", CultureInfo.InvariantCulture) + "M" : v.ToString("N0", CultureInfo.InvariantCulture);
}
