namespace LightNets.Models.ShuffleNetV1;

/// <summary>
/// What megvii calls ShuffleNetV1's tensors (torchvision has no ShuffleNetV1). The loader walks the zoo graph (stem,
/// stage2.0–stage4.3, classifier) and applies these rules.
/// </summary>
public static class ShuffleNetV1Checkpoints
{
    /// <summary>
    /// megvii-model/ShuffleNet-Series ShuffleNetV1: first_conv.0/.1, the 16 units as features.0–15, each with
    /// branch_main_1 (1×1 group conv, BN, ReLU, depthwise conv, BN) and branch_main_2 (1×1 group conv, BN), and
    /// classifier.0 (no bias: the zoo's megvii layout). megvii shuffles after the depthwise conv with the inverse
    /// permutation of the paper's (<see cref="CheckpointWiring.MegviiShuffles"/>). BN ε 1e-5.
    /// </summary>
    public static readonly CheckpointNaming Megvii = new(
        CheckpointSource.Megvii, ModelFamily.ShuffleNetV1, "megvii ShuffleNetV1",
        new ModelOptions { Layout = ModelLayout.Megvii }, BatchNormEpsilon: 1e-5f,
        [
            new("stem", "first_conv", new Dictionary<string, CheckpointUnit[]> { ["conv1"] = [new("0", "1")] }),
            new("stage*", "features.{n}", new Dictionary<string, CheckpointUnit[]>
            {
                ["gconv1 dw gconv2"] = [new("branch_main_1.0", "branch_main_1.1"), new("branch_main_1.3", "branch_main_1.4"), new("branch_main_2.0", "branch_main_2.1")],
            }),
            new("classifier", "classifier", new Dictionary<string, CheckpointUnit[]> { ["fc"] = [new("0")] }),
        ], CheckpointWiring.MegviiShuffles);
}
