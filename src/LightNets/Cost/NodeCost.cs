using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Cost;

/// <summary>What one node costs. Every count is for the graph's batch (1 for the zoo's graphs). See Conventions.md.</summary>
/// <param name="Node">The node.</param>
/// <param name="Input">Shape of its first input.</param>
/// <param name="Output">Shape of its (first) output.</param>
/// <param name="Params">Learnable scalars it owns, C1 convention: conv/FC weights and biases, BN γ and β.</param>
/// <param name="BatchNormParams">The BN γ and β among <paramref name="Params"/>.</param>
/// <param name="BatchNormStatistics">BN running mean and variance (not learnable; Keras counts them).</param>
/// <param name="Macs">Multiply-accumulates (the papers' "FLOPs"); conv and FC only.</param>
/// <param name="MemoryAccess">
/// Memory access cost in elements as ShuffleNetV2's G1 defines it: input + output + weight elements of conv/FC
/// layers; zero for other ops unless the report was made in <see cref="MemoryAccessMode.AllOps"/>.
/// </param>
/// <param name="OutputElements">Elements of all its outputs.</param>
public sealed record NodeCost(
    Node Node,
    Shape Input,
    Shape Output,
    long Params,
    long BatchNormParams,
    long BatchNormStatistics,
    long Macs,
    long MemoryAccess,
    long OutputElements)
{
    public bool HasMacs => Macs > 0;
}

/// <summary>Which operators count toward memory access cost.</summary>
public enum MemoryAccessMode
{
    /// <summary>Conv and FC layers only: input + output + weights (ShuffleNetV2 G1, generalized).</summary>
    ConvAndFc,

    /// <summary>Also element-wise and data-movement ops: each reads its inputs and writes its outputs once.</summary>
    AllOps,
}
