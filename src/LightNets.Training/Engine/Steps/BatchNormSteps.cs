using System.Numerics;
using LightNets.Training.Kernels;

namespace LightNets.Training.Engine.Steps;

/// <summary>
/// BatchNorm in training mode: normalises with the batch's statistics, updates the running ones, keeps the input and
/// the per-channel mean and 1/σ for backward. When only one of γ, β learns, the other's gradient goes to scratch.
/// </summary>
internal sealed class BatchNormTrainStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _rows, _c;
    private readonly T _eps, _momentum;
    private readonly Slot _x, _y, _mean, _invStd;
    private readonly Slot? _gy, _scratchDx, _scratchGamma, _scratchBeta;
    private readonly ParamRef<T> _gamma, _beta;
    private readonly T[] _runningMean, _runningVar;
    private readonly GradTarget? _gx;

    public BatchNormTrainStep(string name, int rows, int c, T eps, T momentum, Slot x, Slot y, Slot? gy,
        ParamRef<T> gamma, ParamRef<T> beta, T[] runningMean, T[] runningVar, GradTarget? gx) : base(name)
    {
        (_rows, _c, _eps, _momentum, _x, _y, _gy) = (rows, c, eps, momentum, x, y, gy);
        (_gamma, _beta, _runningMean, _runningVar) = (gamma, beta, runningMean, runningVar);
        _gx = Track(gx);
        var size = Elementwise.Size<T>();
        _mean = new Slot($"{name}.mean", c, size);
        _invStd = new Slot($"{name}.invstd", c, size);
        // The kernel writes all three gradients; the ones nobody wants go to scratch.
        if (gx is null) _scratchDx = new Slot($"{name}.unused-dx", x.Length, size);
        if (!gamma.Trainable) _scratchGamma = new Slot($"{name}.frozen-dgamma", c, size);
        if (!beta.Trainable) _scratchBeta = new Slot($"{name}.frozen-dbeta", c, size);
    }

    public override bool HasBackward => _gx is not null || _gamma.Trainable || _beta.Trainable;

    public override void Forward(StepContext<T> c) =>
        c.Kernels.BatchNormTrainForward(c.Ctx, _rows, _c, c.Span(_x), _gamma.Value, _beta.Value, _eps, _momentum,
            _runningMean, _runningVar, c.Span(_mean), c.Span(_invStd), c.Span(_y));

    public override void Backward(StepContext<T> c)
    {
        var dx = _gx is null ? c.Span(_scratchDx!) : _gx.Begin(c);
        c.Kernels.BatchNormBackward(c.Ctx, _rows, _c, c.Span(_x), c.Span(_gy!), _gamma.Value, c.Span(_mean), c.Span(_invStd), dx,
            _gamma.Trainable ? _gamma.Grad : c.Span(_scratchGamma!), _beta.Trainable ? _beta.Grad : c.Span(_scratchBeta!));
        _gx?.End(c);
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _y, _mean, _invStd];

    public override IEnumerable<Slot> BackwardSlots() =>
        [_x, _gy!, _mean, _invStd, .. SlotsOf(_gx), .. When(true, _scratchDx), .. When(true, _scratchGamma), .. When(true, _scratchBeta)];
}

