using System.Numerics;
using System.Runtime.InteropServices;

namespace LightNets.Training.Optim;

/// <summary>
/// RMSProp in TensorFlow's form, the one the MobileNetV2 and MobileNetV3 papers trained with (TF 1.x
/// <c>tf.train.RMSPropOptimizer</c>: its kernels ApplyRMSProp / ApplyCenteredRMSProp in
/// tensorflow/core/kernels/training_ops.cc, its slots in tensorflow/python/training/rmsprop.py), element by element:
/// <code>
/// g   = g + wd·w                           (coupled L2: TF-slim's l2_regularizer(wd) adds wd·‖w‖²/2 to the loss)
/// ms  = ms + (g² − ms)·(1 − ρ)              (ms, TF's slot "rms", starts at 1, not 0)
/// mg  = mg + (g − mg)·(1 − ρ)               (centered only; starts at 0)
/// mom = m·mom + lr·g / √(ms + ε)            (ε INSIDE the root; centered: √(ms − mg² + ε))
/// w   = w − mom
/// </code>
/// The traps against PyTorch's <see cref="RmsProp"/>: ε sits inside the square root, the mean
/// square starts at 1, and the learning rate is folded into the momentum buffer, so a schedule's new rate reaches the
/// weights gradually, through the buffer, rather than at once. TF's defaults are ρ ("decay") 0.9, momentum 0,
/// ε 1e-10; the papers used decay 0.9, momentum 0.9, and TF-slim's training script defaulted ε to 1.0 (reported).
/// </summary>
public sealed class TfRmsProp : Optimizer
{
    private readonly float[][] _meanSquare;
    private readonly float[][]? _meanGrad;
    private readonly float[][] _momentumBuffer;
    private double _momentum;

    /// <param name="parameters">The parameters to train.</param>
    /// <param name="decay">TF's decay ρ of the running mean square (PyTorch calls it α).</param>
    /// <param name="momentum">TF's momentum.</param>
    /// <param name="epsilon">Added to the mean square inside the square root.</param>
    /// <param name="centered">Divide by the running variance of the gradient (ApplyCenteredRMSProp).</param>
    /// <param name="weightDecay">Coupled L2 weight decay added to the gradient of the parameters the mask selects.</param>
    /// <param name="mask">Which parameters decay (default: not BatchNorm γ/β and biases).</param>
    public TfRmsProp(IEnumerable<Parameter> parameters, double decay = 0.9, double momentum = 0, double epsilon = 1e-10,
        bool centered = false, double weightDecay = 0, WeightDecayMask mask = default)
        : base(parameters, weightDecay, mask)
    {
        OptimizationSettingsException.RequireFinite("RMSProp decay", decay, 0, 1);
        OptimizationSettingsException.RequireFinite("RMSProp epsilon", epsilon, 0, double.PositiveInfinity);
        RequireMomentum("RMSProp momentum", momentum);
        Decay = decay;
        Epsilon = epsilon;
        Centered = centered;
        _momentum = momentum;
        _meanSquare = AddSlots("rms", 1);
        if (centered) _meanGrad = AddSlots("mg", 0);
        _momentumBuffer = AddSlots("momentum", 0);
    }

    public override string Kind => "rmsprop-tf";
    public double Decay { get; }
    public double Epsilon { get; }
    public bool Centered { get; }

    /// <summary>TF's momentum; its buffer always exists (with momentum 0 it holds just this step's update).</summary>
    public override double Momentum
    {
        get => _momentum;
        set
        {
            RequireMomentum("RMSProp momentum", value);
            _momentum = value;
        }
    }

    protected override void Update(int index, Parameter parameter, double learningRate, double weightDecay, long step)
    {
        // TF computes (1 − ρ) in the variable's type, from ρ already converted to it.
        var k = new Scalars((float)weightDecay, 1f - (float)Decay, (float)Epsilon, (float)_momentum, (float)learningRate);
        Apply(parameter.Value, parameter.Grad, _meanSquare[index], _meanGrad?[index], _momentumBuffer[index], k, Vectorized);
    }

    private readonly record struct Scalars(float WeightDecay, float OneMinusDecay, float Epsilon, float Momentum, float Rate);

    private static void Apply(Span<float> w, ReadOnlySpan<float> g, Span<float> ms, Span<float> mg, Span<float> mom, in Scalars k, bool vectorized)
    {
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var gr = ref MemoryMarshal.GetReference(g);
        ref var sr = ref MemoryMarshal.GetReference(ms);
        ref var ar = ref MemoryMarshal.GetReference(mg);
        ref var br = ref MemoryMarshal.GetReference(mom);
        bool decay = k.WeightDecay != 0, centered = !mg.IsEmpty;
        var i = 0;
        if (vectorized)
        {
            Vector<float> wd = new(k.WeightDecay), rho1 = new(k.OneMinusDecay), eps = new(k.Epsilon), m = new(k.Momentum), lr = new(k.Rate);
            for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var wv = Vector.LoadUnsafe(ref wr, (nuint)i);
                var gv = Vector.LoadUnsafe(ref gr, (nuint)i);
                if (decay) gv += wd * wv;
                var sv = Vector.LoadUnsafe(ref sr, (nuint)i);
                sv += (gv * gv - sv) * rho1;
                sv.StoreUnsafe(ref sr, (nuint)i);
                Vector<float> denominator;
                if (centered)
                {
                    var av = Vector.LoadUnsafe(ref ar, (nuint)i);
                    av += (gv - av) * rho1;
                    av.StoreUnsafe(ref ar, (nuint)i);
                    denominator = sv - av * av + eps;
                }
                else denominator = sv + eps;
                var bv = Vector.LoadUnsafe(ref br, (nuint)i) * m + gv * lr / Vector.SquareRoot(denominator);
                bv.StoreUnsafe(ref br, (nuint)i);
                (wv - bv).StoreUnsafe(ref wr, (nuint)i);
            }
        }
        for (; i < w.Length; i++)
        {
            var gi = decay ? g[i] + k.WeightDecay * w[i] : g[i];
            var si = ms[i] + (gi * gi - ms[i]) * k.OneMinusDecay;
            ms[i] = si;
            float denominator;
            if (centered)
            {
                var ai = mg[i] + (gi - mg[i]) * k.OneMinusDecay;
                mg[i] = ai;
                denominator = si - ai * ai + k.Epsilon;
            }
            else denominator = si + k.Epsilon;
            var bi = mom[i] * k.Momentum + gi * k.Rate / MathF.Sqrt(denominator);
            mom[i] = bi;
            w[i] -= bi;
        }
    }
}
