using LightNets.Tensors;

namespace LightNets.Training;

/// <summary>What a learnable tensor is, which decides how optimizers treat it (weight decay skips BN and biases by default).</summary>
public enum ParameterKind
{
    /// <summary>A dense or group convolution's weight, OIHW.</summary>
    ConvWeight,
    /// <summary>A depthwise convolution's weight, [C, 1, KH, KW] (MobileNetV1 asks for no weight decay on these).</summary>
    DepthwiseWeight,
    /// <summary>A fully connected layer's weight, [out, in].</summary>
    LinearWeight,
    /// <summary>A convolution's or linear layer's bias.</summary>
    Bias,
    /// <summary>BatchNorm's γ.</summary>
    BatchNormScale,
    /// <summary>BatchNorm's β.</summary>
    BatchNormShift,
}

/// <summary>
/// A learnable tensor of a model being trained: its value and its gradient, in PyTorch's layout (OIHW, [out, in], [C]),
/// named after the graph initializer it came from. The training session writes <see cref="Grad"/> each step; an
/// optimizer reads it and updates <see cref="Value"/> in place.
/// </summary>
public sealed class Parameter
{
    public Parameter(string name, Shape shape, ParameterKind kind, float[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length != shape.ElementCount)
            throw new ArgumentException($"parameter '{name}' has shape {shape} but {value.Length} values", nameof(value));
        Name = name;
        Shape = shape;
        Kind = kind;
        Value = value;
        Grad = new float[value.Length];
    }

    public string Name { get; }
    public Shape Shape { get; }
    public ParameterKind Kind { get; }
    public float[] Value { get; }
    public float[] Grad { get; }

    /// <summary>When false the parameter is frozen: no gradient is computed for it and optimizers leave it alone.</summary>
    public bool Trainable { get; set; } = true;

    public override string ToString() => $"{Name} {Shape} ({Kind})";
}

/// <summary>A tensor a model keeps but does not learn (BatchNorm's running mean and variance), updated by the forward pass in training mode.</summary>
public sealed class NamedBuffer(string name, Shape shape, float[] value)
{
    public string Name { get; } = name;
    public Shape Shape { get; } = shape;
    public float[] Value { get; } = value;
}
