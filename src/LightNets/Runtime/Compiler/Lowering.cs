using LightNets.Graphs;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;
using LightNets.Runtime.Plan.Steps;

namespace LightNets.Runtime.Compiler;

/// <summary>Node-by-node lowering (see <see cref="PlanCompiler"/>).</summary>
internal sealed partial class PlanCompiler
{
    private void Lower(Node node)
    {
        switch (node.Op)
        {
            case Conv2dOp conv:
                LowerConv(node, conv);
                break;
            case GemmOp:
                LowerFullyConnected(node);
                break;
            case ChannelShuffleOp shuffle:
                _views[node.Output] = Shuffled(ViewOf(node.Inputs[0]), shuffle.Groups);
                break;
            case SliceOp slice:
                _views[node.Output] = Channels(ViewOf(node.Inputs[0]), slice.Start, slice.End - slice.Start);
                break;
            case SplitOp split:
            {
                var start = 0;
                for (var i = 0; i < split.Sizes.Count; i++)
                {
                    _views[node.Outputs[i]] = Channels(ViewOf(node.Inputs[0]), start, split.Sizes[i]);
                    start += split.Sizes[i];
                }
                break;
            }
            case ConcatOp:
                LowerConcat(node);
                break;
            case FlattenOp:
                LowerFlatten(node);
                break;
            case GlobalAveragePoolOp:
            {
                var input = Dense(node.Inputs[0]);
                var output = NewDense(node.Output);
                _steps.Add(new GlobalPoolStep(node.Name, [node], input, output));
                _views[node.Output] = output;
                break;
            }
            case PoolOp pool:
            {
                var input = Dense(node.Inputs[0]);
                var output = OutputView(node.Output);
                _steps.Add(new PoolStep(node.Name, [node], pool, input, output));
                _views[node.Output] = output;
                break;
            }
            case MulOp when IsFoldableSqueezeExcite(node):
                break; // lowered with the 1×1 convolution that reads it (see LowerPointwise)
            case DropoutOp:
                _views[node.Output] = ViewOf(node.Inputs[0]); // the identity at inference (kept only when it names a graph output)
                break;
            case SoftmaxOp:
            {
                var input = Dense(node.Inputs[0]);
                var output = NewDense(node.Output);
                _steps.Add(new SoftmaxStep(node.Name, [node], input, output));
                _views[node.Output] = output;
                break;
            }
            default:
                LowerElementwise(node);
                break;
        }
    }

    // ----- views without data movement ------------------------------------------------------------------------------

    private static TensorView Channels(TensorView v, int start, int count)
    {
        if (v.Map is null) return v with { Channels = count, ChannelOffset = v.ChannelOffset + start * v.ChannelStride };
        return v with { Channels = count, Map = v.Map[start..(start + count)] };
    }

    /// <summary>out[j·g + i] = in[i·n + j]: only the channel map changes.</summary>
    private static TensorView Shuffled(TensorView v, int groups)
    {
        var c = v.Channels;
        var n = c / groups;
        var map = new int[c];
        for (var i = 0; i < groups; i++)
            for (var j = 0; j < n; j++)
                map[j * groups + i] = v.Physical(i * n + j);
        return v with { Map = map };
    }

