using System.Numerics;
using LightNets.Training.Kernels;

namespace LightNets.Training.Engine.Steps;

/// <summary>
/// An element-wise activation; backward reads the forward input (PyTorch's derivative at the kinks). In place (output
/// over input) for ReLU and Clip, whose backward then reads the output: the derivative tests min &lt; · &lt; max, which
/// holds for clamp(x) exactly where it holds for x.
/// </summary>
internal sealed class ActivationStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Activation _a;
    private readonly Slot _x, _y;
    private readonly Slot? _gy;
    private readonly GradTarget? _gx;
    private readonly bool _inPlace;

    public ActivationStep(string name, Activation a, Slot x, Slot y, Slot? gy, GradTarget? gx, bool inPlace) : base(name)
    {
        (_a, _x, _y, _gy, _inPlace) = (a, x, y, gy, inPlace);
        _gx = Track(gx);
    }

    public override bool HasBackward => _gx is not null;

    public override void Forward(StepContext<T> c) => c.Kernels.ActivationForward(c.Ctx, _a, c.Span(_x), c.Span(_y));

    public override void Backward(StepContext<T> c)
    {
        c.Kernels.ActivationBackward(c.Ctx, _a, c.Span(_inPlace ? _y : _x), c.Span(_gy!), _gx!.Begin(c));
        _gx.End(c);
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _y];
    public override IEnumerable<Slot> BackwardSlots() => [_inPlace ? _y : _x, _gy!, .. SlotsOf(_gx)];
}
