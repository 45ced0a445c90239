using LightNets.Graphs;
using LightNets.Graphs.Passes;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Plan;
using LightNets.Runtime.Plan.Steps;
using LightNets.Tensors;

namespace LightNets.Runtime.Compiler;

/// <summary>
/// Graph IR → <see cref="ExecutionPlan"/>. Passes first (Dropout removed, BatchNorm folded into the convolutions),
/// then one walk in topological order that lowers each node to a step, fusing what follows it (activation, residual
/// add, SE scale) into its epilogue, turning channel split/slice/shuffle into views of the same memory (a shuffle is a
/// channel map that the next 1×1 convolution absorbs into its weights or its K gather), and writing concat inputs
/// straight into their slice of the concat buffer. Last, the memory planner packs the buffers by liveness.
/// </summary>
internal sealed partial class PlanCompiler
{
    private readonly Graph _g;
    private readonly Isa _isa;
    private readonly int _threads;
    private readonly Dictionary<string, TensorView> _views = new(StringComparer.Ordinal);
    private readonly Dictionary<Node, TensorView> _concatViews = [];
    private readonly HashSet<Node> _fused = [];
    private readonly List<Step> _steps = [];
    private readonly List<BufferSlot> _slots = [];

    private readonly bool _fuse;

    private PlanCompiler(Graph graph, Isa isa, int threads, bool fuse)
    {
        _g = graph;
        _isa = isa;
        _threads = threads;
        _fuse = fuse;
    }

    /// <summary>Guard zone after each buffer when <c>guard</c> is set: wider than any kernel's vector overrun.</summary>
    private const int GuardFloats = 64;

    /// <summary>
    /// Compiles <paramref name="graph"/> for the tier <paramref name="isa"/> and <paramref name="threads"/> threads; with
    /// <paramref name="int8"/> (an int8 GEMM path), a QDQ graph's quantized layers become int8 steps, else they run in float32.
    /// </summary>
    public static ExecutionPlan Compile(Graph graph, Isa isa, int threads, bool fuse = true, bool guard = false, Kernels.Cpu.Int8.Int8Isa? int8 = null,
        bool int8Forced = false, bool bands = true)
    {
        // Both passes keep the graph's inputs and outputs (names, order, shapes).
        var prepared = FoldBatchNorm.Apply(EliminateIdentity.Apply(graph));
        var compiler = new PlanCompiler(prepared, isa, threads, fuse);
        compiler._bands = bands;
        if (prepared.Nodes.Any(n => n.Op is FakeQuantizeOp)) (compiler._int8, compiler._int8Forced) = (int8, int8Forced);
        return compiler.Build(guard);
    }

    private ExecutionPlan Build(bool guard)
    {
        var inputs = new PlanInput[_g.Inputs.Count];
        for (var k = 0; k < inputs.Length; k++)
        {
            var input = _g.Inputs[k];
            var slot = new BufferSlot(_slots.Count, input.Shape.ElementCount, input.Name) { InputIndex = k };
            _slots.Add(slot);
            var (n, c, h, w) = Dims(input.Shape);
            _views[input.Name] = TensorView.Nchw(slot, n, c, h, w);
            inputs[k] = new PlanInput(input.Name, input.Shape);
        }

        foreach (var node in _g.Nodes)
        {
            if (_fused.Contains(node) || TryLowerInt8(node)) continue;
            Lower(node);
        }
        if (_pendingInt8.Count > 0)
            throw new InvalidOperationException($"int8 expansions deferred into depthwise convolutions that did not take them: {string.Join(", ", _pendingInt8.Keys.Select(s => s.Name))}");
        // A graph output held as int8 codes is read out as floats.
        foreach (var name in _g.Outputs) ViewOf(name);

        var outputs = _g.Outputs.Select(Output).ToArray();
        SchedulePrefetches();
        for (var i = 0; i < _steps.Count; i++)
        {
            foreach (var v in _steps[i].Operands()) v.Slot.Touch(i);
            if (_steps[i].ScratchFloats > 0)
            {
                var scratch = new BufferSlot(_slots.Count, _steps[i].ScratchFloats, _steps[i].Name + ".scratch");
                scratch.Touch(i);
                _slots.Add(scratch);
                _scratchOf[_steps[i]] = scratch;
            }
        }
        foreach (var o in outputs) o.View?.Slot.Touch(_steps.Count); // outputs are read after the last step
        var arena = MemoryPlanner.Plan(_slots, guard ? GuardFloats : 0);
        foreach (var (step, slot) in _scratchOf) step.ScratchOffset = slot.Offset;
        var guards = guard
            ? _slots.Where(s => !s.IsGraphInput && s.LastUse >= 0).Select(s => new BufferGuard(s.Name, s.Offset + s.Floats, GuardFloats, s.FirstUse, s.LastUse)).ToArray()
            : null;
        return new ExecutionPlan(_steps, arena, inputs, outputs, _isa, guards,
            "NHWC (channels last): 1×1 convolutions are GEMMs over pixel rows with weights packed once, depthwise convolutions run on channel vectors of each pixel, and channel split/shuffle/concat become index maps");
    }

