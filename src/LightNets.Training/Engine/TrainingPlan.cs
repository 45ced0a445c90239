using System.Diagnostics;
using System.Numerics;
using LightNets.Graphs;
using LightNets.Training.Engine.Steps;
using LightNets.Training.Kernels;

namespace LightNets.Training.Engine;

/// <summary>The settings a plan is compiled with, in the public float convention.</summary>
internal sealed record PlanSettings(double LabelSmoothing, double BatchNormMomentum, ulong Seed, long MaxArenaBytes,
    bool FuseBatchNormActivation = true);

/// <summary>
/// A compiled training step for one graph, batch and set of frozen parameters, in float type T (float to train, double
/// for whole-model gradient checks): forward steps in training mode that keep what backward needs, the loss, and the
/// backward steps of the nodes after the first learnable one, all on buffers placed in one arena by liveness over that
/// schedule. A gradient buffer lives from its first writer to its producer's backward; an activation from its producer
/// to its last reader, forward or backward, so the forward of a frozen prefix keeps nothing. Running a step allocates
/// nothing.
/// </summary>
internal sealed unsafe partial class TrainingPlan<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TrainingModel _model;
    private readonly ParamRef<T>[] _params;
    private readonly T[][] _buffers;
    private readonly PlanSettings _settings;
    private readonly Slot?[] _valueSlots, _gradSlots;
    private readonly bool[] _requires;
    private readonly HashSet<int> _readsOwnOutput = [];

    /// <summary>Activation nodes lowered into the BatchNorm step before them (see <see cref="FusableActivation"/>).</summary>
    private readonly HashSet<Node> _fused = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Channel shuffles lowered to no step of their own (see <see cref="Composable"/>): value id → the shuffle's input
    /// and map, which the reading Split or Slice composes into its own map.
    /// </summary>
    private readonly Dictionary<int, (ValueInfo Source, int[] Map)> _composed = [];
    private readonly List<TrainStep<T>> _steps = [];
    private readonly TrainStep<T>[] _forward, _backward;
    private readonly Slot _input, _logits, _gradLogits;
    private readonly T[] _logitsCopy;
    private readonly StepContext<T> _context;
    private readonly Arena _arena;
    private readonly T _smoothing;

    public TrainingPlan(TrainingModel model, ParamRef<T>[] parameters, T[][] buffers, ITrainKernels<T> kernels, TrainContext ctx,
        PlanSettings settings)
    {
        (_model, _params, _buffers, _settings) = (model, parameters, buffers, settings);
        _valueSlots = new Slot?[model.Values.Count];
        _gradSlots = new Slot?[model.Values.Count];
        _requires = new bool[model.Values.Count];
        _smoothing = T.CreateChecked(settings.LabelSmoothing);
        _input = ValueSlot(model.InputValue);
        for (var i = 0; i < model.Nodes.Count; i++) Lower(model.Nodes[i], i);
        _logits = ValueSlot(model.LogitsValue);
        _gradLogits = GradSlot(model.LogitsValue);
        _logitsCopy = new T[model.Batch * model.Classes];
        _forward = [.. _steps];
        _backward = Schedule();
        Slots = CollectSlots();
        _arena = new Arena(Slots, settings.MaxArenaBytes, $"'{model.Graph.Name}' at batch {model.Batch}");
        _context = new StepContext<T>(ctx, kernels, settings.Seed) { Base = _arena.Base };
    }

    public long ArenaBytes => _arena.Bytes;

    /// <summary>Where <see cref="Step"/> adds each part's time; null (the default) times nothing.</summary>
    public StepProfile? Profile { get; private set; }

    /// <summary>Starts (or restarts) timing every part of each step, or stops it.</summary>
    public void SetProfiling(bool on)
    {
        if (!on)
        {
            Profile = null;
            return;
        }
        string[] names = ["input", .. _forward.Select(s => s.Name), "loss", .. _backward.Select(s => s.Name)];
        string[] kinds = ["ToNhwc", .. _forward.Select(s => s.Kind), "SoftmaxCrossEntropy", .. _backward.Select(s => s.Kind)];
        bool[] backward = [.. names.Select((_, i) => i > _forward.Length + 1)];
        Profile = new StepProfile(names, kinds, backward);
    }
    public IReadOnlyList<Slot> Slots { get; }
    public IReadOnlyList<TrainStep<T>> ForwardSteps => _forward;
    public IReadOnlyList<TrainStep<T>> BackwardSteps => _backward;

    /// <summary>The class scores of the last step, [batch, classes].</summary>
    public ReadOnlySpan<T> Logits => _logitsCopy;

    /// <summary>Whether backward runs at all (something learns).</summary>
    public bool Learns => _requires[_model.Values[_model.LogitsValue].Root];

    /// <summary>
    /// One training step on a batch already checked by the caller: NCHW input of the graph's shape, one label in
    /// [0, classes) per image. Writes every learnable parameter's gradient and updates BN running statistics; returns
    /// the mean loss. <paramref name="stepNumber"/> selects the dropout masks.
    /// </summary>
    public T Step(ReadOnlySpan<float> nchw, ReadOnlySpan<int> labels, long stepNumber)
    {
        var c = _context;
        c.StepNumber = stepNumber;
        if (Profile is { } profile) return ProfiledStep(profile, nchw, labels);
        ToNhwc(nchw, c.Span(_input));
        foreach (var step in _forward) step.Forward(c);
        var loss = Loss(labels);
        foreach (var step in _backward) step.Backward(c);
        return loss;
    }

    /// <summary><see cref="Step"/> with a timestamp after every part: the same calls in the same order.</summary>
    private T ProfiledStep(StepProfile profile, ReadOnlySpan<float> nchw, ReadOnlySpan<int> labels)
    {
        var c = _context;
        var part = 0;
        var start = Stopwatch.GetTimestamp();
        ToNhwc(nchw, c.Span(_input));
        Lap(profile, part++, ref start);
        foreach (var step in _forward)
        {
            step.Forward(c);
            Lap(profile, part++, ref start);
        }
        var loss = Loss(labels);
        Lap(profile, part++, ref start);
        foreach (var step in _backward)
        {
            step.Backward(c);
            Lap(profile, part++, ref start);
        }
        profile.Steps++;
        return loss;
    }

    private static void Lap(StepProfile profile, int part, ref long start)
    {
        var now = Stopwatch.GetTimestamp();
        profile.Ticks[part] += now - start;
        profile.Fastest[part] = Math.Min(profile.Fastest[part], now - start);
        start = now;
    }

    private T Loss(ReadOnlySpan<int> labels)
    {
        var c = _context;
        var logits = c.Span(_logits);
        var loss = c.Kernels.SoftmaxCrossEntropy(c.Ctx, _model.Batch, _model.Classes, logits, labels, _smoothing, c.Span(_gradLogits));
        logits.CopyTo(_logitsCopy);
        return loss;
    }

    private void ToNhwc(ReadOnlySpan<float> nchw, Span<T> nhwc)
    {
        var input = _model.Values[_model.InputValue];
        _context.Loops.ToNhwc(_context.Ctx, nchw, nhwc, input.N, input.C, input.H * input.W);
    }

    /// <summary>
    /// Backward order is the reverse of forward. The first step (in that order) that writes a value's gradient
    /// overwrites it; later ones accumulate, through scratch when their rule overwrites. Returns the backward steps.
    /// </summary>
    private TrainStep<T>[] Schedule()
    {
        var position = 0;
        _input.Touch(position++);
        foreach (var step in _forward)
        {
            foreach (var slot in step.ForwardSlots()) slot.Touch(position);
            position++;
        }
        _logits.Touch(position);
        _gradLogits.Touch(position++);
        var written = new bool[_model.Values.Count];
        written[_model.Values[_model.LogitsValue].Root] = true;
        var backward = new List<TrainStep<T>>();
        for (var i = _forward.Length - 1; i >= 0; i--)
        {
            var step = _forward[i];
            if (!step.HasBackward) continue;
            foreach (var target in step.Targets)
            {
                if (!written[target.Value])
                {
                    written[target.Value] = true;
                    continue;
                }
                target.Accumulate = true;
                if (!target.Native) target.Temp = new Slot($"{step.Name}.d{_model.Values[target.Value].Name}", target.Grad.Length, target.Grad.ElementSize);
            }
            foreach (var slot in step.BackwardSlots()) slot.Touch(position);
            position++;
            backward.Add(step);
        }
        return [.. backward];
    }

    private List<Slot> CollectSlots()
    {
        var all = new HashSet<Slot>(ReferenceEqualityComparer.Instance) { _input, _logits, _gradLogits };
        foreach (var step in _forward)
        {
            all.UnionWith(step.ForwardSlots());
            if (step.HasBackward) all.UnionWith(step.BackwardSlots());
        }
        return [.. all];
    }

    private ValueInfo V(string name) => _model.Value(name);
    private bool Requires(ValueInfo v) => _requires[v.Root];

    private Slot ValueSlot(int value)
    {
        var root = _model.Values[value].Root;
        return _valueSlots[root] ??= new Slot(_model.Values[root].Name, _model.Values[root].Elements, Elementwise.Size<T>());
    }

    private Slot ValueSlot(ValueInfo v) => ValueSlot(v.Id);

    private Slot GradSlot(int value)
    {
        var root = _model.Values[value].Root;
        return _gradSlots[root] ??= new Slot("d" + _model.Values[root].Name, _model.Values[root].Elements, Elementwise.Size<T>());
    }

    /// <summary>Marks the output's gradient as needed and returns its slot, or null when nothing before it learns.</summary>
    private Slot? Output(ValueInfo y, bool requires)
    {
        _requires[y.Root] = requires;
        return requires ? GradSlot(y.Id) : null;
    }

    /// <summary>Where a backward rule writes the gradient of input <paramref name="x"/>, or null when it needs none.</summary>
    private GradTarget? Target(ValueInfo x, bool native) => Requires(x) ? new GradTarget(x.Root, GradSlot(x.Id), native) : null;

    private ParamRef<T> Param(string name) => _params[_model.ParameterId(name)];
    private ParamRef<T>? OptionalParam(Node node, int input) => node.Inputs.Count > input ? Param(node.Inputs[input]) : null;

    public void Dispose() => _arena.Dispose();
}
