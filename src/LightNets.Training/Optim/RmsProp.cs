using System.Numerics;
using System.Runtime.InteropServices;

namespace LightNets.Training.Optim;

/// <summary>
/// RMSProp in PyTorch's form, computed as <c>torch.optim.RMSprop</c> (1.13) computes it, element by element:
/// <code>
/// d  = g + wd·w                                   (coupled L2 weight decay)
/// s  = α·s + (1 − α)·d²                           (s starts at 0)
/// a  = α·a + (1 − α)·d; r = √(s − a²)             (centered)   or   r = √s
/// r  = r + ε                                      (ε OUTSIDE the square root)
/// b  = m·b + d / r;  w = w − lr·b                 (momentum &gt; 0: the rate multiplies the step, not the buffer)
/// w  = w − lr·d / r                               (momentum 0)
/// </code>
/// This is NOT TensorFlow's RMSProp, which the MobileNetV2/V3 papers trained with: TF keeps ε inside
/// the square root, starts the mean square at 1 and folds the rate into the momentum buffer; use
/// <see cref="TfRmsProp"/> to follow those recipes. With s starting at 0 and a small ε, PyTorch's first step moves
/// every weight by ≈ lr/√(1 − α) whatever its gradient (10·lr for α = 0.99), where TF's moves it by ≈ lr·g/√α;
/// torchvision's MobileNetV3 recipe used α = 0.9, ε = 0.0316 to approximate TF's behaviour.
/// <para>Multiply-adds are fused where PyTorch's CPU kernels fuse them (<c>add</c> with a factor, <c>addcmul</c>), so the
/// results are PyTorch's to the bit (tests/fixtures/training/optim).</para>
/// </summary>
public sealed class RmsProp : Optimizer
{
    private readonly float[][] _squareAvg;
    private readonly float[][]? _gradAvg;
    private readonly float[][]? _buffers;
    private double _momentum;

    /// <param name="parameters">The parameters to train.</param>
    /// <param name="alpha">Smoothing constant of the running mean square (PyTorch's default 0.99).</param>
    /// <param name="epsilon">Added to the root mean square (outside the root).</param>
    /// <param name="momentum">PyTorch's momentum (0: no buffer).</param>
    /// <param name="centered">Divide by the running variance of the gradient instead of its mean square.</param>
    /// <param name="weightDecay">Coupled L2 weight decay added to the gradient of the parameters the mask selects.</param>
    /// <param name="mask">Which parameters decay (default: not BatchNorm γ/β and biases).</param>
    public RmsProp(IEnumerable<Parameter> parameters, double alpha = 0.99, double epsilon = 1e-8, double momentum = 0,
        bool centered = false, double weightDecay = 0, WeightDecayMask mask = default)
        : base(parameters, weightDecay, mask)
    {
        OptimizationSettingsException.RequireFinite("RMSProp alpha", alpha, 0, 1);
        OptimizationSettingsException.RequireFinite("RMSProp epsilon", epsilon, 0, double.PositiveInfinity);
        RequireMomentum("RMSProp momentum", momentum);
        Alpha = alpha;
        Epsilon = epsilon;
        Centered = centered;
        _momentum = momentum;
        _squareAvg = AddSlots("square_avg", 0);
        if (centered) _gradAvg = AddSlots("grad_avg", 0);
        if (momentum != 0) _buffers = AddSlots("momentum_buffer", 0);
    }

    public override string Kind => "rmsprop";
    public double Alpha { get; }
    public double Epsilon { get; }
    public bool Centered { get; }

    /// <summary>The momentum of the next step: in (0, 1] if the optimizer was built with momentum, else 0.</summary>
    public override double Momentum
    {
        get => _momentum;
        set
        {
            if (_buffers is not null) OptimizationSettingsException.RequireFinite("RMSProp momentum", value, 0, 1, minExclusive: true);
            else if (value != 0) throw new OptimizationSettingsException($"this RMSProp optimizer was built without momentum, so its momentum cannot become {value}; build it with the momentum to start from");
            _momentum = value;
        }
    }

