using System.Numerics;
using LightNets.Training.Kernels;

namespace LightNets.Training.Engine.Steps;

/// <summary>Max pooling: keeps each output's argmax (not the input) for backward.</summary>
internal sealed class MaxPoolStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PoolShape _p;
    private readonly Slot _x, _y, _argmax;
    private readonly Slot? _gy;
    private readonly GradTarget? _gx;

    public MaxPoolStep(string name, in PoolShape p, Slot x, Slot y, Slot? gy, GradTarget? gx) : base(name)
    {
        (_p, _x, _y, _gy) = (p, x, y, gy);
        _gx = Track(gx);
        _argmax = new Slot($"{name}.argmax", p.OutputLength, sizeof(int));
    }

    public override bool HasBackward => _gx is not null;

    public override void Forward(StepContext<T> c) => c.Kernels.MaxPoolForward(c.Ctx, _p, c.Span(_x), c.Span(_y), c.Ints(_argmax));

    public override void Backward(StepContext<T> c)
    {
        c.Kernels.MaxPoolBackward(c.Ctx, _p, c.Span(_gy!), c.Ints(_argmax), _gx!.Begin(c));
        _gx.End(c);
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _y, _argmax];
    public override IEnumerable<Slot> BackwardSlots() => [_gy!, _argmax, .. SlotsOf(_gx)];
}

/// <summary>Average pooling: backward needs only the output gradient.</summary>
internal sealed class AvgPoolStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PoolShape _p;
    private readonly bool _includePad;
    private readonly Slot _x, _y;
    private readonly Slot? _gy;
    private readonly GradTarget? _gx;

    public AvgPoolStep(string name, in PoolShape p, bool countIncludePad, Slot x, Slot y, Slot? gy, GradTarget? gx) : base(name)
    {
        (_p, _includePad, _x, _y, _gy) = (p, countIncludePad, x, y, gy);
        _gx = Track(gx);
    }

    public override bool HasBackward => _gx is not null;

    public override void Forward(StepContext<T> c) => c.Kernels.AvgPoolForward(c.Ctx, _p, _includePad, c.Span(_x), c.Span(_y));

    public override void Backward(StepContext<T> c)
    {
        c.Kernels.AvgPoolBackward(c.Ctx, _p, _includePad, c.Span(_gy!), _gx!.Begin(c));
        _gx.End(c);
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _y];
    public override IEnumerable<Slot> BackwardSlots() => [_gy!, .. SlotsOf(_gx)];
}

/// <summary>Global average pooling N×H×W×C → N×C.</summary>
internal sealed class GlobalAvgPoolStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _n, _hw, _c;
    private readonly Slot _x, _y;
    private readonly Slot? _gy;
    private readonly GradTarget? _gx;

    public GlobalAvgPoolStep(string name, int n, int hw, int c, Slot x, Slot y, Slot? gy, GradTarget? gx) : base(name)
    {
        (_n, _hw, _c, _x, _y, _gy) = (n, hw, c, x, y, gy);
        _gx = Track(gx);
    }

    public override bool HasBackward => _gx is not null;

    public override void Forward(StepContext<T> c) => c.Kernels.GlobalAvgPoolForward(c.Ctx, _n, _hw, _c, c.Span(_x), c.Span(_y));

    public override void Backward(StepContext<T> c)
    {
        c.Kernels.GlobalAvgPoolBackward(c.Ctx, _n, _hw, _c, c.Span(_gy!), _gx!.Begin(c));
        _gx.End(c);
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _y];
    public override IEnumerable<Slot> BackwardSlots() => [_gy!, .. SlotsOf(_gx)];
}
