using LightNets.Graphs;
using LightNets.Training.Engine.Steps;
using LightNets.Training.Kernels;

namespace LightNets.Training.Engine;

internal sealed partial class TrainingPlan<T>
{
    /// <summary>
    /// Turns one graph node into its training step(s), deciding which gradients its backward computes: an input's when
    /// something before it learns, a parameter's when it is trainable. Aliases (identity, Dropout(0), a Flatten that
    /// moves no data) get no step: their output shares the input's storage and gradient.
    /// </summary>
    private void Lower(Node node, int ordinal)
    {
        switch (node.Op)
        {
            case Conv2dOp op:
            {
                ValueInfo x = V(node.Inputs[0]), y = V(node.Output);
                var w = Param(node.Inputs[1]);
                var b = OptionalParam(node, 2);
                var gy = Output(y, Requires(x) || w.Trainable || b is { Trainable: true });
                _steps.Add(new ConvStep<T>(node.Name, ConvShape.Create(x.N, x.H, x.W, x.C, y.C, op), ValueSlot(x), ValueSlot(y), gy, w, b,
                    Target(x, native: false)));
                break;
            }
            case GemmOp:
            {
                ValueInfo x = V(node.Inputs[0]), y = V(node.Output);
                var w = Param(node.Inputs[1]);
                var b = OptionalParam(node, 2);
                var gy = Output(y, Requires(x) || w.Trainable || b is { Trainable: true });
                _steps.Add(new LinearStep<T>(node.Name, x.N, x.C, y.C, ValueSlot(x), ValueSlot(y), gy, w, b, Target(x, native: false)));
                break;
            }
            case BatchNormOp bn:
            {
                ValueInfo x = V(node.Inputs[0]), y = V(node.Output);
                ParamRef<T> gamma = Param(node.Inputs[1]), beta = Param(node.Inputs[2]);
                T[] mean = _buffers[_model.BufferId(node.Inputs[3])], variance = _buffers[_model.BufferId(node.Inputs[4])];
                var eps = T.CreateChecked(bn.Epsilon);
                var learns = gamma.Trainable || beta.Trainable;
                if (learns && x.Rows < 2)
                    throw new TrainingGraphException(
                        $"node '{node.Name}' (BatchNorm) normalizes {x.Rows} value per channel (batch {x.N} of {x.H}×{x.W} maps); batch statistics need more than one: train with a batch of at least 2, or freeze its γ and β (evaluation mode)");
                if (learns && _settings.FuseBatchNormActivation && FusableActivation(node) is { } act)
                {
                    // The activation reads y and nothing else does: one step, and the activation node gets none.
                    var z = V(act.Node.Output);
                    var gz = Output(z, Requires(x) || learns);
                    _fused.Add(act.Node);
                    _steps.Add(new BatchNormActivationTrainStep<T>($"{node.Name}+{act.Node.Name}", x.Rows, x.C, act.Activation, eps,
                        T.CreateChecked(_settings.BatchNormMomentum), ValueSlot(x), ValueSlot(z), gz, gamma, beta, mean, variance, Target(x, native: false)));
                    break;
                }
                var gy = Output(y, Requires(x) || learns);
                var gx = Target(x, native: false);
                _steps.Add(learns
                    ? new BatchNormTrainStep<T>(node.Name, x.Rows, x.C, eps, T.CreateChecked(_settings.BatchNormMomentum), ValueSlot(x), ValueSlot(y),
                        gy, gamma, beta, mean, variance, gx)
                    : new BatchNormEvalStep<T>(node.Name, x.Rows, x.C, eps, ValueSlot(x), ValueSlot(y), gy, gamma, beta, mean, variance, gx));
                break;
            }
            case ReluOp or ClipOp or HardSwishOp or HardSigmoidOp or SigmoidOp:
            {
                if (_fused.Contains(node)) break;
                ValueInfo x = V(node.Inputs[0]), y = V(node.Output);
                var a = Activation.From(node.Op)!.Value;
                var gy = Output(y, Requires(x));
                // ReLU and Clip(min, max) are 1 exactly where min < y < max for y = clamp(x): backward can test the
                // output instead of the input, so the output may overwrite an input nobody else reads (BN's output).
                var inPlace = a.Kind is ActivationKind.Relu or ActivationKind.Clip && a.Min < a.Max && Overwritable(x, node);
                if (inPlace)
                {
                    _valueSlots[y.Root] = ValueSlot(x);
                    _readsOwnOutput.Add(y.Root);
                }
                _steps.Add(new ActivationStep<T>(node.Name, a, ValueSlot(x), ValueSlot(y), gy, Target(x, native: false), inPlace));
                break;
            }
            case AddOp or MulOp:
                LowerBinary(node);
                break;
            case ConcatOp:
            {
                var y = V(node.Output);
                var xs = node.Inputs.Select(V).ToArray();
                var gy = Output(y, xs.Any(Requires));
                _steps.Add(new ConcatStep<T>(node.Name, y.Rows, xs.Select(ValueSlot).ToArray(), xs.Select(x => x.C).ToArray(), ValueSlot(y), gy,
                    xs.Select(x => Target(x, native: true)).ToArray()));
                break;
            }
            case ChannelShuffleOp shuffle:
            {
                ValueInfo x = V(node.Inputs[0]), y = V(node.Output);
                // out[j·g + i] = in[i·n + j], n = C/g (ShuffleNetV1 §3.1).
                int g = shuffle.Groups, n = x.C / g;
                var map = new int[x.C];
                for (var i = 0; i < g; i++)
                for (var j = 0; j < n; j++)
                    map[j * g + i] = i * n + j;
                if (Composable(y)) _composed[y.Id] = (x, map);
                else Gather(node.Name, x, y, map);
                break;
            }
            case SliceOp slice:
                Gather(node.Name, V(node.Inputs[0]), V(node.Output), Enumerable.Range(slice.Start, slice.End - slice.Start).ToArray());
                break;
            case SplitOp split:
            {
                var x = V(node.Inputs[0]);
                var start = 0;
                for (var k = 0; k < split.Sizes.Count; k++)
                {
                    // A part nobody reads gets no step (and so never a gradient to wait for).
                    if (IsRead(node.Outputs[k]))
                        Gather($"{node.Name}:{k}", x, V(node.Outputs[k]), Enumerable.Range(start, split.Sizes[k]).ToArray());
                    start += split.Sizes[k];
                }
                break;
            }
            case MaxPoolOp pool:
            {
                ValueInfo x = V(node.Inputs[0]), y = V(node.Output);
                var gy = Output(y, Requires(x));
                _steps.Add(new MaxPoolStep<T>(node.Name, PoolShape.Create(x.N, x.H, x.W, x.C, pool), ValueSlot(x), ValueSlot(y), gy,
                    Target(x, native: false)));
                break;
            }
            case AveragePoolOp pool:
            {
                ValueInfo x = V(node.Inputs[0]), y = V(node.Output);
                var gy = Output(y, Requires(x));
                _steps.Add(new AvgPoolStep<T>(node.Name, PoolShape.Create(x.N, x.H, x.W, x.C, pool), pool.CountIncludePad, ValueSlot(x),
                    ValueSlot(y), gy, Target(x, native: false)));
                break;
            }
            case GlobalAveragePoolOp:
            {
                ValueInfo x = V(node.Inputs[0]), y = V(node.Output);
                var gy = Output(y, Requires(x));
                _steps.Add(new GlobalAvgPoolStep<T>(node.Name, x.N, x.H * x.W, x.C, ValueSlot(x), ValueSlot(y), gy, Target(x, native: false)));
                break;
            }
            case FlattenOp:
            {
                ValueInfo x = V(node.Inputs[0]), y = V(node.Output);
                if (y.Root == x.Root) break;
                var gy = Output(y, Requires(x));
                _steps.Add(new FlattenStep<T>(node.Name, x.N, x.H * x.W, x.C, ValueSlot(x), ValueSlot(y), gy, Target(x, native: true)));
                break;
            }
            case DropoutOp dropout:
            {
                ValueInfo x = V(node.Inputs[0]), y = V(node.Output);
                if (y.Root == x.Root) break;
                var gy = Output(y, Requires(x));
                _steps.Add(new DropoutStep<T>(node.Name, dropout.Ratio, ordinal, ValueSlot(x), ValueSlot(y), gy, Target(x, native: true)));
                break;
            }
            default:
                // TrainingModel refuses every other operator by name before a plan is built.
                throw new InvalidOperationException($"node '{node.Name}' ({node.Kind}) passed the model check but has no training step");
        }
    }