    protected override void Update(int index, Parameter parameter, double learningRate, double weightDecay, long step)
    {
        var k = new Scalars((float)weightDecay, (float)Alpha, (float)(1 - Alpha), (float)Epsilon, (float)_momentum, (float)-learningRate);
        Apply(parameter.Value, parameter.Grad, _squareAvg[index], _gradAvg?[index], _buffers?[index], k, Vectorized);
    }

    private readonly record struct Scalars(float WeightDecay, float Alpha, float OneMinusAlpha, float Epsilon, float Momentum, float NegativeRate);

    private static void Apply(Span<float> w, ReadOnlySpan<float> g, Span<float> s, Span<float> a, Span<float> b, in Scalars k, bool vectorized)
    {
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var gr = ref MemoryMarshal.GetReference(g);
        ref var sr = ref MemoryMarshal.GetReference(s);
        ref var ar = ref MemoryMarshal.GetReference(a);
        ref var br = ref MemoryMarshal.GetReference(b);
        bool decay = k.WeightDecay != 0, centered = !a.IsEmpty, momentum = !b.IsEmpty;
        var i = 0;
        if (vectorized)
        {
            Vector<float> wd = new(k.WeightDecay), alpha = new(k.Alpha), oneMinusAlpha = new(k.OneMinusAlpha);
            Vector<float> eps = new(k.Epsilon), m = new(k.Momentum), lr = new(k.NegativeRate);
            for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var wv = Vector.LoadUnsafe(ref wr, (nuint)i);
                var d = Vector.LoadUnsafe(ref gr, (nuint)i);
                if (decay) d = Vector.FusedMultiplyAdd(wv, wd, d);
                var sv = Vector.FusedMultiplyAdd(oneMinusAlpha * d, d, Vector.LoadUnsafe(ref sr, (nuint)i) * alpha);
                sv.StoreUnsafe(ref sr, (nuint)i);
                Vector<float> r;
                if (centered)
                {
                    var av = Vector.FusedMultiplyAdd(d, oneMinusAlpha, Vector.LoadUnsafe(ref ar, (nuint)i) * alpha);
                    av.StoreUnsafe(ref ar, (nuint)i);
                    r = Vector.SquareRoot(Vector.FusedMultiplyAdd(-av, av, sv)) + eps;
                }
                else r = Vector.SquareRoot(sv) + eps;
                if (momentum)
                {
                    var bv = Vector.LoadUnsafe(ref br, (nuint)i) * m + d / r;
                    bv.StoreUnsafe(ref br, (nuint)i);
                    Vector.FusedMultiplyAdd(bv, lr, wv).StoreUnsafe(ref wr, (nuint)i);
                }
                else (wv + lr * d / r).StoreUnsafe(ref wr, (nuint)i);
            }
        }
        for (; i < w.Length; i++)
        {
            var d = decay ? MathF.FusedMultiplyAdd(w[i], k.WeightDecay, g[i]) : g[i];
            var si = MathF.FusedMultiplyAdd(k.OneMinusAlpha * d, d, s[i] * k.Alpha);
            s[i] = si;
            float r;
            if (centered)
            {
                var ai = MathF.FusedMultiplyAdd(d, k.OneMinusAlpha, a[i] * k.Alpha);
                a[i] = ai;
                r = MathF.Sqrt(MathF.FusedMultiplyAdd(-ai, ai, si)) + k.Epsilon;
            }
            else r = MathF.Sqrt(si) + k.Epsilon;
            if (momentum)
            {
                var bi = b[i] * k.Momentum + d / r;
                b[i] = bi;
                w[i] = MathF.FusedMultiplyAdd(bi, k.NegativeRate, w[i]);
            }
            else w[i] = w[i] + k.NegativeRate * d / r;
        }
    }
}