    /// <summary>
    /// Where a graph output's values are after the last step: the view of the node output or graph input it names (any
    /// layout, channel map or strides: it is read out in NCHW order), or for an initializer, a copy of the constant.
    /// </summary>
    private PlanOutput Output(string name)
    {
        var shape = _g.ShapeOf(name);
        if (_g.Initializers.TryGetValue(name, out var constant)) return new PlanOutput(name, shape, null, (float[])constant.Data.Clone());
        var view = _views[name];
        if (view.Slot.Id < 0)
            throw new InvalidOperationException($"output '{name}' was deferred into the step that reads it and has no memory of its own");
        return new PlanOutput(name, shape, view, null);
    }

    private readonly Dictionary<Step, BufferSlot> _scratchOf = [];

    private long Macs(Step step) => step.Nodes.Sum(n => Cost.CostRules.Cost(_g, n, Cost.MemoryAccessMode.ConvAndFc).Macs);

    /// <summary>
    /// An FC layer at small batch streams its weights once and is bound by memory bandwidth (≈ 200 µs for MobileNetV2's
    /// 5 MB classifier from DRAM, a third of that from L3). Hand its weights to the heaviest GEMM step among the few
    /// before it, which prefetches them while it computes.
    /// </summary>
    private void SchedulePrefetches()
    {
        var hosts = new HashSet<Step>();
        for (var i = 0; i < _steps.Count; i++)
        {
            if (_steps[i] is not GemmStep { Rows: <= 8 } fc || fc.Weights.Bytes < 512 * 1024) continue;
            // The nearest earlier steps with enough arithmetic to hide the transfer (≈ 2 multiply-adds per weight byte
            // fetched), sharing the range: any earlier and the weights are evicted again before the FC runs.
            var needed = fc.Weights.Bytes * 2;
            var chosen = new List<(Step Step, long Macs)>();
            for (var j = i - 1; j >= Math.Max(0, i - 12) && chosen.Sum(c => c.Macs) < needed; j--)
            {
                var s = _steps[j];
                if (s.CanPrefetch && s is not GemmStep { Rows: <= 8 } && !hosts.Contains(s)) chosen.Add((s, Macs(s)));
            }
            if (chosen.Count == 0) continue;
            var total = chosen.Sum(c => c.Macs);
            long offset = 0;
            foreach (var (step, macs) in Enumerable.Reverse(chosen))
            {
                var bytes = total == 0 ? fc.Weights.Bytes / chosen.Count : fc.Weights.Bytes * macs / total / 64 * 64;
                bytes = Math.Min(bytes, fc.Weights.Bytes - offset);
                step.Prefetch = new PrefetchRange(fc.Weights.Address + (nint)offset, bytes);
                offset += bytes;
                hosts.Add(step);
            }
        }
    }

    // ----- views and slots ----------------------------------------------------------------------------------------

    private BufferSlot NewSlot(long floats, string name)
    {
        var slot = new BufferSlot(_slots.Count, floats, name);
        _slots.Add(slot);
        return slot;
    }

    /// <summary>
    /// A fresh NHWC view for <paramref name="value"/> (vectors [N, F] as N×1×1×F). Feature maps whose pixel rows would
    /// be a multiple of 1 KiB apart get 16 floats of padding per pixel: the GEMM reads 8 pixel rows at once, and rows
    /// 4 KiB apart (C = 1024) all fall into the same L1 set and evict each other.
    /// </summary>
    private TensorView NewDense(string value, string? slotName = null)
    {
        var s = _g.ShapeOf(value);
        var (n, c, h, w) = Dims(s);
        var stride = h * w > 1 && c % 256 == 0 ? c + 16 : c;
        return TensorView.NhwcSlice(NewSlot((long)n * h * w * stride, slotName ?? value), n, h, w, c, stride, 0);
    }

    /// <summary>
    /// A value's runtime dimensions: its axes in order as N, C, H, W, missing trailing ones being 1 ([N, F] is N×F×1×1,
    /// [N, C, L] is N×C×L×1), so that axis 1 is always the channels. Graphs hold no rank above 4 (<see cref="Graph.MaxRank"/>).
    /// </summary>
    internal static (int N, int C, int H, int W) Dims(Shape s) => s.Rank switch
    {
        0 => (1, 1, 1, 1),
        1 => (s[0], 1, 1, 1),
        2 => (s[0], s[1], 1, 1),
        3 => (s[0], s[1], s[2], 1),
        4 => (s[0], s[1], s[2], s[3]),
        _ => throw new NotSupportedException($"the fast runtime holds tensors of rank {Graph.MaxRank} at most, not [{s}]"),
    };

