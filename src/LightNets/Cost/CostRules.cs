using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Cost;

/// <summary>
/// One counting rule per <see cref="OpKind"/>. The conventions (what the papers and torchvision count) are written
/// down in Conventions.md beside this file; in short: MACs for conv and FC only, params C1 = weights + biases + BN γ/β,
/// memory access = input + output + weights for conv and FC (element-wise traffic only in <see cref="MemoryAccessMode.AllOps"/>).
/// </summary>
public static class CostRules
{
    public static NodeCost Cost(Graph graph, Node node, MemoryAccessMode mode)
    {
        var input = graph.ShapeOf(node.Inputs[0]);
        var outputs = node.Outputs.Select(graph.ShapeOf).ToArray();
        var output = outputs[0];
        var outElems = outputs.Sum(s => s.ElementCount);
        long Elems(int i) => graph.ShapeOf(node.Inputs[i]).ElementCount;
        long DataInputs() => node.Inputs.Where(i => !graph.IsInitializer(i)).Sum(i => graph.ShapeOf(i).ElementCount);
        // Element-wise traffic: every non-weight input read once, every output written once.
        long Traffic() => mode == MemoryAccessMode.AllOps ? DataInputs() + outElems : 0;

        switch (node.Op)
        {
            case Conv2dOp conv:
            {
                // H_out·W_out·C_out·kh·kw·C_in/g per image.
                var weights = Elems(1);
                var bias = node.Inputs.Count > 2 ? Elems(2) : 0;
                var macs = output.ElementCount * conv.KernelH * conv.KernelW * (input.C / conv.Groups);
                return new NodeCost(node, input, output, weights + bias, 0, 0, macs, input.ElementCount + outElems + weights, outElems);
            }
            case GemmOp:
            {
                var weights = Elems(1);
                var bias = node.Inputs.Count > 2 ? Elems(2) : 0;
                var macs = (long)input[0] * graph.ShapeOf(node.Inputs[1])[0] * input[1];
                return new NodeCost(node, input, output, weights + bias, 0, 0, macs, input.ElementCount + outElems + weights, outElems);
            }
            case BatchNormOp:
            {
                var c = (long)input.C;
                return new NodeCost(node, input, output, 2 * c, 2 * c, 2 * c, 0, Traffic(), outElems);
            }
            case FakeQuantizeOp:
                return new NodeCost(node, input, output, 0, 0, 0, 0, Traffic(), outElems);
            case FlattenOp or DropoutOp:
                // A view / an identity at inference: no traffic even when all ops are counted.
                return new NodeCost(node, input, output, 0, 0, 0, 0, 0, outElems);
            case ReluOp or ClipOp or HardSigmoidOp or HardSwishOp or SigmoidOp or AddOp or MulOp or ConcatOp
                or ChannelShuffleOp or SliceOp or SplitOp or MaxPoolOp or AveragePoolOp or GlobalAveragePoolOp or SoftmaxOp:
                return new NodeCost(node, input, output, 0, 0, 0, 0, Traffic(), outElems);
            default:
                throw new GraphValidationException($"node '{node.Name}' ({node.Kind}) has no cost rule");
        }
    }

    /// <summary>Elements read by a node from a non-initializer input (for reports).</summary>
    public static long InputElements(Graph graph, Node node) =>
        node.Inputs.Where(i => !graph.IsInitializer(i)).Sum(i => graph.ShapeOf(i).ElementCount);

    internal static Shape FirstInput(Graph graph, Node node) => graph.ShapeOf(node.Inputs[0]);
}