    /// <summary>
    /// The activation a BatchNorm's output goes to, when the two can run as one step: it is a ReLU, Clip or h-swish (the
    /// activations whose fused form is bit-identical; see ChannelAffine), the only reader of that output, which is a
    /// value of its own (no alias, not the logits).
    /// </summary>
    private (Node Node, Activation Activation)? FusableActivation(Node bn)
    {
        var y = V(bn.Output);
        if (y.Root != y.Id || y.Id == _model.LogitsValue || _model.Values.Any(v => v.Root == y.Id && v.Id != y.Id)) return null;
        var readers = _model.Nodes.Where(n => n.Inputs.Contains(y.Name, StringComparer.Ordinal)).ToList();
        if (readers is not [var reader] || reader.Inputs.Count(i => i == y.Name) != 1) return null;
        return Activation.From(reader.Op) is { Kind: ActivationKind.Relu or ActivationKind.Clip or ActivationKind.HardSwish } a ? (reader, a) : null;
    }

    private void Gather(string name, ValueInfo x, ValueInfo y, int[] map)
    {
        // Reading a shuffle that has no step: gather straight from the shuffle's input through both maps.
        while (_composed.TryGetValue(x.Id, out var shuffle))
        {
            map = Array.ConvertAll(map, j => shuffle.Map[j]);
            x = shuffle.Source;
        }
        var gy = Output(y, Requires(x));
        _steps.Add(new GatherStep<T>(name, x.Rows, x.C, map, ValueSlot(x), ValueSlot(y), gy, Target(x, native: true)));
    }