    private void LowerConcat(Node node)
    {
        var full = ConcatView(node);
        var offset = 0;
        var map = new int[full.Channels];
        var permuted = false;
        foreach (var input in node.Inputs)
        {
            var view = ViewOf(input);
            var c = view.Channels;
            var target = TensorView.NhwcSlice(full.Slot, full.Batch, full.Height, full.Width, c, full.PixelStride, offset);
            if (view.Slot == full.Slot && view.ChannelOffset == offset && view.Map is null)
            {
                // Written in place by its producer.
                for (var i = 0; i < c; i++) map[offset + i] = offset + i;
            }
            else if (view.Map is not null && view.IsNhwc && view.IsPixelMatrix && target.IsPixelMatrix)
            {
                // A shuffled half (ShuffleNetV2's identity branch): copy its channels in physical order, a few contiguous
                // runs, and let the concat's channel map record where each logical channel went. Consumers absorb the map.
                var order = Enumerable.Range(0, c).OrderBy(view.Physical).ToArray();
                for (var rank = 0; rank < c; rank++) map[offset + order[rank]] = offset + rank;
                _steps.Add(new CopyChannelsStep($"{node.Name}.{input}", [node], view with { Map = null }, target,
                    CopyChannelsStep.Runs(order.Select(view.Physical).ToArray())));
                permuted = true;
            }
            else
            {
                for (var i = 0; i < c; i++) map[offset + i] = offset + i;
                _steps.Add(new CopyChannelsStep($"{node.Name}.{input}", [node], view, target));
            }
            offset += c;
        }
        _views[node.Output] = permuted ? full with { Map = map } : full;
    }

    private void LowerFlatten(Node node)
    {
        var input = ViewOf(node.Inputs[0]);
        if (input.Height == 1 && input.Width == 1)
        {
            _views[node.Output] = input; // N×C×1×1 and N×C are the same memory in NHWC
            return;
        }
        // Flatten of a feature map orders (C, H, W): write it in NCHW order.
        var s = _g.ShapeOf(node.Output);
        var slot = NewSlot(s.ElementCount, node.Output);
        var nchw = TensorView.Nchw(slot, input.Batch, input.Channels, input.Height, input.Width);
        _steps.Add(new CopyChannelsStep(node.Name, [node], input, nchw));
        _views[node.Output] = TensorView.Nhwc(slot, s[0], 1, 1, s[1]);
    }

    // ----- convolutions --------------------------------------------------------------------------------------------

    private void LowerConv(Node node, Conv2dOp op)
    {
        // A deferred SE multiply has no view of its own: the pointwise path reads its operand x and gate s.
        var input = !_views.ContainsKey(node.Inputs[0]) && _g.Producer(node.Inputs[0]) is { Op: MulOp } se
            ? _views[SqueezeExciteOperands(se).X]
            : ViewOf(node.Inputs[0]);
        var w = Init(node.Inputs[1]);
        var bias = node.Inputs.Count > 2 ? Init(node.Inputs[2]).Data : null;
        var cin = input.Channels;
        var cout = w.Shape[0];
        var pointwise = op is { KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1, Padding: { Top: 0, Left: 0, Bottom: 0, Right: 0 } };
        var depthwise = op.Groups == cin && cin == cout && op.Groups > 1;

        if (depthwise)
        {
            LowerDepthwise(node, op, input, w.Data, bias);
            return;
        }
        if (pointwise && input.IsNhwc && input.IsPixelMatrix)
        {
            LowerPointwise(node, op.Groups, input, w.Data, bias, cin, cout);
            return;
        }
        var (value, act, _, nodes) = Epilogue(node, allowResidual: false);
        var output = OutputView(value);
        if (input.Map is not null && !input.IsNhwc) input = Dense(node.Inputs[0]);
        var kPerGroup = cin / op.Groups * op.KernelH * op.KernelW;
        var coutPerGroup = cout / op.Groups;
        var groups = new PackedMatrix[op.Groups];
        for (var g = 0; g < op.Groups; g++)
        {
            groups[g] = PackedMatrix.FromOutputMajor(w.Data.AsSpan(g * coutPerGroup * kPerGroup, coutPerGroup * kPerGroup), coutPerGroup, kPerGroup,
                bias is null ? default : bias.AsSpan(g * coutPerGroup, coutPerGroup), _isa);
        }
        var description = $"{LayerName(op, cin, cout)}{Suffix(act, null)} (im2col + GEMM)";
        _steps.Add(new Im2ColConvStep(node.Name, nodes, description, input, output, op, groups, act, _threads));
        _views[value] = output;
    }