    /// <summary>Where the step producing <paramref name="value"/> should write: its concat slice if a Concat is its only reader.</summary>
    private TensorView OutputView(string value)
    {
        if (_fuse && SoleConsumer(value) is { Op: ConcatOp } concat && concat.Inputs.Count(i => i == value) == 1)
        {
            var full = ConcatView(concat);
            var offset = 0;
            foreach (var i in concat.Inputs)
            {
                if (i == value) break;
                offset += _g.ShapeOf(i).C;
            }
            var c = _g.ShapeOf(value).C;
            return TensorView.NhwcSlice(full.Slot, full.Batch, full.Height, full.Width, c, full.PixelStride, offset);
        }
        return NewDense(value);
    }

    private TensorView ConcatView(Node concat)
    {
        if (!_concatViews.TryGetValue(concat, out var view))
            _concatViews[concat] = view = NewDense(concat.Output);
        return view;
    }

    /// <summary>
    /// The view of a graph input or a computed value, or of an initializer read as data: that one is loaded into the
    /// arena by a step of its own, once, before its first reader.
    /// </summary>
    private TensorView ViewOf(string value)
    {
        if (_views.TryGetValue(value, out var view)) return view;
        if (_quantized.TryGetValue(value, out var codes))
        {
            // A float layer reads a value the int8 plan holds as codes.
            var shape = _g.ShapeOf(value);
            var (n, c, h, w) = Dims(shape);
            view = TensorView.Nhwc(NewSlot((long)n * h * w * c, value + ".dequantized"), n, h, w, c);
            _steps.Add(new Plan.Steps.Int8.DequantizeStep($"{value}.dequantize", [], codes, view));
            _views[value] = view;
            return view;
        }
        var constant = _g.Initializers[value];
        view = NewDense(value, value + ".constant");
        _steps.Add(new ConstantStep($"{value}.load", constant.Data, view));
        _views[value] = view;
        return view;
    }

    /// <summary>The value's view as an NHWC pixel matrix without a channel map, copying it into one if needed.</summary>
    private TensorView Dense(string value)
    {
        var view = ViewOf(value);
        if (view.Map is null && view.IsPixelMatrix) return view;
        var dense = NewDense(value, value + ".dense");
        _steps.Add(new CopyChannelsStep($"{value}.materialize", [], view, dense));
        _views[value] = dense;
        return dense;
    }

    private Node? SoleConsumer(string value) =>
        !_g.Outputs.Contains(value) && _g.Consumers(value) is { Count: 1 } c ? c[0] : null;

    private Tensor Init(string name) => _g.Initializers.TryGetValue(name, out var t)
        ? t
        : throw new NotSupportedException($"the fast runtime needs '{name}' to be a constant (an initializer)");

    private static FusedActivation? AsActivation(Op op) => op switch
    {
        ReluOp => FusedActivation.Relu,
        ClipOp { Min: 0f } c when c.Max == 6f => FusedActivation.Relu6,
        ClipOp { Min: 0f } c when float.IsPositiveInfinity(c.Max) => FusedActivation.Relu,
        HardSwishOp => FusedActivation.HardSwish,
        HardSigmoidOp h when MathF.Abs(h.Alpha - 1f / 6f) < 1e-6f && MathF.Abs(h.Beta - 0.5f) < 1e-6f => FusedActivation.HardSigmoid,
        _ => null,
    };

    /// <summary>
    /// What a producer's epilogue can absorb: an Add of an already computed tensor of the same shape (if allowed),
    /// then an activation. Returns the value the fused step finally produces.
    /// </summary>
    private (string Value, FusedActivation Act, TensorView? Residual, List<Node> Nodes) Epilogue(Node producer, bool allowResidual)
    {
        var nodes = new List<Node> { producer };
        var value = producer.Outputs[0];
        TensorView? residual = null;
        if (!_fuse) return (value, FusedActivation.None, null, nodes);
        if (allowResidual && SoleConsumer(value) is { Op: AddOp } add)
        {
            var other = add.Inputs[0] == value ? add.Inputs[1] : add.Inputs[0];
            if (other != value && _views.TryGetValue(other, out var r) && r.Map is null && r.IsPixelMatrix
                && _g.ShapeOf(other) == _g.ShapeOf(value))
            {
                residual = r;
                nodes.Add(add);
                _fused.Add(add);
                value = add.Output;
            }
        }
        var act = FusedActivation.None;
        if (SoleConsumer(value) is { } next && AsActivation(next.Op) is { } a)
        {
            act = a;
            nodes.Add(next);
            _fused.Add(next);
            value = next.Output;
        }
        return (value, act, residual, nodes);
    }

    private static string Suffix(FusedActivation act, TensorView? residual) =>
        (residual is null ? "" : " + add") + act switch
        {
            FusedActivation.None => "",
            FusedActivation.Relu => " + ReLU",
            FusedActivation.Relu6 => " + ReLU6",
            FusedActivation.HardSwish => " + h-swish",
            FusedActivation.HardSigmoid => " + h-sigmoid",
            _ => "",
        };
}
