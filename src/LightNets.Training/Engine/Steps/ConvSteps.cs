using System.Numerics;
using LightNets.Training.Kernels;

namespace LightNets.Training.Engine.Steps;

/// <summary>
/// A convolution (dense, group, depthwise). Backward: the input gradient when the input needs one, the weight and bias
/// gradients when they learn; the input is kept for backward only when the weight learns.
/// </summary>
internal sealed class ConvStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ConvShape _s;
    private readonly Slot _x, _y;
    private readonly Slot? _gy;
    private readonly ParamRef<T> _w;
    private readonly ParamRef<T>? _b;
    private readonly GradTarget? _gx;

    public ConvStep(string name, in ConvShape s, Slot x, Slot y, Slot? gy, ParamRef<T> w, ParamRef<T>? b, GradTarget? gx) : base(name)
    {
        (_s, _x, _y, _gy, _w, _b) = (s, x, y, gy, w, b);
        _gx = Track(gx);
    }

    private bool BiasLearns => _b is { Trainable: true };
    public override bool HasBackward => _gx is not null || _w.Trainable || BiasLearns;

    public override string Kind =>
        _s.IsDepthwise ? $"Conv dw{_s.KH}x{_s.KW}" : $"Conv {_s.KH}x{_s.KW}{(_s.Groups > 1 ? " grouped" : "")}";

    public override void Forward(StepContext<T> c) =>
        c.Kernels.ConvForward(c.Ctx, _s, c.Span(_x), _w.Value, _b is null ? default : _b.Value, c.Span(_y));

    public override void Backward(StepContext<T> c)
    {
        ReadOnlySpan<T> gy = c.Span(_gy!);
        if (_gx is not null)
        {
            c.Kernels.ConvBackwardData(c.Ctx, _s, gy, _w.Value, _gx.Begin(c));
            _gx.End(c);
        }
        if (_w.Trainable) c.Kernels.ConvBackwardWeight(c.Ctx, _s, c.Span(_x), gy, _w.Grad, BiasLearns ? _b!.Grad : default);
        else if (BiasLearns) Elementwise.SumRows(gy, _s.Cout, _b!.Grad);
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _y];

    public override IEnumerable<Slot> BackwardSlots() =>
        [_gy!, .. When(_w.Trainable, _x), .. SlotsOf(_gx)];
}

/// <summary>A fully connected layer (Gemm): y = x·wᵀ + b over [N, features] rows.</summary>
internal sealed class LinearStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _n, _in, _out;
    private readonly Slot _x, _y;
    private readonly Slot? _gy;
    private readonly ParamRef<T> _w;
    private readonly ParamRef<T>? _b;
    private readonly GradTarget? _gx;
    private readonly Slot? _frozenWeightGrad;

    public LinearStep(string name, int n, int inF, int outF, Slot x, Slot y, Slot? gy, ParamRef<T> w, ParamRef<T>? b, GradTarget? gx)
        : base(name)
    {
        (_n, _in, _out, _x, _y, _gy, _w, _b) = (n, inF, outF, x, y, gy, w, b);
        _gx = Track(gx);
        // The kernel computes the weight gradient with the others; a frozen weight's goes to scratch.
        if (!w.Trainable && HasBackward) _frozenWeightGrad = new Slot($"{name}.frozen-dw", (long)outF * inF, Elementwise.Size<T>());
    }

    private bool BiasLearns => _b is { Trainable: true };
    public override bool HasBackward => _gx is not null || _w.Trainable || BiasLearns;

    public override void Forward(StepContext<T> c) =>
        c.Kernels.LinearForward(c.Ctx, _n, _in, _out, c.Span(_x), _w.Value, _b is null ? default : _b.Value, c.Span(_y));

    public override void Backward(StepContext<T> c)
    {
        var dx = _gx is null ? default : _gx.Begin(c);
        var dw = _w.Trainable ? _w.Grad : c.Span(_frozenWeightGrad!);
        c.Kernels.LinearBackward(c.Ctx, _n, _in, _out, c.Span(_x), _w.Value, c.Span(_gy!), dx, dw, BiasLearns ? _b!.Grad : default);
        _gx?.End(c);
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _y];

    public override IEnumerable<Slot> BackwardSlots() =>
        [_gy!, _x, .. SlotsOf(_gx), .. When(true, _frozenWeightGrad)];
}
