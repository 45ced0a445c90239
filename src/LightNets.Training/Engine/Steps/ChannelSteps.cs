using System.Numerics;

namespace LightNets.Training.Engine.Steps;

/// <summary>
/// Concatenation along the channels: each input's channels are copied into its range of the output; backward copies
/// (or adds) the matching range of the output gradient back.
/// </summary>
internal sealed class ConcatStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _rows, _width;
    private readonly Slot[] _inputs;
    private readonly int[] _channels, _starts;
    private readonly Slot _y;
    private readonly Slot? _gy;
    private readonly GradTarget?[] _gx;

    public ConcatStep(string name, int rows, Slot[] inputs, int[] channels, Slot y, Slot? gy, GradTarget?[] gx) : base(name)
    {
        (_rows, _inputs, _channels, _y, _gy) = (rows, inputs, channels, y, gy);
        _starts = new int[channels.Length];
        for (var i = 1; i < channels.Length; i++) _starts[i] = _starts[i - 1] + channels[i - 1];
        _width = _starts[^1] + channels[^1];
        _gx = gx;
        foreach (var t in gx) Track(t);
    }

    public override bool HasBackward => Targets.Count > 0;

    public override void Forward(StepContext<T> c)
    {
        var y = c.Span(_y);
        for (var i = 0; i < _inputs.Length; i++)
            c.Loops.CopyChannels(c.Ctx, _rows, _channels[i], c.Span(_inputs[i]), _channels[i], 0, y, _width, _starts[i], accumulate: false);
    }

    public override void Backward(StepContext<T> c)
    {
        ReadOnlySpan<T> gy = c.Span(_gy!);
        for (var i = 0; i < _inputs.Length; i++)
        {
            if (_gx[i] is not { } t) continue;
            c.Loops.CopyChannels(c.Ctx, _rows, _channels[i], gy, _width, _starts[i], c.Span(t.Grad), _channels[i], 0, t.Accumulate);
        }
    }

    public override IEnumerable<Slot> ForwardSlots() => [.. _inputs, _y];
    public override IEnumerable<Slot> BackwardSlots() => [_gy!, .. _gx.SelectMany(SlotsOf)];
}

/// <summary>
/// A channel mapping y[r, j] = x[r, map[j]]: channel shuffle (a permutation), Slice, and each output of Split. Backward
/// scatters the gradient back and adds, so the parts of one Split fill one input gradient.
/// </summary>
internal sealed class GatherStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _rows, _cin;
    private readonly int[] _map;
    private readonly Slot _x, _y;
    private readonly Slot? _gy;
    private readonly GradTarget? _gx;

    public GatherStep(string name, int rows, int cin, int[] map, Slot x, Slot y, Slot? gy, GradTarget? gx) : base(name)
    {
        (_rows, _cin, _map, _x, _y, _gy) = (rows, cin, map, x, y, gy);
        _gx = Track(gx);
    }

    public override bool HasBackward => _gx is not null;

    public override void Forward(StepContext<T> c) => c.Kernels.GatherChannels(c.Ctx, _rows, _cin, _map.Length, _map, c.Span(_x), c.Span(_y));

    public override void Backward(StepContext<T> c)
    {
        var dx = c.Span(_gx!.Grad);
        if (!_gx.Accumulate) dx.Clear();
        c.Kernels.ScatterAddChannels(c.Ctx, _rows, _cin, _map.Length, _map, c.Span(_gy!), dx);
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _y];
    public override IEnumerable<Slot> BackwardSlots() => [_gy!, .. SlotsOf(_gx)];
}

/// <summary>
/// Flatten of a map larger than 1×1: [N, C·H·W] in NCHW order (what the next Gemm's weight expects) from NHWC storage,
/// y[n, c·HW + p] = x[n, p, c]; backward the inverse.
/// </summary>
internal sealed class FlattenStep<T> : TrainStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _n, _hw, _c;
    private readonly Slot _x, _y;
    private readonly Slot? _gy;
    private readonly GradTarget? _gx;

    public FlattenStep(string name, int n, int hw, int c, Slot x, Slot y, Slot? gy, GradTarget? gx) : base(name)
    {
        (_n, _hw, _c, _x, _y, _gy) = (n, hw, c, x, y, gy);
        _gx = Track(gx);
    }

    public override bool HasBackward => _gx is not null;

    public override void Forward(StepContext<T> c)
    {
        ReadOnlySpan<T> x = c.Span(_x);
        var y = c.Span(_y);
        for (var i = 0; i < _n; i++)
        for (var p = 0; p < _hw; p++)
        for (var j = 0; j < _c; j++)
            y[(i * _c + j) * _hw + p] = x[(i * _hw + p) * _c + j];
    }

    public override void Backward(StepContext<T> c)
    {
        ReadOnlySpan<T> gy = c.Span(_gy!);
        var dx = c.Span(_gx!.Grad);
        var add = _gx.Accumulate;
        for (var i = 0; i < _n; i++)
        for (var p = 0; p < _hw; p++)
        for (var j = 0; j < _c; j++)
        {
            var v = gy[(i * _c + j) * _hw + p];
            ref var d = ref dx[(i * _hw + p) * _c + j];
            d = add ? d + v : v;
        }
    }

    public override IEnumerable<Slot> ForwardSlots() => [_x, _y];
    public override IEnumerable<Slot> BackwardSlots() => [_gy!, .. SlotsOf(_gx)];
}