    /// <summary>
    /// Whether <paramref name="consumer"/> may overwrite <paramref name="x"/>: its only reader, a value of its own
    /// (no alias shares it), not the input or the logits, and not an output its producer's backward reads.
    /// </summary>
    private bool Overwritable(ValueInfo x, Node consumer)
    {
        if (x.Root != x.Id || x.Id == _model.InputValue || x.Id == _model.LogitsValue || _readsOwnOutput.Contains(x.Id)) return false;
        if (_model.Values.Any(v => v.Root == x.Id && v.Id != x.Id)) return false;
        var readers = _model.Nodes.Sum(n => n.Inputs.Count(i => i == x.Name));
        return readers == 1 && consumer.Inputs.Count(i => i == x.Name) == 1;
    }

    /// <summary>
    /// Whether a channel shuffle's output <paramref name="y"/> needs no step of its own: only Split and Slice read it
    /// (ShuffleNetV2's unit: concat, shuffle, split), so each of them can gather from the shuffle's input with the two
    /// maps composed. That saves a pass that writes the whole shuffled map forward and one that scatters its gradient
    /// backward; each channel still moves once and each gradient element is still one addition to a cleared buffer, so
    /// results do not change. Not when the value is the logits, has aliases, or nothing reads it.
    /// </summary>
    private bool Composable(ValueInfo y)
    {
        if (y.Root != y.Id || y.Id == _model.LogitsValue || _model.Values.Any(v => v.Root == y.Id && v.Id != y.Id)) return false;
        var readers = _model.Nodes.Where(n => n.Inputs.Contains(y.Name, StringComparer.Ordinal)).ToList();
        return readers.Count > 0 && readers.All(n => n.Op is SplitOp or SliceOp);
    }

    private bool IsRead(string value) =>
        _model.Value(value).Id == _model.LogitsValue || _model.Nodes.Any(n => n.Inputs.Contains(value, StringComparer.Ordinal));

    /// <summary>
    /// Add and Mul with the operand kinds <see cref="TrainingModel"/> admits. For SE's Mul the full-shape operand goes
    /// first: the ScaleChannels kernels take the map, then the per-image scale.
    /// </summary>
    private void LowerBinary(Node node)
    {
        var y = V(node.Output);
        var graph = _model.Graph;
        var operands = new (ValueInfo? Value, T[]? Constant)[2];
        for (var i = 0; i < 2; i++)
        {
            var name = node.Inputs[i];
            if (graph.IsInitializer(name))
            {
                var data = graph.Initializers[name].Data;
                var channels = TrainingModel.ConstantChannels(graph.ShapeOf(name), y.Shape)!.Value;
                operands[i] = (null, Enumerable.Range(0, channels).Select(j => T.CreateChecked(data[channels == 1 ? 0 : j])).ToArray());
            }
            else operands[i] = (V(name), null);
        }
        if (operands[0].Value is { } first && operands[1].Value is { } second && first.Shape != y.Shape && second.Shape == y.Shape)
            (operands[0], operands[1]) = (operands[1], operands[0]);

        var requires = operands.Any(o => o.Value is { } v && Requires(v));
        var gy = Output(y, requires);
        var scale = node.Op is MulOp && operands[0].Value is { } map && operands[1].Value is { } s && map.Shape == y.Shape && s.Shape != y.Shape;
        Operand<T> Make((ValueInfo? Value, T[]? Constant) o) => o.Value is { } v
            ? new Operand<T>(ValueSlot(v), v.Shape != y.Shape, null, Target(v, native: !scale))
            : new Operand<T>(null, false, o.Constant, null);
        var (a, b) = (Make(operands[0]), Make(operands[1]));
        int hw = y.H * y.W;
        _steps.Add(node.Op is AddOp
            ? new AddStep<T>(node.Name, y.Rows, hw, y.C, a, b, ValueSlot(y), gy)
            : new MulStep<T>(node.Name, y.Rows, hw, y.C, a, b, ValueSlot(y), gy));
    }
}