    private static string LayerName(Conv2dOp op, int cin, int cout) =>
        $"conv {op.KernelH}×{op.KernelW}{(op.StrideH > 1 ? $"/{op.StrideH}" : "")}{(op.Groups > 1 ? $" g{op.Groups}" : "")} {cin}→{cout}";

    private void LowerPointwise(Node node, int groups, TensorView input, float[] w, float[]? bias, int cin, int cout)
    {
        // SE: the conv reads Mul(x, s) with s an N×C×1×1 gate and nothing else reads the product: fold s into the weights per image.
        TensorView? scale = null;
        var seNodes = new List<Node>();
        if (groups == 1 && _g.Producer(node.Inputs[0]) is { Op: MulOp } mul && IsFoldableSqueezeExcite(mul))
        {
            var (x, s) = SqueezeExciteOperands(mul);
            var xv = _views[x];
            if (!xv.IsPixelMatrix || xv.Map is not null) xv = Dense(x);
            scale = Dense(s);
            input = xv;
            seNodes.Add(mul);
        }
        if (scale is null && _g.Producer(node.Inputs[0]) is { Op: MulOp } skipped && IsFoldableSqueezeExcite(skipped))
            throw new InvalidOperationException($"{node.Name}: the SE multiply '{skipped.Name}' was deferred but could not be folded");

        var kPer = cin / groups;
        var nPer0 = cout / groups;
        if (scale is null && FeedsDepthwiseAlone(EpilogueValue(node)))
        {
            // Deferred: the depthwise convolution computes this 1×1 convolution's rows as it needs them.
            var (ev, eact, _, enodes) = Epilogue(node, allowResidual: false);
            var egroups = new GemmGroup[groups];
            for (var g = 0; g < groups; g++)
                egroups[g] = GemmGroupFor(input, g * kPer, kPer, w.AsSpan(g * nPer0 * kPer, nPer0 * kPer),
                    bias is null ? default : bias.AsSpan(g * nPer0, nPer0), nPer0, g * nPer0);
            var virtualSlot = new BufferSlot(-1, 0, ev + ".expanded");
            var shape = _g.ShapeOf(ev);
            _views[ev] = TensorView.Nhwc(virtualSlot, shape.N, shape.H, shape.W, shape.C);
            _pendingExpand[virtualSlot] = new PendingExpand(new PointwiseStage(egroups, eact,
                $"{(groups > 1 ? $"gconv 1×1 g{groups}" : "conv 1×1")} {cin}→{cout}{Suffix(eact, null)}"), input with { Map = null }, enodes);
            return;
        }
        var (value, act, residual, nodes) = Epilogue(node, allowResidual: true);
        nodes.InsertRange(0, seNodes);
        var output = OutputView(value);
        var nPer = cout / groups;
        var list = new GemmGroup[groups];
        for (var g = 0; g < groups; g++)
        {
            var wg = w.AsSpan(g * nPer * kPer, nPer * kPer);
            var bg = bias is null ? default : bias.AsSpan(g * nPer, nPer);
            list[g] = GemmGroupFor(input, g * kPer, kPer, wg, bg, nPer, g * nPer);
        }
        var description = $"{(groups > 1 ? $"gconv 1×1 g{groups}" : "conv 1×1")} {cin}→{cout}{(scale is null ? "" : " × SE")}{Suffix(act, residual)}";
        if (list.Any(g => g.KIndex is not null)) description += " (gathered K)";
        _steps.Add(new GemmStep(node.Name, nodes, description, input with { Map = null, Channels = input.Channels }, output, residual, scale, list, act, _isa));
        _views[value] = output;
    }

    /// <summary>The value a node's epilogue would end with (its activation's output, if it has one to fuse), without fusing.</summary>
    private string EpilogueValue(Node node)
    {
        var value = node.Outputs[0];
        return SoleConsumer(value) is { } next && AsActivation(next.Op) is not null ? next.Output : value;
    }

