using LightNets.Graphs;

namespace LightNets.Models.Blocks;

/// <summary>
/// ShuffleNetV1's units (its Fig. 2 b, c), in the paper's layout: 1×1 GConv → BN → ReLU → channel shuffle → 3×3
/// depthwise → BN → 1×1 GConv → BN, then an identity add (stride 1) or a concat with a 3×3/2 average-pooled shortcut
/// (stride 2, pooled shortcut first), followed by ReLU. The bottleneck width is a quarter of the unit's output (megvii), which reproduces
/// the paper's Table 1 exactly.
/// </summary>
public static class ShuffleUnitV1
{
    /// <param name="b">The builder.</param>
    /// <param name="x">Unit input (C_in channels).</param>
    /// <param name="outChannels">Unit output C_out (for stride 2 this includes the C_in pooled shortcut channels).</param>
    /// <param name="bottleneck">Bottleneck width m.</param>
    /// <param name="groups">Groups g of the 1×1 convolutions.</param>
    /// <param name="stride">1 (add) or 2 (concat with average-pooled shortcut).</param>
    /// <param name="groupFirstConv">False for Stage 2's first unit, whose first 1×1 is ungrouped (24 input channels are too few).</param>
    /// <param name="bnEpsilon">BatchNorm ε.</param>
    public static Value Build(GraphBuilder b, Value x, int outChannels, int bottleneck, int groups, int stride, bool groupFirstConv, float bnEpsilon)
    {
        var cin = x.Shape.C;
        var branchOut = stride == 1 ? outChannels : outChannels - cin;
        if (stride == 1 && cin != outChannels)
            throw new ModelConfigurationException($"a stride-1 ShuffleNetV1 unit needs equal input and output widths, got {cin} → {outChannels}");
        if (bottleneck % groups != 0 || branchOut % groups != 0 || branchOut < 1)
            throw new ModelConfigurationException(
                $"ShuffleNetV1 with g = {groups}: bottleneck {bottleneck} and branch output {branchOut} (of {cin} → {outChannels}) must be positive multiples of g");

        var y = ConvBnAct.Pointwise(b, x, bottleneck, Activation.Relu, bnEpsilon, groupFirstConv ? groups : 1, name: "gconv1");
        if (groups > 1) y = b.ChannelShuffle(y, groups);
        y = ConvBnAct.Depthwise(b, y, 3, stride, Activation.None, bnEpsilon);
        y = ConvBnAct.Pointwise(b, y, branchOut, Activation.None, bnEpsilon, groups, name: "gconv2");

        if (stride == 1)
            return b.Relu(b.Add(y, x, name: "residual"), name: "relu_out");
        // The paper applies ReLU after the concat; the pooled shortcut of a ReLU output is already ≥ 0, so ReLU on the
        // conv branch alone (megvii) gives identical values with less work.
        var shortcut = b.AveragePool(x, 3, 2, 1, countIncludePad: true, name: "shortcut");
        return b.Concat([shortcut, b.Relu(y, name: "relu_out")]);
    }
}
