using System.Numerics;
using System.Runtime.InteropServices;
using LightNets.Tensors;

namespace LightNets.Training.Optim;

/// <summary>One averaged tensor: the model's live values and their exponential moving average.</summary>
public sealed record EmaTensor(string Name, Shape Shape, float[] Live, float[] Average);

/// <summary>
/// An exponential moving average of a model's weights, kept beside the training weights and used to evaluate and
/// export (MobileNetV3 trained with decay 0.9999). It averages every parameter and every BatchNorm running statistic
/// (TF-slim averages <c>trainable_variables() + moving_average_variables()</c>; timm's ModelEma averages the whole
/// state dict), frozen ones included (they just stay put).
/// <para>
/// The update is TF's <c>assign_moving_average</c>: average −= (average − value)·(1 − d). With <see cref="Warmup"/>,
/// d follows TF's <c>ExponentialMovingAverage(decay, num_updates)</c> rule, d = min(decay, (1 + n)/(10 + n)) with n
/// the number of earlier updates (0 on the first), so the average forgets its random start within the first hundreds
/// of steps instead of the first ~1/(1 − decay); without it, d = decay from the first update (timm's ModelEmaV2).
/// The average starts as a copy of the weights when the EMA is created.
/// </para>
/// </summary>
public sealed class WeightEma
{
    private readonly EmaTensor[] _tensors;

    /// <param name="parameters">The model's parameters.</param>
    /// <param name="buffers">The model's BatchNorm running statistics.</param>
    /// <param name="decay">The average's decay d (0.9999 in the MobileNetV3 paper).</param>
    /// <param name="warmup">Use TF's num_updates rule for the early updates.</param>
    public WeightEma(IEnumerable<Parameter> parameters, IEnumerable<NamedBuffer> buffers, double decay = 0.9999, bool warmup = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(buffers);
        OptimizationSettingsException.RequireFinite("EMA decay", decay, 0, 1);
        Decay = decay;
        Warmup = warmup;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var tensors = new List<EmaTensor>();
        void Add(string name, Shape shape, float[] values)
        {
            if (!names.Add(name)) throw new ArgumentException($"'{name}' is listed twice among the parameters and buffers to average");
            tensors.Add(new EmaTensor(name, shape, values, (float[])values.Clone()));
        }
        foreach (var p in parameters) Add(p.Name, p.Shape, p.Value);
        foreach (var b in buffers) Add(b.Name, b.Shape, b.Value);
        _tensors = [.. tensors];
    }

    public double Decay { get; }
    public bool Warmup { get; }

    /// <summary>How many updates the average has had.</summary>
    public long Updates { get; internal set; }

    /// <summary>The parameters first, then the buffers, in the order given.</summary>
    public IReadOnlyList<EmaTensor> Tensors => _tensors;

    /// <summary>Whether the update loop uses SIMD vectors (tests compare it with the plain loop, which it matches bit for bit).</summary>
    internal bool Vectorized { get; init; } = true;

    /// <summary>The decay the update after <paramref name="updates"/> earlier ones uses.</summary>
    public double DecayAt(long updates) => Warmup ? Math.Min(Decay, (1.0 + updates) / (10.0 + updates)) : Decay;

    /// <summary>Moves every average towards the model's current values; call it after each optimizer step.</summary>
    public void Update()
    {
        var rate = (float)(1 - DecayAt(Updates));
        foreach (var t in _tensors) Blend(t.Average, t.Live, rate, Vectorized);
        Updates++;
    }

    /// <summary>
    /// Exchanges the averages and the model's values in place, so that the model holds the averaged weights (to
    /// evaluate or export them); a second call swaps them back. Allocates nothing.
    /// </summary>
    public void Swap()
    {
        foreach (var t in _tensors)
        {
            for (var i = 0; i < t.Live.Length; i++) (t.Live[i], t.Average[i]) = (t.Average[i], t.Live[i]);
        }
    }

    private static void Blend(Span<float> average, ReadOnlySpan<float> live, float rate, bool vectorized)
    {
        ref var ar = ref MemoryMarshal.GetReference(average);
        ref var lr = ref MemoryMarshal.GetReference(live);
        var i = 0;
        if (vectorized)
        {
            var r = new Vector<float>(rate);
            for (; i <= average.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var a = Vector.LoadUnsafe(ref ar, (nuint)i);
                (a - (a - Vector.LoadUnsafe(ref lr, (nuint)i)) * r).StoreUnsafe(ref ar, (nuint)i);
            }
        }
        for (; i < average.Length; i++) average[i] -= (average[i] - live[i]) * rate;
    }
}
