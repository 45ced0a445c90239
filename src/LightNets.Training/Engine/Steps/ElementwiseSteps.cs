using System.Numerics;

namespace LightNets.Training.Engine.Steps;

/// <summary>
/// One operand of Add or Mul over output rows [N·H·W, C]: a computed value of the output's shape, a computed [N, C]
/// value broadcast over each image's pixels (SE's scale), or a constant scalar or per-channel vector.
/// </summary>
internal sealed class Operand<T>(Slot? slot, bool perImage, T[]? constant, GradTarget? grad) where T : unmanaged, IFloatingPointIeee754<T>
{
    public Slot? Slot { get; } = slot;
    public bool PerImage { get; } = perImage;
    public T[]? Constant { get; } = constant;
    public GradTarget? Grad { get; } = grad;

    /// <summary>The operand's value at output row r = (n·hw + p), channel j.</summary>
    public T At(ReadOnlySpan<T> data, int r, int j, int hw, int c) =>
        Constant is { } k ? k[k.Length == 1 ? 0 : j] : PerImage ? data[r / hw * c + j] : data[r * c + j];

    public ReadOnlySpan<T> Data(StepContext<T> ctx) => Slot is null ? default : ctx.Span(Slot);

    /// <summary>A computed value of the output's own shape.</summary>
    public bool IsFull => Slot is not null && !PerImage;
}

/// <summary>
/// Add: y = a + b with the broadcasts of <see cref="Operand{T}"/>. Backward hands the output gradient to a full-shape
/// operand as it is and sums it over the pixels for a per-image one (copying or adding, so no scratch is needed).
/// </summary>
internal sealed class AddStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _rows, _hw, _c;
    private readonly Operand<T> _a, _b;
    private readonly Slot _y;
    private readonly Slot? _gy;

    public AddStep(string name, int rows, int hw, int c, Operand<T> a, Operand<T> b, Slot y, Slot? gy) : base(name)
    {
        (_rows, _hw, _c, _a, _b, _y, _gy) = (rows, hw, c, a, b, y, gy);
        Track(a.Grad);
        Track(b.Grad);
    }

    public override bool HasBackward => Targets.Count > 0;

    public override void Forward(StepContext<T> c)
    {
        ReadOnlySpan<T> a = _a.Data(c), b = _b.Data(c);
        var y = c.Span(_y);
        if (_a.IsFull && _b.IsFull)
        {
            c.Loops.Add(c.Ctx, a, b, y); // the residual connection: the common case, vectorized and parallel
            return;
        }
        for (var r = 0; r < _rows; r++)
        for (var j = 0; j < _c; j++)
            y[r * _c + j] = _a.At(a, r, j, _hw, _c) + _b.At(b, r, j, _hw, _c);
    }

    public override void Backward(StepContext<T> c)
    {
        Into(c, _a);
        Into(c, _b);
    }

    private void Into(StepContext<T> c, Operand<T> operand)
    {
        if (operand.Grad is not { } t) return;
        ReadOnlySpan<T> gy = c.Span(_gy!);
        var g = c.Span(t.Grad);
        if (!operand.PerImage)
        {
            c.Loops.CopyOrAdd(c.Ctx, gy, g, t.Accumulate);
            return;
        }
        if (!t.Accumulate) g.Clear();
        for (var r = 0; r < _rows; r++)
        for (var j = 0; j < _c; j++)
            g[r / _hw * _c + j] += gy[r * _c + j];
    }

    public override IEnumerable<Slot> ForwardSlots() => [.. When(true, _a.Slot), .. When(true, _b.Slot), _y];
    public override IEnumerable<Slot> BackwardSlots() => [_gy!, .. SlotsOf(_a.Grad), .. SlotsOf(_b.Grad)];
}

