namespace LightNets.Training.Optim;

/// <summary>
/// Which parameters weight decay applies to. The default (<c>default(WeightDecayMask)</c>) decays convolution,
/// depthwise and linear weights and leaves BatchNorm's γ/β and biases alone, as timm's and torchvision's recipes do
/// (<c>--norm-weight-decay 0</c>; torch_fmnist.py splits its groups the same way, by <c>p.ndim &gt; 1</c>).
/// </summary>
/// <param name="DecayNormAndBias">Also decay BatchNorm γ/β and biases (plain <c>torch.optim</c> with one parameter group does).</param>
/// <param name="SkipDepthwise">Also exempt depthwise filters: MobileNetV1 (Howard et al. 2017, §4) puts "very little or
/// no weight decay" on them, since they have so few parameters.</param>
public readonly record struct WeightDecayMask(bool DecayNormAndBias = false, bool SkipDepthwise = false)
{
    /// <summary>Whether a parameter of this kind decays under the mask.</summary>
    public bool Decays(ParameterKind kind) => kind switch
    {
        ParameterKind.BatchNormScale or ParameterKind.BatchNormShift or ParameterKind.Bias => DecayNormAndBias,
        ParameterKind.DepthwiseWeight => !SkipDepthwise,
        _ => true,
    };
}
