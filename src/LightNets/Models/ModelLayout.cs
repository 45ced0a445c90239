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

/// <summary>MobileNetV3's two incompatible width-multiplier conventions (ARCH-SPEC §5.5).</summary>
public enum WidthRounding
{
    /// <summary>TF-slim / timm: expansion = make_divisible(scaled input × the paper's ratio); head kept at 1280/1024. Reproduces the published 0.75 figures.</summary>
    Tf,
    /// <summary>torchvision: every in/exp/out → make_divisible(c·α); final conv 6 × last out; head scaled.</summary>
    Torchvision,
}