/// <summary>
/// BatchNorm in training mode and the activation that is the only reader of its output, as one step: the kernels
/// normalise and activate in one pass and take the activation's slope inside BatchNorm's backward passes, so the
/// normalised map and its gradient are never stored (two passes over memory fewer each way, one buffer fewer). The
/// result is bit for bit that of the two steps.
/// </summary>
internal sealed class BatchNormActivationTrainStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _rows, _c;
    private readonly Activation _a;
    private readonly T _eps, _momentum;
    private readonly Slot _x, _z, _mean, _invStd, _scale;
    private readonly Slot? _gz, _scratchDx, _scratchGamma, _scratchBeta;
    private readonly ParamRef<T> _gamma, _beta;
    private readonly T[] _runningMean, _runningVar;
    private readonly GradTarget? _gx;

    public BatchNormActivationTrainStep(string name, int rows, int c, Activation a, T eps, T momentum, Slot x, Slot z, Slot? gz,
        ParamRef<T> gamma, ParamRef<T> beta, T[] runningMean, T[] runningVar, GradTarget? gx) : base(name)
    {
        (_rows, _c, _a, _eps, _momentum, _x, _z, _gz) = (rows, c, a, eps, momentum, x, z, gz);
        (_gamma, _beta, _runningMean, _runningVar) = (gamma, beta, runningMean, runningVar);
        _gx = Track(gx);
        var size = Elementwise.Size<T>();
        _mean = new Slot($"{name}.mean", c, size);
        _invStd = new Slot($"{name}.invstd", c, size);
        _scale = new Slot($"{name}.scale", c, size);
        if (gx is null) _scratchDx = new Slot($"{name}.unused-dx", x.Length, size);
        if (!gamma.Trainable) _scratchGamma = new Slot($"{name}.frozen-dgamma", c, size);
        if (!beta.Trainable) _scratchBeta = new Slot($"{name}.frozen-dbeta", c, size);
    }

    public override bool HasBackward => _gx is not null || _gamma.Trainable || _beta.Trainable;

    public override void Forward(StepContext<T> c) =>
        c.Kernels.BatchNormActivationTrainForward(c.Ctx, _rows, _c, _a, c.Span(_x), _gamma.Value, _beta.Value, _eps, _momentum,
            _runningMean, _runningVar, c.Span(_mean), c.Span(_invStd), c.Span(_scale), c.Span(_z));

    public override void Backward(StepContext<T> c)
    {
        var dx = _gx is null ? c.Span(_scratchDx!) : _gx.Begin(c);
        c.Kernels.BatchNormActivationBackward(c.Ctx, _rows, _c, _a, c.Span(_x), c.Span(_gz!), _gamma.Value, _beta.Value, c.Span(_mean),
            c.Span(_invStd), c.Span(_scale), dx, _gamma.Trainable ? _gamma.Grad : c.Span(_scratchGamma!), _beta.Trainable ? _beta.Grad : c.Span(_scratchBeta!));
        _gx?.End(c);
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _z, _mean, _invStd, _scale];

    public override IEnumerable<Slot> BackwardSlots() =>
        [_x, _gz!, _mean, _invStd, _scale, .. SlotsOf(_gx), .. When(true, _scratchDx), .. When(true, _scratchGamma), .. When(true, _scratchBeta)];
}

/// <summary>
/// BatchNorm whose γ and β are both frozen: evaluation mode, as a frozen feature extractor should behave (the running
/// statistics normalise and are not updated; timm's FrozenBatchNorm2d, Keras' frozen layers). Backward, when something
/// before it learns, is dx = dy·γ/√(running var + ε).
/// </summary>
internal sealed class BatchNormEvalStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _rows, _c;
    private readonly T _eps;
    private readonly Slot _x, _y;
    private readonly Slot? _gy;
    private readonly ParamRef<T> _gamma, _beta;
    private readonly T[] _runningMean, _runningVar;
    private readonly GradTarget? _gx;

    public BatchNormEvalStep(string name, int rows, int c, T eps, Slot x, Slot y, Slot? gy,
        ParamRef<T> gamma, ParamRef<T> beta, T[] runningMean, T[] runningVar, GradTarget? gx) : base(name)
    {
        (_rows, _c, _eps, _x, _y, _gy, _gamma, _beta, _runningMean, _runningVar) = (rows, c, eps, x, y, gy, gamma, beta, runningMean, runningVar);
        _gx = Track(gx);
    }

    public override bool HasBackward => _gx is not null;

    public override void Forward(StepContext<T> c) =>
        c.Kernels.BatchNormEvalForward(c.Ctx, _rows, _c, c.Span(_x), _gamma.Value, _beta.Value, _eps, _runningMean, _runningVar, c.Span(_y));

    public override void Backward(StepContext<T> c)
    {
        ReadOnlySpan<T> gy = c.Span(_gy!);
        var dx = _gx!.Begin(c);
        for (var j = 0; j < _c; j++)
        {
            var scale = _gamma.Value[j] / T.Sqrt(_runningVar[j] + _eps);
            for (var r = 0; r < _rows; r++) dx[r * _c + j] = gy[r * _c + j] * scale;
        }
        _gx.End(c);
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _y];
    public override IEnumerable<Slot> BackwardSlots() => [_gy!, .. SlotsOf(_gx)];
}