    /// <summary>
    /// An SE multiply Mul(x, s) whose gate s is N×C×1×1 and whose product only an ungrouped 1×1 convolution reads:
    /// the convolution folds s into its weights, so the product is never written.
    /// </summary>
    private bool IsFoldableSqueezeExcite(Node mul)
    {
        if (!_fuse) return false;
        if (SoleConsumer(mul.Output) is not { Op: Conv2dOp { KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1, Groups: 1 } conv } consumer
            || conv.Padding != Padding2d.None || consumer.Inputs[0] != mul.Output)
            return false;
        var (x, s) = SqueezeExciteOperands(mul);
        var xs = _g.ShapeOf(x);
        var ss = _g.ShapeOf(s);
        return xs.Rank == 4 && ss is { Rank: 4, H: 1, W: 1 } && ss.C == xs.C && ss.N == xs.N && !_g.IsInitializer(x) && !_g.IsInitializer(s);
    }

    /// <summary>The feature map x and the N×C×1×1 gate s of an SE multiply, in either operand order.</summary>
    private (string X, string S) SqueezeExciteOperands(Node mul) =>
        _g.ShapeOf(mul.Inputs[1]) is { Rank: 4, H: 1, W: 1 } ? (mul.Inputs[0], mul.Inputs[1]) : (mul.Inputs[1], mul.Inputs[0]);

    /// <summary>
    /// Packs one group's weights for the channels it reads: dense when its physical channels are a run in order, a
    /// permuted run (weights reordered, still dense), or anything else through a K index table.
    /// </summary>
    private GemmGroup GemmGroupFor(TensorView input, int kStart, int k, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, int n, int nOffset)
    {
        var physical = new int[k];
        for (var i = 0; i < k; i++) physical[i] = input.Physical(kStart + i);
        var min = physical.Min();
        var isRun = physical.Max() - min + 1 == k && physical.Distinct().Count() == k;
        var panel = _isa;
        if (!isRun)
            return new GemmGroup(PackedMatrix.FromOutputMajor(w, n, k, bias, panel), physical, 0, nOffset);
        var reordered = new float[n * k];
        for (var col = 0; col < n; col++)
            for (var i = 0; i < k; i++)
                reordered[col * k + (physical[i] - min)] = w[col * k + i];
        return new GemmGroup(PackedMatrix.FromOutputMajor(reordered, n, k, bias, panel), null, min, nOffset);
    }

    private void LowerFullyConnected(Node node)
    {
        var input = Dense(node.Inputs[0]);
        var w = Init(node.Inputs[1]);
        var bias = node.Inputs.Count > 2 ? Init(node.Inputs[2]).Data : null;
        var (n, k) = (w.Shape[0], w.Shape[1]);
        var (value, act, residual, nodes) = Epilogue(node, allowResidual: true);
        var output = OutputView(value);
        var group = new GemmGroup(PackedMatrix.FromOutputMajor(w.Data, n, k, bias, _isa), null, 0, 0);
        _steps.Add(new GemmStep(node.Name, nodes, $"fc {k}→{n}{Suffix(act, residual)}", input, output, residual, null, [group], act, _isa));
        _views[value] = output;
    }

