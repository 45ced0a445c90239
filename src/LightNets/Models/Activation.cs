using LightNets.Graphs;

namespace LightNets.Models;

/// <summary>A nonlinearity chosen by name in a table row, never by a magic string.</summary>
public enum Activation
{
    /// <summary>Linear: no activation (MobileNetV2's projection, the depthwise conv of ShuffleNets).</summary>
    None,
    Relu,
    Relu6,
    HardSwish,
}

/// <summary>MobileNetV3's "NL" column: RE (ReLU) or HS (h-swish).</summary>
public enum Nonlinearity
{
    RE,
    HS,
}

public static class ActivationExtensions
{
    public static Activation ToActivation(this Nonlinearity nl) => nl == Nonlinearity.HS ? Activation.HardSwish : Activation.Relu;

    /// <summary>Appends the activation node (or nothing for <see cref="Activation.None"/>).</summary>
    public static Value Apply(this GraphBuilder b, Activation activation, Value x) => activation switch
    {
        Activation.None => x,
        Activation.Relu => b.Relu(x),
        Activation.Relu6 => b.Relu6(x),
        Activation.HardSwish => b.HardSwish(x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };
}
