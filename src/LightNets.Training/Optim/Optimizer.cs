namespace LightNets.Training.Optim;

/// <summary>
/// One piece of an optimizer's state: a buffer the size of one parameter (a momentum buffer, a running mean square,
/// Adam's moments), named as PyTorch's optimizer state names it (TF's slot name for the TF RMSProp form).
/// </summary>
public sealed record OptimizerSlot(string Name, Parameter Parameter, float[] Values);

/// <summary>
/// Updates parameters in place from their gradients, one <see cref="Step"/> per training step. Every state buffer is
/// allocated by the constructor, so no step allocates. A parameter with <see cref="Parameter.Trainable"/> false is
/// left alone (value and state), as PyTorch skips a parameter without a gradient; weight decay applies to the
/// parameters the <see cref="WeightDecayMask"/> selects (PyTorch: two parameter groups, one with weight decay 0).
/// <para>
/// Each optimizer counts the steps it has applied to each parameter, as PyTorch keeps <c>state[p]["step"]</c>: AdamW's
/// bias correction and the first step of SGD's momentum depend on it, and a checkpoint stores it.
/// </para>
/// </summary>
public abstract class Optimizer
{
    private readonly Parameter[] _parameters;
    private readonly bool[] _decays;
    private readonly long[] _steps;
    private readonly List<OptimizerSlot> _slots = [];

    protected Optimizer(IEnumerable<Parameter> parameters, double weightDecay, WeightDecayMask mask)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = [.. parameters];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in _parameters)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(parameters));
            if (!names.Add(p.Name)) throw new ArgumentException($"parameter '{p.Name}' is listed twice", nameof(parameters));
        }
        OptimizationSettingsException.RequireFinite("weight decay", weightDecay, 0, double.PositiveInfinity);
        WeightDecay = weightDecay;
        DecayMask = mask;
        _decays = Array.ConvertAll(_parameters, p => mask.Decays(p.Kind));
        _steps = new long[_parameters.Length];
    }

    /// <summary>The optimizer's name in checkpoints and logs: "sgd", "rmsprop", "rmsprop-tf", "adamw".</summary>
    public abstract string Kind { get; }

    public IReadOnlyList<Parameter> Parameters => _parameters;
    public double WeightDecay { get; }
    public WeightDecayMask DecayMask { get; }

    /// <summary>
    /// The momentum the next step uses (AdamW: β1). A one-cycle schedule changes it every step, as torch's OneCycleLR
    /// rewrites the parameter group's <c>momentum</c> (or <c>betas[0]</c>).
    /// </summary>
    public abstract double Momentum { get; set; }

    /// <summary>Every state buffer, per parameter, in a fixed order (the checkpoint's).</summary>
    public IReadOnlyList<OptimizerSlot> Slots => _slots;

    /// <summary>Whether the update loops use SIMD vectors. Tests turn it off to compare with the plain loop, which computes every element the same way.</summary>
    internal bool Vectorized { get; init; } = true;

    /// <summary>How many steps have updated parameter <paramref name="index"/> (frozen steps do not count).</summary>
    public long StepsOf(int index) => _steps[index];

    internal void RestoreSteps(int index, long steps) => _steps[index] = steps;

    /// <summary>
    /// Applies one update to every trainable parameter from its <see cref="Parameter.Grad"/>, with
    /// <paramref name="learningRate"/> (a schedule's rate for this step).
    /// </summary>
    public void Step(double learningRate)
    {
        OptimizationSettingsException.RequireFinite("learning rate", learningRate, 0, double.PositiveInfinity);
        for (var i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            if (!p.Trainable) continue;
            Update(i, p, learningRate, _decays[i] ? WeightDecay : 0, ++_steps[i]);
        }
    }

    /// <summary>Updates one parameter; <paramref name="step"/> counts this step (1 on the first).</summary>
    protected abstract void Update(int index, Parameter parameter, double learningRate, double weightDecay, long step);

    /// <summary>Allocates one state buffer per parameter, filled with <paramref name="initial"/>; the constructor's job.</summary>
    protected float[][] AddSlots(string name, float initial)
    {
        var buffers = new float[_parameters.Length][];
        for (var i = 0; i < _parameters.Length; i++)
        {
            buffers[i] = new float[_parameters[i].Value.Length];
            if (initial != 0) Array.Fill(buffers[i], initial);
            _slots.Add(new OptimizerSlot(name, _parameters[i], buffers[i]));
        }
        return buffers;
    }

    internal static void RequireMomentum(string name, double value) =>
        OptimizationSettingsException.RequireFinite(name, value, 0, 1);
}
