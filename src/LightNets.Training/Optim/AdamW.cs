using System.Numerics;
using System.Runtime.InteropServices;

namespace LightNets.Training.Optim;

/// <summary>
/// Adam with decoupled weight decay, computed as <c>torch.optim.AdamW</c> (1.13, amsgrad off) computes it, with t the
/// parameter's own step count:
/// <code>
/// w = w·(1 − lr·wd)                                   (decoupled: the decay never enters the moments)
/// m = β1·m + (1 − β1)·g;   v = β2·v + (1 − β2)·g²      (both start at 0)
/// w = w − (lr / (1 − β1ᵗ))·m / (√v / √(1 − β2ᵗ) + ε)   (bias-corrected; ε outside the root)
/// </code>
/// Weight decay here is decoupled and scaled by the learning rate, unlike SGD's and RMSProp's coupled L2 term: PyTorch's
/// default wd for AdamW is 0.01, two to three orders above the papers' SGD/RMSProp values (4e-5, 1e-5), which are not
/// interchangeable with it.
/// <para>Multiply-adds are fused where PyTorch's CPU kernels fuse them (<c>add</c> with a factor, <c>addcmul</c>), so the
/// results are PyTorch's to the bit (tests/fixtures/training/optim).</para>
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly float[][] _m;
    private readonly float[][] _v;
    private double _beta1;

    /// <param name="parameters">The parameters to train.</param>
    /// <param name="beta1">Decay of the first moment (a one-cycle schedule cycles it through <see cref="Momentum"/>).</param>
    /// <param name="beta2">Decay of the second moment.</param>
    /// <param name="epsilon">Added to the bias-corrected root of the second moment.</param>
    /// <param name="weightDecay">Decoupled weight decay: each step multiplies the selected weights by 1 − lr·wd.</param>
    /// <param name="mask">Which parameters decay (default: not BatchNorm γ/β and biases).</param>
    public AdamW(IEnumerable<Parameter> parameters, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8,
        double weightDecay = 0.01, WeightDecayMask mask = default)
        : base(parameters, weightDecay, mask)
    {
        RequireBeta("AdamW beta1", beta1);
        RequireBeta("AdamW beta2", beta2);
        OptimizationSettingsException.RequireFinite("AdamW epsilon", epsilon, 0, double.PositiveInfinity);
        _beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        _m = AddSlots("exp_avg", 0);
        _v = AddSlots("exp_avg_sq", 0);
    }

    public override string Kind => "adamw";
    public double Beta2 { get; }
    public double Epsilon { get; }

    /// <summary>β1, which torch's OneCycleLR cycles as AdamW's momentum.</summary>
    public override double Momentum
    {
        get => _beta1;
        set
        {
            RequireBeta("AdamW beta1", value);
            _beta1 = value;
        }
    }

    // β = 1 would make the bias correction 1 − βᵗ zero: PyTorch requires β < 1 too.
    private static void RequireBeta(string name, double value)
    {
        if (!(value >= 0 && value < 1)) throw new OptimizationSettingsException($"{name} must be a finite number in [0, 1), got {value}");
    }

    protected override void Update(int index, Parameter parameter, double learningRate, double weightDecay, long step)
    {
        // As PyTorch: the bias corrections and the step size in double, then each constant converted to float32.
        var correction1 = 1 - Math.Pow(_beta1, step);
        var correction2Root = Math.Sqrt(1 - Math.Pow(Beta2, step));
        var k = new Scalars((float)(1 - learningRate * weightDecay), (float)_beta1, (float)(1 - _beta1), (float)Beta2,
            (float)(1 - Beta2), (float)correction2Root, (float)Epsilon, (float)-(learningRate / correction1));
        Apply(parameter.Value, parameter.Grad, _m[index], _v[index], k, Vectorized);
    }

    private readonly record struct Scalars(float Shrink, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
        float Correction2Root, float Epsilon, float NegativeStepSize);

    private static void Apply(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in Scalars k, bool vectorized)
    {
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var gr = ref MemoryMarshal.GetReference(g);
        ref var mr = ref MemoryMarshal.GetReference(m);
        ref var vr = ref MemoryMarshal.GetReference(v);
        var i = 0;
        if (vectorized)
        {
            Vector<float> shrink = new(k.Shrink), b1 = new(k.Beta1), c1 = new(k.OneMinusBeta1), b2 = new(k.Beta2), c2 = new(k.OneMinusBeta2);
            Vector<float> root2 = new(k.Correction2Root), eps = new(k.Epsilon), step = new(k.NegativeStepSize);
            for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var gv = Vector.LoadUnsafe(ref gr, (nuint)i);
                var mv = Vector.FusedMultiplyAdd(gv, c1, Vector.LoadUnsafe(ref mr, (nuint)i) * b1);
                var vv = Vector.FusedMultiplyAdd(c2 * gv, gv, Vector.LoadUnsafe(ref vr, (nuint)i) * b2);
                mv.StoreUnsafe(ref mr, (nuint)i);
                vv.StoreUnsafe(ref vr, (nuint)i);
                var denominator = Vector.SquareRoot(vv) / root2 + eps;
                (Vector.LoadUnsafe(ref wr, (nuint)i) * shrink + step * mv / denominator).StoreUnsafe(ref wr, (nuint)i);
            }
        }
        for (; i < w.Length; i++)
        {
            var mi = MathF.FusedMultiplyAdd(g[i], k.OneMinusBeta1, m[i] * k.Beta1);
            var vi = MathF.FusedMultiplyAdd(k.OneMinusBeta2 * g[i], g[i], v[i] * k.Beta2);
            m[i] = mi;
            v[i] = vi;
            var denominator = MathF.Sqrt(vi) / k.Correction2Root + k.Epsilon;
            w[i] = w[i] * k.Shrink + k.NegativeStepSize * mi / denominator;
        }
    }
}
