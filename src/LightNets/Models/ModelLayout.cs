namespace LightNets.Models;

/// <summary>Where an architecture's reference implementations disagree on details that change weights or counts.</summary>
public enum ModelLayout
{
    /// <summary>As the paper defines it (ShuffleNetV2: megvii's Stage-2 first unit and an FC without bias).</summary>
    Paper,
    /// <summary>torchvision's definition (ShuffleNetV2: an even split in Stage 2's first unit, an FC with bias).</summary>
    Torchvision,
    /// <summary>megvii-model/ShuffleNet-Series (ShuffleNetV1: FC without bias; ShuffleNetV2: the same as Paper).</summary>
    Megvii,
}

/// <summary>MobileNetV3's width-multiplier conventions (docs/ARCH-SPEC.md §5.5). All three build the same network at α = 1.</summary>
public enum WidthRounding
{
    /// <summary>
    /// timm (the TF-slim rule with timm's details): expansion = make_divisible(scaled input × the paper's ratio); the
    /// stem stays at 16 below α = 0.75; the head is kept at 1280/1024. Reproduces the published 0.75 figures.
    /// </summary>
    Timm,
    /// <summary>torchvision: every in/exp/out → make_divisible(c·α); final conv 6 × last out; head scaled.</summary>
    Torchvision,
    /// <summary>
    /// The paper's models (P-MN3 Table 9, built with TF-slim): as <see cref="Timm"/>, but the stem is scaled at every α
    /// (make_divisible(16α), at least 8, as TF-slim's depth multiplier does) and the head 1280/1024 is scaled by
    /// max(1, α): kept below α = 1 (TF-slim's finegrain classification mode) and scaled above, like MobileNetV2's last
    /// conv. The same network as <see cref="Timm"/> wherever the stem rounds to 16 and α ≤ 1 (e.g. 0.75 and 1).
    /// </summary>
    Paper,
}
