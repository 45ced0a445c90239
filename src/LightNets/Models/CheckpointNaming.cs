namespace LightNets.Models;

/// <summary>Whose code named a checkpoint's tensors.</summary>
public enum CheckpointSource
{
    /// <summary>torchvision's models (<c>~/.cache/torch/hub/checkpoints/*.pth</c>).</summary>
    Torchvision,
    /// <summary>timm (pytorch-image-models; the hub's <c>model.safetensors</c>).</summary>
    Timm,
    /// <summary>megvii-model/ShuffleNet-Series (its training script's <c>.pth.tar</c>).</summary>
    Megvii,
}

/// <summary>
/// One layer of a zoo block as a checkpoint names it: the module path of its convolution or linear layer (its
/// <c>.weight</c>, and <c>.bias</c> when the zoo's layer has one) and of the BatchNorm after it (<c>.weight</c>,
/// <c>.bias</c>, <c>.running_mean</c>, <c>.running_var</c>; its <c>.num_batches_tracked</c> is ignored). Paths are
/// relative to the block's path in the checkpoint; "" is the block's path itself.
/// </summary>
public readonly record struct CheckpointUnit(string Layer, string? Norm = null)
{
    public override string ToString() => Norm is null ? Layer : $"{Layer} + {Norm}";
}

/// <summary>
/// How a checkpoint names the zoo blocks that <see cref="Zoo"/> matches, and the layers inside them.
/// </summary>
/// <param name="Zoo">A zoo block name ("features.0", "classifier"), or a prefix ending in '*' ("features.*", "stage*")
/// for a run of numbered blocks. A block takes the first rule of its naming that matches it.</param>
/// <param name="Source">The block's module path in the checkpoint: literal ("conv_last"), "" for the top level, or a
/// pattern with {zoo} (the zoo block's own name), {n} (its ordinal among the blocks this rule matched, from 0), and
/// {stage} and {index} (its place in <see cref="Stages"/>).</param>
/// <param name="Units">For each arrangement of a block's layers — their zoo names within the block, in graph order,
/// space-separated ("expand dw project") — what the checkpoint calls those layers, in the same order. An arrangement
/// that is not listed has no counterpart in the checkpoint's code.</param>
/// <param name="Stages">How many blocks each stage has, where the checkpoint numbers a run of blocks by stage and
/// index within the stage (timm's blocks.{stage}.{index}).</param>
public sealed record CheckpointBlock(string Zoo, string Source, IReadOnlyDictionary<string, CheckpointUnit[]> Units, IReadOnlyList<int>? Stages = null);

/// <summary>How a checkpoint's code wires the channels between layers, where it differs from the zoo's graph.</summary>
public enum CheckpointWiring
{
    /// <summary>The same channel order everywhere: every tensor loads as it is.</summary>
    Same,
    /// <summary>
    /// megvii's ShuffleNets: V2 splits a basic unit's input into even and odd channels and does not shuffle after the
    /// concat; V1 shuffles after the depthwise conv, with the inverse permutation. Not the zoo's function under any
    /// channel permutation in general, so the loader rewires the zoo's graph as megvii does (the same layers and
    /// weights; only the shuffles move).
    /// </summary>
    MegviiShuffles,
}

/// <summary>
/// The name map of one family's checkpoints from one source, as data: block rules that the loader applies while it walks
/// the zoo graph (block by block, layer by layer), plus the settings the source's models always have.
/// </summary>
/// <param name="Source">Whose checkpoints.</param>
/// <param name="Family">The family they hold.</param>
/// <param name="Name">A short name for messages ("torchvision MobileNetV2").</param>
/// <param name="Implies">Options every model of this source has (MobileNetV3's rounding, ShuffleNetV2's layout,
/// MobileNetV1's ReLU6, a MobileNetV3 variant): a checkpoint loads into them only.</param>
/// <param name="BatchNormEpsilon">The source's BatchNorm ε, which the loaded model takes.</param>
/// <param name="Blocks">The block rules, tried in order.</param>
/// <param name="Wiring">Whether channels need permuting (<see cref="CheckpointWiring"/>).</param>
public sealed record CheckpointNaming(
    CheckpointSource Source, ModelFamily Family, string Name, ModelOptions Implies, float BatchNormEpsilon,
    IReadOnlyList<CheckpointBlock> Blocks, CheckpointWiring Wiring = CheckpointWiring.Same)
{
    public override string ToString() => Name;
}

/// <summary>Every name map the zoo has, each defined beside its family's table.</summary>
public static class CheckpointNamings
{
    public static IReadOnlyList<CheckpointNaming> All { get; } =
    [
        MobileNetV1.MobileNetV1Checkpoints.Timm,
        MobileNetV2.MobileNetV2Checkpoints.Torchvision,
        MobileNetV2.MobileNetV2Checkpoints.Timm,
        MobileNetV3.MobileNetV3Checkpoints.Torchvision,
        MobileNetV3.MobileNetV3Checkpoints.TimmLarge,
        MobileNetV3.MobileNetV3Checkpoints.TimmSmall,
        ShuffleNetV1.ShuffleNetV1Checkpoints.Megvii,
        ShuffleNetV2.ShuffleNetV2Checkpoints.Torchvision,
        ShuffleNetV2.ShuffleNetV2Checkpoints.Megvii,
    ];
}
