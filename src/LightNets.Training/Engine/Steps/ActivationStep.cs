using System.Numerics;
using LightNets.Training.Kernels;

namespace LightNets.Training.Engine.Steps;

/// <summary>An element-wise activation; backward reads the forward input (PyTorch's derivative at the kinks).</summary>
internal sealed class ActivationStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Activation _a;
    private readonly Slot _x, _y;
    private readonly Slot? _gy;
    private readonly GradTarget? _gx;

    public ActivationStep(string name, Activation a, Slot x, Slot y, Slot? gy, GradTarget? gx) : base(name)
    {
        (_a, _x, _y, _gy) = (a, x, y, gy);
        _gx = Track(gx);
    }

    public override bool HasBackward => _gx is not null;

    public override void Forward(StepContext<T> c) => c.Kernels.ActivationForward(c.Ctx, _a, c.Span(_x), c.Span(_y));

    public override void Backward(StepContext<T> c)
    {
        c.Kernels.ActivationBackward(c.Ctx, _a, c.Span(_x), c.Span(_gy!), _gx!.Begin(c));
        _gx.End(c);
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _y];
    public override IEnumerable<Slot> BackwardSlots() => [_x, _gy!, .. SlotsOf(_gx)];
}