/// <summary>
/// Mul: y = a·b with the broadcasts of <see cref="Operand{T}"/>. The squeeze-and-excitation case (a full map times a
/// per-image channel scale) runs on the ScaleChannels kernels; the others are plain loops. Backward keeps both computed
/// operands: each one's gradient is the output gradient times the other.
/// </summary>
internal sealed class MulStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _rows, _hw, _c;
    private readonly Operand<T> _a, _b;
    private readonly Slot _y;
    private readonly Slot? _gy, _scratchA, _scratchB;
    private readonly bool _scale;

    // When one operand is a per-image scale, a is the full-shape one (the kernels' argument order).
    public MulStep(string name, int rows, int hw, int c, Operand<T> a, Operand<T> b, Slot y, Slot? gy) : base(name)
    {
        (_rows, _hw, _c, _a, _b, _y, _gy) = (rows, hw, c, a, b, y, gy);
        Track(a.Grad);
        Track(b.Grad);
        _scale = !a.PerImage && a.Slot is not null && b.PerImage;
        if (_scale && HasBackward)
        {
            // The kernel writes both gradients; the one nobody wants goes to scratch.
            if (a.Grad is null) _scratchA = new Slot($"{name}.unused-dx", a.Slot!.Length, Elementwise.Size<T>());
            if (b.Grad is null) _scratchB = new Slot($"{name}.unused-ds", b.Slot!.Length, Elementwise.Size<T>());
        }
    }

    public override bool HasBackward => Targets.Count > 0;

    public override void Forward(StepContext<T> c)
    {
        ReadOnlySpan<T> a = _a.Data(c), b = _b.Data(c);
        var y = c.Span(_y);
        if (_scale)
        {
            c.Kernels.ScaleChannelsForward(c.Ctx, _rows / _hw, _hw, _c, a, b, y);
            return;
        }
        for (var r = 0; r < _rows; r++)
        for (var j = 0; j < _c; j++)
            y[r * _c + j] = _a.At(a, r, j, _hw, _c) * _b.At(b, r, j, _hw, _c);
    }

    public override void Backward(StepContext<T> c)
    {
        ReadOnlySpan<T> gy = c.Span(_gy!), a = _a.Data(c), b = _b.Data(c);
        if (_scale)
        {
            var dx = _a.Grad is { } ta ? ta.Begin(c) : c.Span(_scratchA!);
            var ds = _b.Grad is { } tb ? tb.Begin(c) : c.Span(_scratchB!);
            c.Kernels.ScaleChannelsBackward(c.Ctx, _rows / _hw, _hw, _c, a, b, gy, dx, ds);
            _a.Grad?.End(c);
            _b.Grad?.End(c);
            return;
        }
        Into(c, _a, _b, b, gy);
        Into(c, _b, _a, a, gy);
    }

    /// <summary>g(target) (+)= gy · other, summed over pixels when the target is per-image.</summary>
    private void Into(StepContext<T> c, Operand<T> target, Operand<T> other, ReadOnlySpan<T> otherData, ReadOnlySpan<T> gy)
    {
        if (target.Grad is not { } t) return;
        var g = c.Span(t.Grad);
        if (target.PerImage)
        {
            if (!t.Accumulate) g.Clear();
            for (var r = 0; r < _rows; r++)
            for (var j = 0; j < _c; j++)
                g[r / _hw * _c + j] += gy[r * _c + j] * other.At(otherData, r, j, _hw, _c);
            return;
        }
        for (var r = 0; r < _rows; r++)
        for (var j = 0; j < _c; j++)
        {
            var v = gy[r * _c + j] * other.At(otherData, r, j, _hw, _c);
            ref var d = ref g[r * _c + j];
            d = t.Accumulate ? d + v : v;
        }
    }

    public override IEnumerable<Slot> ForwardSlots() => [.. When(true, _a.Slot), .. When(true, _b.Slot), _y];

    public override IEnumerable<Slot> BackwardSlots() =>
        [_gy!, .. When(true, _a.Slot), .. When(true, _b.Slot), .. SlotsOf(_a.Grad), .. SlotsOf(_b.Grad), .. When(true, _scratchA), .. When(true, _scratchB)];
}

/// <summary>
/// Dropout with ratio p in training mode: each element is kept with probability 1 − p and scaled by 1/(1 − p), the
/// rest zeroed; the mask (0 or the scale) is kept for backward. The mask of element i in training step s is a pure
/// function of (seed, s, the node's ordinal, i), so it does not depend on threads and a resumed run draws the same.
/// </summary>
internal sealed class DropoutStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly float _ratio;
    private readonly int _ordinal;
    private readonly Slot _x, _y, _mask;
    private readonly Slot? _gy;
    private readonly GradTarget? _gx;

    public DropoutStep(string name, float ratio, int ordinal, Slot x, Slot y, Slot? gy, GradTarget? gx) : base(name)
    {
        (_ratio, _ordinal, _x, _y, _gy) = (ratio, ordinal, x, y, gy);
        _gx = Track(gx);
        _mask = new Slot($"{name}.mask", x.Length, Elementwise.Size<T>());
    }

    public override bool HasBackward => _gx is not null;

    public override void Forward(StepContext<T> c)
    {
        ReadOnlySpan<T> x = c.Span(_x);
        Span<T> y = c.Span(_y), mask = c.Span(_mask);
        var scale = T.One / (T.One - T.CreateChecked(_ratio));
        var key = Mix(c.Seed ^ Mix((ulong)c.StepNumber * 0x9E3779B97F4A7C15UL + (ulong)_ordinal));
        // Keep when 24 random bits ≥ p·2²⁴: a threshold fixed per node, so the comparison is exact.
        var threshold = (ulong)Math.Ceiling(_ratio * (double)(1 << 24));
        for (var i = 0; i < x.Length; i++)
        {
            var keep = Mix(key + (ulong)i * 0xD1B54A32D192ED03UL) >> 40 >= threshold;
            mask[i] = keep ? scale : T.Zero;
            y[i] = x[i] * mask[i];
        }
    }

    public override void Backward(StepContext<T> c)
    {
        ReadOnlySpan<T> gy = c.Span(_gy!), mask = c.Span(_mask);
        var dx = c.Span(_gx!.Grad);
        for (var i = 0; i < dx.Length; i++) dx[i] = _gx.Accumulate ? dx[i] + gy[i] * mask[i] : gy[i] * mask[i];
    }

    /// <summary>SplitMix64's finalizer: a bijective mix of 64 bits.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _y, _mask];
    public override IEnumerable<Slot> BackwardSlots() => [_gy!, _mask, .. SlotsOf(_gx)];
}
