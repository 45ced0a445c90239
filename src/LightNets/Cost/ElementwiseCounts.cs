using LightNets.Graphs;

namespace LightNets.Cost;

/// <summary>
/// Elements that pass through each kind of cheap op, the "all ops" view of docs/ARCH-SPEC.md §6.3. Not published anywhere;
/// they show where a network spends memory traffic that the MAC count does not see.
/// </summary>
public sealed record ElementwiseCounts(
    long BatchNorm,
    long Relu,
    long Relu6,
    long HardSwish,
    long HardSigmoid,
    long SqueezeExciteMul,
    long ResidualAdd,
    long GlobalPoolInput,
    long AveragePoolOutput,
    long MaxPoolOutput,
    long ConvFcOutput,
    long Largest,
    long MemoryAccess)
{
    public static ElementwiseCounts Of(Graph graph)
    {
        long bn = 0, relu = 0, relu6 = 0, hswish = 0, hsig = 0, mul = 0, add = 0, gpool = 0, avg = 0, max = 0, act = 0, largest = 0, mac = 0;
        foreach (var node in graph.Nodes)
        {
            var input = graph.ShapeOf(node.Inputs[0]).ElementCount;
            var output = graph.ShapeOf(node.Outputs[0]).ElementCount;
            switch (node.Op)
            {
                case BatchNormOp: bn += output; break;
                case ReluOp: relu += output; break;
                case ClipOp c when c.IsRelu6: relu6 += output; break;
                case HardSwishOp: hswish += output; break;
                case HardSigmoidOp: hsig += output; break;
                case MulOp: mul += output; break;
                case AddOp: add += output; break;
                case GlobalAveragePoolOp: gpool += input; break;
                case AveragePoolOp: avg += output; break;
                case MaxPoolOp: max += output; break;
                case Conv2dOp or GemmOp:
                    act += output;
                    if (node.Op is Conv2dOp) largest = Math.Max(largest, Math.Max(input, output));
                    mac += input + output + graph.ShapeOf(node.Inputs[1]).ElementCount;
                    break;
            }
        }
        return new ElementwiseCounts(bn, relu, relu6, hswish, hsig, mul, add, gpool, avg, max, act, largest, mac);
    }
}