    private void LowerDepthwise(Node node, Conv2dOp op, TensorView input, float[] w, float[]? bias)
    {
        var c = input.Channels;
        _pendingExpand.TryGetValue(input.Slot, out var expand);
        if (expand is null)
        {
            // A permuted but contiguous input is convolved in physical order (weights permuted, map kept); anything else is copied.
            if (input.Map is not null && !input.TryContiguous(out _)) input = Dense(node.Inputs[0]);
            if (!input.IsNhwc) input = Dense(node.Inputs[0]);
        }
        input.TryContiguous(out var start);
        var taps = op.KernelH * op.KernelW;
        var physicalW = new float[c * taps];
        var physicalB = new float[c];
        for (var i = 0; i < c; i++)
        {
            var p = input.Physical(i) - start;
            Array.Copy(w, i * taps, physicalW, p * taps, taps);
            physicalB[p] = bias?[i] ?? 0f;
        }
        var (value, act, _, nodes) = Epilogue(node, allowResidual: false);
        var outputMap = input.Map?.Select(m => m - start).ToArray();
        var shapeOut = _g.ShapeOf(value);
        var shape = new DwConvShape(input.Height, input.Width, c, op.KernelH, op.KernelW, op.StrideH, op.StrideW,
            op.Padding.Top, op.Padding.Left, shapeOut.H, shapeOut.W);
        var dwName = $"dwconv {op.KernelH}×{op.KernelW}{(op.StrideH > 1 ? $"/{op.StrideH}" : "")}{Suffix(act, null)}";
        var source = expand?.Input ?? input with { Map = null, ChannelOffset = input.ChannelOffset + start };
        List<Node> all = [.. expand?.Nodes ?? [], .. nodes];

        // On small maps with several threads, split the expansion and depthwise by channels (the projection, if any, then
        // runs as its own GEMM step): row bands would make each thread recompute most of the expansion.
        if (expand is not null && PreferChannelSplit(shape, expand.Stage, shapeOut.N))
        {
            var split = outputMap is null ? OutputView(value) : NewDense(value);
            _steps.Add(new ChannelSplitDepthwiseStep(node.Name, all, source, split, expand.Stage, shape, physicalW, physicalB, act, dwName, _threads));
            _views[value] = outputMap is null ? split : split with { Map = outputMap };
            return;
        }

        // The 1×1 convolution that alone reads the depthwise output (not an SE block's) becomes the projection stage.
        if (_fuse && _bands && SoleConsumer(value) is { Op: Conv2dOp { KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1 } pwOp } pw
            && pw.Inputs[0] == value && pwOp.Padding == Padding2d.None && pw.Inputs.Skip(1).All(_g.IsInitializer)
            && !(pwOp.Groups == c && c == Init(pw.Inputs[1]).Shape[0])
            && !(expand is null && PreferPanelSplitProjection(shapeOut, pwOp, Init(pw.Inputs[1]))))
        {
            _fused.Add(pw);
            var (final, pact, residual, pnodes) = Epilogue(pw, allowResidual: true);
            var pwW = Init(pw.Inputs[1]);
            var cout = pwW.Shape[0];
            var pwBias = pw.Inputs.Count > 2 ? Init(pw.Inputs[2]).Data : null;
            // The band buffer as a view, for the channel map only (it lives in the step's scratch, not in a slot).
            var band = new TensorView(new BufferSlot(-1, 0, value + ".band"), 1, 1, shapeOut.W, c, 0, 0, c, 1, 0, outputMap);
            var kPer = c / pwOp.Groups;
            var nPer = cout / pwOp.Groups;
            var groups = new GemmGroup[pwOp.Groups];
            for (var g = 0; g < pwOp.Groups; g++)
                groups[g] = GemmGroupFor(band, g * kPer, kPer, pwW.Data.AsSpan(g * nPer * kPer, nPer * kPer),
                    pwBias is null ? default : pwBias.AsSpan(g * nPer, nPer), nPer, g * nPer);
            var project = new PointwiseStage(groups, pact, $"{(pwOp.Groups > 1 ? $"gconv 1×1 g{pwOp.Groups}" : "conv 1×1")} {c}→{cout}{Suffix(pact, residual)}");
            var output = OutputView(final);
            _steps.Add(new FusedDepthwiseStep(node.Name, [.. all, .. pnodes], source, output, residual, expand?.Stage, shape, physicalW, physicalB,
                act, dwName, project, _threads));
            _views[final] = output;
            return;
        }

        var target = outputMap is null ? OutputView(value) : NewDense(value);
        if (expand is null)
            _steps.Add(new DepthwiseStep(node.Name, nodes, dwName, source, target, op, physicalW, physicalB, act));
        else
            _steps.Add(new FusedDepthwiseStep(node.Name, all, source, target, null, expand.Stage, shape, physicalW, physicalB, act, dwName, null, _threads));
        // The output keeps the input's channel map (relative to the output's own channels).
        _views[value] = outputMap is null ? target : target with { Map = outputMap };
    }

