using LightNets.Graphs;

namespace LightNets.Experiments.Advice;

/// <summary>
/// What a node is, in the guidelines' terms, read from its operator and shapes only (never from the model's name):
/// the tags it carries (a grouped unbalanced 1×1 convolution carries both G1 and G2) and the one the chart colours it by.
/// </summary>
public sealed record LayerRole(GuidelineTag Primary, IReadOnlyList<GuidelineTag> Tags, string Kind, int InChannels, int OutChannels, int Groups, int Kernel)
{
    /// <summary>c2/c1 of a convolution as the paper writes it, e.g. "1:6" for 24→144 and "6:1" for 144→24.</summary>
    public string Ratio => InChannels <= 0 || OutChannels <= 0 ? "" : RatioText(InChannels, OutChannels);

    /// <summary>max(c1, c2)/min(c1, c2).</summary>
    public double Imbalance => InChannels <= 0 || OutChannels <= 0 ? 1 : (double)Math.Max(InChannels, OutChannels) / Math.Min(InChannels, OutChannels);

    public bool Has(GuidelineTag tag) => Tags.Contains(tag);

    internal static string RatioText(int c1, int c2)
    {
        var r = (double)Math.Max(c1, c2) / Math.Min(c1, c2);
        var big = r >= 9.5 ? Math.Round(r).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : Math.Round(r, 1).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
        return c1 <= c2 ? $"1:{big}" : $"{big}:1";
    }
}

/// <summary>Classifies every node of a graph (<see cref="LayerRole"/>).</summary>
public static class LayerRoles
{
    public static LayerRole Of(Graph graph, Node node, double imbalance)
    {
        switch (node.Op)
        {
            case Conv2dOp conv:
            {
                var cin = graph.ShapeOf(node.Inputs[0]).C;
                var cout = graph.ShapeOf(node.Outputs[0]).C;
                var k = Math.Max(conv.KernelH, conv.KernelW);
                var pointwise = conv.KernelH == 1 && conv.KernelW == 1;
                if (conv.Groups > 1 && conv.Groups == cin && cout % cin == 0)
                    return new LayerRole(GuidelineTag.G4, [GuidelineTag.G4], "depthwise conv", cin, cout, conv.Groups, k);
                var unbalanced = pointwise && (double)Math.Max(cin, cout) / Math.Min(cin, cout) >= imbalance;
                if (conv.Groups > 1)
                    return new LayerRole(GuidelineTag.G2, unbalanced ? [GuidelineTag.G2, GuidelineTag.G1] : [GuidelineTag.G2],
                        pointwise ? "group 1×1 conv" : "group conv", cin, cout, conv.Groups, k);
                if (unbalanced) return new LayerRole(GuidelineTag.G1, [GuidelineTag.G1], "1×1 conv", cin, cout, 1, k);
                return new LayerRole(GuidelineTag.Dense, [], pointwise ? "1×1 conv" : $"{conv.KernelH}×{conv.KernelW} conv", cin, cout, 1, k);
            }
            case ReluOp or ClipOp or HardSigmoidOp or HardSwishOp or SigmoidOp or AddOp or MulOp or BatchNormOp:
                return new LayerRole(GuidelineTag.G4, [GuidelineTag.G4], "element-wise", 0, 0, 1, 0);
            case ConcatOp or ChannelShuffleOp or SplitOp or SliceOp:
                return new LayerRole(GuidelineTag.G4, [GuidelineTag.G4], "data movement", 0, 0, 1, 0);
            case GemmOp:
                return new LayerRole(GuidelineTag.Unattributed, [], "fully connected", 0, 0, 1, 0);
            case MaxPoolOp or AveragePoolOp or GlobalAveragePoolOp:
                return new LayerRole(GuidelineTag.Unattributed, [], "pooling", 0, 0, 1, 0);
            default:
                return new LayerRole(GuidelineTag.Unattributed, [], node.Kind.ToString(), 0, 0, 1, 0);
        }
    }
}
