using LightNets.Tensors;

namespace LightNets.Graphs;

/// <summary>
/// How a builder fills new weights. Each initializer's values depend only on (<see cref="Seed"/>, its name), never on
/// the order in which tensors are created or read, so weights are lazily materialized and still reproducible.
/// </summary>
/// <param name="Seed">Seed of the deterministic generator.</param>
/// <param name="RandomizeStatistics">
/// When true, BatchNorm γ, β, running mean and variance, and the biases torchvision initializes to zero, are drawn at
/// random, so that BN is not an identity and biases are not zero in tests. When false, torchvision's initialization:
/// γ = 1, β = 0, μ = 0, σ² = 1, zero biases.
/// </param>
public sealed record WeightInit(ulong Seed = 0, bool RandomizeStatistics = false)
{
    public static WeightInit Default { get; } = new();

    /// <summary>Conv weights: Kaiming normal, mode fan_out, as torchvision: N(0, 2 / (Cout·kh·kw)).</summary>
    public Tensor ConvWeight(string name, Shape shape)
    {
        var fanOut = (double)shape[0] * shape[2] * shape[3];
        return Normal(name, shape, 0, Math.Sqrt(2.0 / fanOut));
    }

    /// <summary>Linear weights: N(0, 0.01²), as torchvision's MobileNets.</summary>
    public Tensor LinearWeight(string name, Shape shape) => Normal(name, shape, 0, 0.01);

    public Tensor Bias(string name, int channels) =>
        RandomizeStatistics ? Normal(name, new Shape(channels), 0, 0.1) : Constant(new Shape(channels), 0f);

    public Tensor BatchNormScale(string name, int c) => RandomizeStatistics ? Uniform(name, c, 0.5f, 1.5f) : Constant(new Shape(c), 1f);
    public Tensor BatchNormBias(string name, int c) => RandomizeStatistics ? Normal(name, new Shape(c), 0, 0.1) : Constant(new Shape(c), 0f);
    public Tensor BatchNormMean(string name, int c) => RandomizeStatistics ? Normal(name, new Shape(c), 0, 0.1) : Constant(new Shape(c), 0f);
    public Tensor BatchNormVariance(string name, int c) => RandomizeStatistics ? Uniform(name, c, 0.5f, 1.5f) : Constant(new Shape(c), 1f);

    private Tensor Normal(string name, Shape shape, double mean, double std)
    {
        var seed = Mix(Seed, name);
        return Tensor.Lazy(shape, s =>
        {
            var data = new float[s.ElementCount];
            new Rng(seed).FillNormal(data, mean, std);
            return data;
        });
    }

    private Tensor Uniform(string name, int c, float lo, float hi)
    {
        var seed = Mix(Seed, name);
        return Tensor.Lazy(new Shape(c), s =>
        {
            var data = new float[s.ElementCount];
            new Rng(seed).FillUniform(data, lo, hi);
            return data;
        });
    }

    private static Tensor Constant(Shape shape, float value) => Tensor.Lazy(shape, s =>
    {
        var data = new float[s.ElementCount];
        if (value != 0f) Array.Fill(data, value);
        return data;
    });

    /// <summary>FNV-1a over the name, combined with the seed: a stable per-tensor stream.</summary>
    private static ulong Mix(ulong seed, string name)
    {
        var h = 14695981039346656037UL;
        foreach (var ch in name)
        {
            h ^= ch;
            h *= 1099511628211UL;
        }
        return h ^ (seed * 0x9E3779B97F4A7C15UL);
    }
}