    /// <summary>
    /// Whether <see cref="ChannelSplitDepthwiseStep"/> beats row bands: more than one thread, an expansion of at least
    /// two panels, row bands that would recompute over 20% of the expansion, and each thread's share of the
    /// expanded image small enough (≤ 512 KiB) to stay in its L2.
    /// </summary>
    private bool PreferChannelSplit(in DwConvShape shape, PointwiseStage expand, int batch)
    {
        var panels = expand.Groups.Sum(g => g.Weights.Panels);
        if (_threads <= 1 || !_fuse || panels < 2) return false;
        var runs = Math.Min(2 * _threads, panels);
        var share = (long)shape.H * shape.W * ((shape.C + runs - 1) / runs) * sizeof(float);
        return share <= 512 * 1024 && FusedDepthwiseStep.ExpansionRecompute(shape, expand, null, batch, _threads) > 1.4;
    }

    /// <summary>
    /// Whether a depthwise → 1×1 pair (MobileNetV1's layers) should run as two steps on several threads: row bands hand
    /// each thread a few dozen GEMM rows, and every band streams all of B again (1 MiB for 512→512, more than the L2
    /// holds), which cost V1's 14×14 layers 13% of their time on two threads. As its own step the projection splits its
    /// panels instead, each thread reading half of B once; the depthwise output's round trip through L2 costs far less.
    /// </summary>
    private bool PreferPanelSplitProjection(Tensors.Shape depthwiseOut, Conv2dOp pw, Tensors.Tensor weights) =>
        _threads > 1 && pw.Groups == 1 && (long)depthwiseOut.N * depthwiseOut.H * depthwiseOut.W < GemmStep.PanelSplitRows(_isa)
        && weights.Shape[0] * weights.Shape[1] * sizeof(float) >= 256 * 1024;

    /// <summary>A 1×1 convolution deferred into the depthwise convolution it feeds (see <see cref="FusedDepthwiseStep"/>).</summary>
    private sealed record PendingExpand(PointwiseStage Stage, TensorView Input, List<Node> Nodes);

    private readonly Dictionary<BufferSlot, PendingExpand> _pendingExpand = [];

    /// <summary>
    /// Whether the 1×1 convolution producing <paramref name="value"/> can become the expansion stage of the depthwise
    /// convolution that alone reads it (directly or through a channel shuffle).
    /// </summary>
    private bool FeedsDepthwiseAlone(string value)
    {
        if (!_fuse || !_bands) return false;
        var consumer = SoleConsumer(value);
        if (consumer is { Op: ChannelShuffleOp }) consumer = SoleConsumer(consumer.Output);
        return consumer is { Op: Conv2dOp dw } node && dw.Groups > 1 && dw.Groups == _g.ShapeOf(node.Inputs[0]).C
            && _g.ShapeOf(node.Outputs[0]).C == dw.Groups && node.Inputs.Skip(1).All(_g.IsInitializer);
    }

    // ----- everything else ------------------------------------------------------------------------------------------

    private void LowerElementwise(Node node)
    {
        var views = node.Inputs.Select(i => _g.IsInitializer(i) ? null : Dense(i)).ToArray();
        var (value, act, _, nodes) = node.Op is AddOp or MulOp or BatchNormOp ? Epilogue(node, allowResidual: false) : (node.Output, FusedActivation.None, null, [node]);
        var output = OutputView(value);
        _steps.Add(ElementwiseStep.For(node, nodes, views, _g, output, act));
        _views[value] = output;
    }
}
