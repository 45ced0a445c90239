namespace LightNets.Cli.Commands;

/// <summary>The counting conventions, as --help prints them (the full text is src/LightNets/Cost/Conventions.md).</summary>
internal static class Conventions
{
    public const string Help = """
        Counting conventions (all for the model's batch; the zoo builds batch 1):
          MACs          multiply-accumulates of conv and FC layers (SE's FCs included); BN, activations,
                        pooling, add, mul, concat, split and shuffle count zero. = the papers' "FLOPs",
                        "Mult-Adds", torchvision's _ops. FLOPs(2x) = 2 x MACs, shown only with that label.
          MACs w/o FC   minus the final conv/FC that produces the logits (ShuffleNetV1 Table 1).
          params        C1 = torchvision's num_params: conv/FC weights and biases + BN gamma and beta.
          params no-BN  C1 without BN gamma/beta (TF-slim's MobileNetV2 README).
          params folded after folding BN into the conv before it (= fp32 weight bytes / 4).
          MAC           memory access cost, ShuffleNetV2 G1: input + output + weight elements of every conv
                        and FC layer (h*w*(c1+c2) + c1*c2 for a 1x1 conv), in elements (x4 for bytes).
          MAC all-ops   also counts each element-wise/data-movement op reading its inputs and writing its
                        outputs once (the G4 argument).
        """;
}
