namespace LightNets.Models.ShuffleNetV2;

/// <summary>
/// What torchvision and megvii call ShuffleNetV2's tensors, block by block (the loader walks the zoo graph: stem,
/// stage2.0–stage4.3, conv5, classifier, and applies these rules). BN ε 1e-5 in both.
/// </summary>
public static class ShuffleNetV2Checkpoints
{
    /// <summary>
    /// torchvision.models.shufflenet_v2_x*: conv1.0/conv1.1, stage{2,3,4}.N as the zoo numbers them, each with the flat
    /// Sequentials branch1 (depthwise conv, BN, 1×1 conv, BN, ReLU) and branch2 (1×1 conv, BN, ReLU, depthwise conv, BN,
    /// 1×1 conv, BN, ReLU), conv5.0/conv5.1 and fc. torchvision's layout only.
    /// </summary>
    public static readonly CheckpointNaming Torchvision = new(
        CheckpointSource.Torchvision, ModelFamily.ShuffleNetV2, "torchvision ShuffleNetV2",
        new ModelOptions { Layout = ModelLayout.Torchvision }, BatchNormEpsilon: 1e-5f,
        [
            new("stem", "conv1", new Dictionary<string, CheckpointUnit[]> { ["conv1"] = [new("0", "1")] }),
            new("stage*", "{zoo}", new Dictionary<string, CheckpointUnit[]>
            {
                ["branch1.dw branch1.pw branch2.pw1 branch2.dw branch2.pw2"] =
                    [new("branch1.0", "branch1.1"), new("branch1.2", "branch1.3"), new("branch2.0", "branch2.1"), new("branch2.3", "branch2.4"), new("branch2.5", "branch2.6")],
                ["branch2.pw1 branch2.dw branch2.pw2"] = [new("branch2.0", "branch2.1"), new("branch2.3", "branch2.4"), new("branch2.5", "branch2.6")],
            }),
            new("conv5", "conv5", new Dictionary<string, CheckpointUnit[]> { ["conv5"] = [new("0", "1")] }),
            new("classifier", "fc", new Dictionary<string, CheckpointUnit[]> { ["fc"] = [new("")] }),
        ]);

    /// <summary>
    /// megvii-model/ShuffleNet-Series ShuffleNetV2: first_conv.0/.1, the 16 units as features.0–15 with branch_proj
    /// (depthwise conv, BN, 1×1 conv, BN, ReLU; down-sampling units only) and branch_main (1×1 conv, BN, ReLU, depthwise
    /// conv, BN, 1×1 conv, BN, ReLU), conv_last.0/.1 and classifier.0 (no bias). The paper's layout (Stage 2's first unit
    /// keeps C_in on the left), and megvii's shuffle placement (<see cref="CheckpointWiring.MegviiShuffles"/>).
    /// </summary>
    public static readonly CheckpointNaming Megvii = new(
        CheckpointSource.Megvii, ModelFamily.ShuffleNetV2, "megvii ShuffleNetV2",
        new ModelOptions { Layout = ModelLayout.Megvii }, BatchNormEpsilon: 1e-5f,
        [
            new("stem", "first_conv", new Dictionary<string, CheckpointUnit[]> { ["conv1"] = [new("0", "1")] }),
            new("stage*", "features.{n}", new Dictionary<string, CheckpointUnit[]>
            {
                ["branch1.dw branch1.pw branch2.pw1 branch2.dw branch2.pw2"] =
                [
                    new("branch_proj.0", "branch_proj.1"), new("branch_proj.2", "branch_proj.3"),
                    new("branch_main.0", "branch_main.1"), new("branch_main.3", "branch_main.4"), new("branch_main.5", "branch_main.6"),
                ],
                ["branch2.pw1 branch2.dw branch2.pw2"] = [new("branch_main.0", "branch_main.1"), new("branch_main.3", "branch_main.4"), new("branch_main.5", "branch_main.6")],
            }),
            new("conv5", "conv_last", new Dictionary<string, CheckpointUnit[]> { ["conv5"] = [new("0", "1")] }),
            new("classifier", "classifier", new Dictionary<string, CheckpointUnit[]> { ["fc"] = [new("0")] }),
        ], CheckpointWiring.MegviiShuffles);
}
