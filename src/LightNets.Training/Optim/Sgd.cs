using System.Numerics;
using System.Runtime.InteropServices;

namespace LightNets.Training.Optim;

/// <summary>
/// Stochastic gradient descent with momentum, dampening and Nesterov momentum, computed as <c>torch.optim.SGD</c>
/// (1.13) computes it, element by element and in the same order:
/// <code>
/// d = g + wd·w                       (coupled L2 weight decay: PyTorch adds wd·w to the gradient)
/// b = d on the first step, else b = m·b + (1 − dampening)·d
/// d = d + m·b (Nesterov) or d = b
/// w = w − lr·d
/// </code>
/// The learning rate multiplies the step, not the buffer, so a schedule that changes the rate changes the next step
/// at once (TF's ApplyMomentum does the same; TF's RMSProp does not, see <see cref="TfRmsProp"/>). PyTorch's additions
/// with a factor (<c>add(x, alpha=a)</c>) are fused multiply-adds in its CPU kernels, and are here too, so the results
/// are PyTorch's to the bit (tests/fixtures/training/optim).
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly float[][]? _buffers;
    private readonly bool _hasMomentum;
    private double _momentum;

    /// <param name="parameters">The parameters to train.</param>
    /// <param name="momentum">PyTorch's momentum (0: plain SGD, no buffer).</param>
    /// <param name="dampening">Scales the new gradient into the buffer by 1 − dampening (0 for Nesterov).</param>
    /// <param name="nesterov">Nesterov momentum, as PyTorch formulates it (needs momentum &gt; 0 and dampening 0).</param>
    /// <param name="weightDecay">Coupled L2 weight decay: wd·w is added to the gradient of the parameters the mask selects.</param>
    /// <param name="mask">Which parameters decay (default: not BatchNorm γ/β and biases).</param>
    public Sgd(IEnumerable<Parameter> parameters, double momentum = 0, double dampening = 0, bool nesterov = false,
        double weightDecay = 0, WeightDecayMask mask = default)
        : base(parameters, weightDecay, mask)
    {
        RequireMomentum("SGD momentum", momentum);
        OptimizationSettingsException.RequireFinite("SGD dampening", dampening, 0, 1);
        if (nesterov && (momentum == 0 || dampening != 0))
            throw new OptimizationSettingsException($"Nesterov momentum needs a momentum above 0 and dampening 0, got momentum {momentum} and dampening {dampening}");
        _hasMomentum = momentum != 0;
        _momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        if (_hasMomentum) _buffers = AddSlots("momentum_buffer", 0);
    }

    public override string Kind => "sgd";
    public double Dampening { get; }
    public bool Nesterov { get; }

    /// <summary>
    /// The momentum of the next step. An optimizer built with momentum keeps a momentum in (0, 1]; one built without
    /// has no buffer and stays at 0 (PyTorch would start a buffer mid-run, which no schedule here asks for).
    /// </summary>
    public override double Momentum
    {
        get => _momentum;
        set
        {
            if (_hasMomentum) OptimizationSettingsException.RequireFinite("SGD momentum", value, 0, 1, minExclusive: true);
            else if (value != 0) throw new OptimizationSettingsException($"this SGD optimizer was built without momentum, so its momentum cannot become {value}; build it with the momentum to start from");
            _momentum = value;
        }
    }

    protected override void Update(int index, Parameter parameter, double learningRate, double weightDecay, long step)
    {
        var k = new Scalars((float)weightDecay, (float)_momentum, (float)(1 - Dampening), (float)-learningRate);
        if (_buffers is null) Plain(parameter.Value, parameter.Grad, k, Vectorized);
        else if (step == 1) FirstMomentum(parameter.Value, parameter.Grad, _buffers[index], k, Nesterov, Vectorized);
        else WithMomentum(parameter.Value, parameter.Grad, _buffers[index], k, Nesterov, Vectorized);
    }

    /// <summary>The step's constants, as PyTorch converts its Python floats to the tensor's float32.</summary>
    private readonly record struct Scalars(float WeightDecay, float Momentum, float OneMinusDampening, float NegativeRate)
    {
        public Vector<float> Wd => new(WeightDecay);
    }

    private static void Plain(Span<float> w, ReadOnlySpan<float> g, in Scalars k, bool vectorized)
    {
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var gr = ref MemoryMarshal.GetReference(g);
        var decay = k.WeightDecay != 0;
        var i = 0;
        if (vectorized)
        {
            var wd = k.Wd;
            var lr = new Vector<float>(k.NegativeRate);
            for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var wv = Vector.LoadUnsafe(ref wr, (nuint)i);
                var d = Vector.LoadUnsafe(ref gr, (nuint)i);
                if (decay) d = Vector.FusedMultiplyAdd(wv, wd, d);
                Vector.FusedMultiplyAdd(d, lr, wv).StoreUnsafe(ref wr, (nuint)i);
            }
        }
        for (; i < w.Length; i++)
        {
            var d = decay ? MathF.FusedMultiplyAdd(w[i], k.WeightDecay, g[i]) : g[i];
            w[i] = MathF.FusedMultiplyAdd(d, k.NegativeRate, w[i]);
        }
    }

    /// <summary>PyTorch's first momentum step: the buffer starts as a copy of the (decayed) gradient, undamped.</summary>
    private static void FirstMomentum(Span<float> w, ReadOnlySpan<float> g, Span<float> b, in Scalars k, bool nesterov, bool vectorized)
    {
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var gr = ref MemoryMarshal.GetReference(g);
        ref var br = ref MemoryMarshal.GetReference(b);
        var decay = k.WeightDecay != 0;
        var i = 0;
        if (vectorized)
        {
            var wd = k.Wd;
            var m = new Vector<float>(k.Momentum);
            var lr = new Vector<float>(k.NegativeRate);
            for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var wv = Vector.LoadUnsafe(ref wr, (nuint)i);
                var d = Vector.LoadUnsafe(ref gr, (nuint)i);
                if (decay) d = Vector.FusedMultiplyAdd(wv, wd, d);
                d.StoreUnsafe(ref br, (nuint)i);
                if (nesterov) d = Vector.FusedMultiplyAdd(d, m, d);
                Vector.FusedMultiplyAdd(d, lr, wv).StoreUnsafe(ref wr, (nuint)i);
            }
        }
        for (; i < w.Length; i++)
        {
            var d = decay ? MathF.FusedMultiplyAdd(w[i], k.WeightDecay, g[i]) : g[i];
            b[i] = d;
            if (nesterov) d = MathF.FusedMultiplyAdd(d, k.Momentum, d);
            w[i] = MathF.FusedMultiplyAdd(d, k.NegativeRate, w[i]);
        }
    }

    private static void WithMomentum(Span<float> w, ReadOnlySpan<float> g, Span<float> b, in Scalars k, bool nesterov, bool vectorized)
    {
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var gr = ref MemoryMarshal.GetReference(g);
        ref var br = ref MemoryMarshal.GetReference(b);
        var decay = k.WeightDecay != 0;
        var i = 0;
        if (vectorized)
        {
            var wd = k.Wd;
            var m = new Vector<float>(k.Momentum);
            var damp = new Vector<float>(k.OneMinusDampening);
            var lr = new Vector<float>(k.NegativeRate);
            for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var wv = Vector.LoadUnsafe(ref wr, (nuint)i);
                var d = Vector.LoadUnsafe(ref gr, (nuint)i);
                if (decay) d = Vector.FusedMultiplyAdd(wv, wd, d);
                var bv = Vector.FusedMultiplyAdd(d, damp, Vector.LoadUnsafe(ref br, (nuint)i) * m);
                bv.StoreUnsafe(ref br, (nuint)i);
                d = nesterov ? Vector.FusedMultiplyAdd(bv, m, d) : bv;
                Vector.FusedMultiplyAdd(d, lr, wv).StoreUnsafe(ref wr, (nuint)i);
            }
        }
        for (; i < w.Length; i++)
        {
            var d = decay ? MathF.FusedMultiplyAdd(w[i], k.WeightDecay, g[i]) : g[i];
            var bi = MathF.FusedMultiplyAdd(d, k.OneMinusDampening, b[i] * k.Momentum);
            b[i] = bi;
            d = nesterov ? MathF.FusedMultiplyAdd(bi, k.Momentum, d) : bi;
            w[i] = MathF.FusedMultiplyAdd(d, k.NegativeRate, w[i]);
        }
    }
}
