using LightNets.Graphs;

namespace LightNets.Onnx;

/// <summary>
/// Maps ONNX ops on feature maps to LightNets ops: convolution, normalization, activations, arithmetic with
/// constants, pooling and the classifier (Gemm, MatMul + Add). Layout ops (Reshape, Slice, Concat, ...) are in
/// <see cref="OnnxLayoutMapper"/>. Returns one value per ONNX output, or null for an op LightNets does not know.
/// </summary>
internal static class OnnxOpMapper
{
    /// <summary>Both torch's hardswish export (opset &lt; 14) and MobileNetV3's h-sigmoid use these.</summary>
    private const float HardSigmoidAlpha = 1f / 6f, HardSigmoidBeta = 0.5f, AttributeTolerance = 1e-6f;

    public static OnnxValue[]? Map(OnnxNode n, IrEmitter e) => n.OpType switch
    {
        "Identity" => [n.Required(0)],
        "Dropout" => Dropout(n),
        "Shape" => [new ConstValue(ConstantFolder.Shape(n), n.OutputName(0))],
        "Size" => [new ConstValue(ConstantFolder.Size(n), n.OutputName(0))],
        "Cast" => n.Int("to", 0) == 1 ? [n.Required(0)] : throw n.Unsupported("a Cast of feature maps to a type other than FLOAT"),
        "Conv" => [Conv(n, e)],
        "BatchNormalization" => BatchNorm(n, e),
        "Relu" => [Unary(n, e, new ReluOp())],
        "Sigmoid" => [Unary(n, e, new SigmoidOp())],
        "HardSwish" => [Unary(n, e, new HardSwishOp())],
        "HardSigmoid" => [Unary(n, e, new HardSigmoidOp(n.Float("alpha", 0.2f), n.Float("beta", 0.5f)))],
        "Clip" => [Clip(n, e)],
        "Add" or "Sub" or "Mul" or "Div" => [Arithmetic(n, e)],
        "MaxPool" or "AveragePool" => Pool(n, e),
        "GlobalAveragePool" => [Unary(n, e, new GlobalAveragePoolOp(), rank: 4)],
        "ReduceMean" => [ReduceMean(n, e)],
        "Gemm" => [Gemm(n, e)],
        "MatMul" => [MatMul(n, e)],
        "Softmax" => [Softmax(n, e)],
        "QuantizeLinear" or "DequantizeLinear" => OnnxQuantMapper.Map(n, e),
        _ => OnnxLayoutMapper.Map(n, e),
    };

    private static IrValue Unary(OnnxNode n, IrEmitter e, Op op, int? rank = null)
    {
        var x = e.AsIr(n.Input(0), n, 0);
        if (rank is { } r && x.Shape.Rank != r)
            throw n.Unsupported($"an input of rank {x.Shape.Rank} ([{x.Shape}]); LightNets needs rank {r}");
        return e.Emit(n.Name, op, [x.Name], n.OutputName(0));
    }

    private static OnnxValue[] Dropout(OnnxNode n)
    {
        // From opset 12 the training flag is an input; a model exported for training is not an inference graph.
        if (n.OptionalConst(2, "training_mode") is { } training && training.GetLong(0) != 0)
            throw n.Unsupported("Dropout in training mode");
        return [n.Required(0), new MissingValue($"the mask output of Dropout '{n.Name}'")];
    }

    private static IrValue Conv(OnnxNode n, IrEmitter e)
    {
        var x = e.AsIr(n.Input(0), n, 0);
        var w = e.AsIr(n.Input(1), n, 1);
        if (x.Shape.Rank != 4 || w.Shape.Rank != 4)
            throw n.Unsupported($"a convolution of input [{x.Shape}] with weight [{w.Shape}]; LightNets runs 2-D convolutions only");
        int kh = w.Shape[2], kw = w.Shape[3];
        if (n.Ints("kernel_shape") is { } ks && (ks.Length != 2 || ks[0] != kh || ks[1] != kw))
            throw n.Format($"has kernel_shape [{string.Join(", ", ks)}] but its weight '{w.Name}' is [{w.Shape}]");
        var strides = n.IntList("strides", 2, 1);
        var dilations = n.IntList("dilations", 2, 1);
        var pads = Padding(n, x.Shape.H, x.Shape.W, kh, kw, strides, dilations);
        var group = (int)n.Int("group", 1);
        var op = new Conv2dOp(kh, kw, strides[0], strides[1], pads, dilations[0], dilations[1], group)
        {
            WeightQuant = OnnxQuantMapper.WeightGrid(n.Input(1)),
        };
        List<string> inputs = [x.Name, w.Name];
        if (n.Input(2) is not null) inputs.Add(e.AsIr(n.Input(2), n, 2).Name);
        return e.Emit(n.Name, op, inputs, n.OutputName(0));
    }

    /// <summary>
    /// Explicit padding from pads [top, left, bottom, right] or auto_pad. SAME_* pads so that out = ceil(in / stride),
    /// the odd pixel after (SAME_UPPER, TensorFlow's choice) or before (SAME_LOWER).
    /// </summary>
    private static Padding2d Padding(OnnxNode n, int h, int w, int kh, int kw, int[] strides, int[] dilations)
    {
        var auto = n.String("auto_pad", "NOTSET");
        switch (auto)
        {
            case "NOTSET":
            {
                var p = n.IntList("pads", 4, 0);
                if (p.Any(v => v < 0)) throw n.Format($"has negative pads [{string.Join(", ", p)}]");
                return new Padding2d(p[0], p[1], p[2], p[3]);
            }
            case "VALID":
                return Padding2d.None;
            case "SAME_UPPER" or "SAME_LOWER":
            {
                var (top, bottom) = Same(h, kh, strides[0], dilations[0], auto == "SAME_UPPER");
                var (left, right) = Same(w, kw, strides[1], dilations[1], auto == "SAME_UPPER");
                return new Padding2d(top, left, bottom, right);
            }
            default:
                throw n.Format($"has auto_pad '{auto}'; ONNX defines NOTSET, VALID, SAME_UPPER and SAME_LOWER");
        }
    }

    private static (int Before, int After) Same(int size, int kernel, int stride, int dilation, bool upper)
    {
        var output = (size + stride - 1) / stride;
        var total = Math.Max((output - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
        var small = total / 2;
        return upper ? (small, total - small) : (total - small, small);
    }

    private static OnnxValue[] BatchNorm(OnnxNode n, IrEmitter e)
    {
        if (n.Int("training_mode", 0) != 0) throw n.Unsupported("BatchNormalization in training mode");
        var x = e.AsIr(n.Input(0), n, 0);
        var stats = Enumerable.Range(1, 4).Select(i => e.AsIr(n.Input(i), n, i).Name);
        var y = e.Emit(n.Name, new BatchNormOp(n.Float("epsilon", 1e-5f)), [x.Name, .. stats], n.OutputName(0));
        return [y, .. Enumerable.Range(1, 2).Select(i => new MissingValue($"the training-mode statistics output {i} of '{n.Name}'"))];
    }

    /// <summary>Clip with constant bounds (attributes before opset 11, inputs from 11); Clip(0, ∞) is a ReLU, Clip(0, 6) ReLU6.</summary>
    private static IrValue Clip(OnnxNode n, IrEmitter e)
    {
        float Bound(int i, float absent)
        {
            if (n.Opset < 11) return n.Float(i == 1 ? "min" : "max", absent);
            if (n.OptionalConst(i, i == 1 ? "min" : "max") is not { } c) return absent;
            return c.TryScalar(out var v) ? v : throw n.Format($"has a {(i == 1 ? "min" : "max")} of {c.Count} elements where a scalar is needed");
        }
        var min = Bound(1, float.NegativeInfinity);
        var max = Bound(2, float.PositiveInfinity);
        return Unary(n, e, min == 0f && float.IsPositiveInfinity(max) ? new ReluOp() : new ClipOp(min, max));
    }

    /// <summary>
    /// Add/Mul of two values (constants become initializers), Sub/Div by a constant (as Add of −c, Mul by 1/c),
    /// MatMul + constant bias (one Gemm) and x·HardSigmoid(x) (HardSwish, either operand order).
    /// </summary>
    private static IrValue Arithmetic(OnnxNode n, IrEmitter e)
    {
        var a = n.Required(0);
        var b = n.Required(1);
        if (n.OpType == "Add" && a is ConstValue && b is PendingMatMul) (a, b) = (b, a);
        if (n.OpType == "Add" && a is PendingMatMul m && b is ConstValue bias && IsRowVector(bias.Tensor, m.Weight.Dims[0]))
        {
            var biasName = bias.Tensor.Rank == 1
                ? e.AsIr(bias, n, 1).Name
                : e.Initializer(bias.Tensor.WithDims([m.Weight.Dims[0]]), bias.Name + "_bias", derived: true);
            var w = e.Initializer(m.Weight, m.WeightName, derived: true);
            return e.Emit(n.Name, new GemmOp { WeightQuant = m.WeightGrid }, [m.Input.Name, w, biasName], n.OutputName(0));
        }

        switch (n.OpType)
        {
            case "Sub" when b is ConstValue c:
                return Binary(n, e, new AddOp(), a, e.Initializer(c.Tensor.Map(static v => -v), c.Name + "_neg", derived: true));
            case "Div" when b is ConstValue c:
                return Binary(n, e, new MulOp(), a, e.Initializer(c.Tensor.Map(static v => 1f / v), c.Name + "_reciprocal", derived: true));
            case "Sub" or "Div":
                throw n.Unsupported($"{n.OpType} by a computed value; LightNets handles {n.OpType} by a constant only");
            case "Mul" when HardSwishSource(e, a, b) is { } x:
                return e.Emit(n.Name, new HardSwishOp(), [x.Name], n.OutputName(0));
            case "Mul":
                return Binary(n, e, new MulOp(), a, b);
            default:
                return Binary(n, e, new AddOp(), a, b);
        }
    }

    private static IrValue Binary(OnnxNode n, IrEmitter e, Op op, OnnxValue a, OnnxValue b)
    {
        // The feature map goes first: cost reports read a node's first input as "its" input.
        var ia = e.AsIr(a, n, 0).Name;
        var ib = e.AsIr(b, n, 1).Name;
        var swap = a is ConstValue && b is not ConstValue;
        return e.Emit(n.Name, op, swap ? [ib, ia] : [ia, ib], n.OutputName(0));
    }

    /// <summary>x op c where c is a constant already transformed into an initializer (−c for Sub, 1/c for Div).</summary>
    private static IrValue Binary(OnnxNode n, IrEmitter e, Op op, OnnxValue a, string constant) =>
        e.Emit(n.Name, op, [e.AsIr(a, n, 0).Name, constant], n.OutputName(0));

    /// <summary>x when one operand is HardSigmoid(x) with MobileNetV3's 1/6 and 0.5 and the other is x itself.</summary>
    private static IrValue? HardSwishSource(IrEmitter e, OnnxValue a, OnnxValue b)
    {
        if (a is not IrValue va || b is not IrValue vb) return null;
        foreach (var (x, gate) in new[] { (va, vb), (vb, va) })
        {
            if (e.Producer(gate.Name) is { Op: HardSigmoidOp hs } producer && producer.Inputs[0] == x.Name
                && Math.Abs(hs.Alpha - HardSigmoidAlpha) <= AttributeTolerance && Math.Abs(hs.Beta - HardSigmoidBeta) <= AttributeTolerance)
                return x;
        }
        return null;
    }

    private static OnnxValue[] Pool(OnnxNode n, IrEmitter e)
    {
        var x = e.AsIr(n.Input(0), n, 0);
        if (x.Shape.Rank != 4) throw n.Unsupported($"pooling of a rank-{x.Shape.Rank} input; LightNets pools 2-D feature maps");
        var kernel = n.Ints("kernel_shape") is { Length: 2 } k ? k.Select(v => (int)v).ToArray() : throw n.Format("needs a 2-value kernel_shape");
        var strides = n.IntList("strides", 2, 1);
        if (n.IntList("dilations", 2, 1).Any(d => d != 1)) throw n.Unsupported("dilated pooling");
        var pads = Padding(n, x.Shape.H, x.Shape.W, kernel[0], kernel[1], strides, [1, 1]);
        var ceil = n.Int("ceil_mode", 0) != 0;
        Op op = n.OpType == "MaxPool"
            ? new MaxPoolOp(kernel[0], kernel[1], strides[0], strides[1], pads, ceil)
            : new AveragePoolOp(kernel[0], kernel[1], strides[0], strides[1], pads, n.Int("count_include_pad", 0) != 0, ceil);
        var y = e.Emit(n.Name, op, [x.Name], n.OutputName(0));
        return [y, new MissingValue($"the indices output of MaxPool '{n.Name}'")];
    }

    /// <summary>
    /// ReduceMean over H and W: global average pooling, then Flatten when keepdims is 0 (torchvision's ShuffleNetV2).
    /// The axes are an attribute before opset 18 and the second input from 18 on.
    /// </summary>
    private static IrValue ReduceMean(OnnxNode n, IrEmitter e)
    {
        var x = e.AsIr(n.Input(0), n, 0);
        var given = n.Opset < 18 ? n.Ints("axes") : n.OptionalConst(1, "axes")?.AsLongs();
        var axes = given?.Select(a => ConstantIndexing.Axis(n, a, x.Shape.Rank)).Order().ToArray();
        if (x.Shape.Rank != 4 || axes is not [2, 3])
            throw n.Unsupported($"a mean over axes [{string.Join(", ", given ?? [])}] of [{x.Shape}]; LightNets reduces H and W of a 4-D map");
        if (n.Int("keepdims", 1) != 0) return e.Emit(n.Name, new GlobalAveragePoolOp(), [x.Name], n.OutputName(0));
        var pooled = e.Emit(n.Name, new GlobalAveragePoolOp(), [x.Name], n.OutputName(0) + "_pooled", outputIsOnnxName: false);
        return e.Emit(n.Name + "_flatten", new FlattenOp(), [pooled.Name], n.OutputName(0));
    }

    /// <summary>
    /// Y = alpha·A·op(B) + beta·C with constant B and C, as the IR's Y = X·Wᵀ + b: W = alpha·B for transB = 1,
    /// alpha·Bᵀ for transB = 0; b = beta·C flattened to [M].
    /// </summary>
    private static IrValue Gemm(OnnxNode n, IrEmitter e)
    {
        if (n.Int("transA", 0) != 0) throw n.Unsupported("Gemm with transA = 1");
        var x = e.AsIr(n.Input(0), n, 0);
        if (n.Input(1) is not ConstValue b || b.Tensor.Rank != 2)
            throw n.Unsupported("a Gemm whose B is not a constant matrix");
        var alpha = n.Float("alpha", 1f);
        var beta = n.Float("beta", 1f);
        var transB = n.Int("transB", 0) != 0;
        string w;
        if (transB && alpha == 1f) w = e.AsIr(b, n, 1).Name;
        else
        {
            var weight = transB ? b.Tensor : ConstantIndexing.Transpose2d(b.Tensor);
            if (alpha != 1f) weight = weight.Map(v => alpha * v);
            w = e.Initializer(weight, b.Name + (transB ? "_scaled" : "_T"), derived: true);
        }
        List<string> inputs = [x.Name, w];
        if (n.Input(2) is not null && beta != 0f)
        {
            if (n.Input(2) is not ConstValue c) throw n.Unsupported("a Gemm whose C is computed");
            var outFeatures = b.Tensor.Dims[transB ? 0 : 1];
            if (c.Tensor.Rank == 1 && c.Tensor.Dims[0] == outFeatures && beta == 1f) inputs.Add(e.AsIr(c, n, 2).Name);
            else if (IsRowVector(c.Tensor, outFeatures) || c.Tensor.Count == 1)
            {
                var values = c.Tensor.Count == 1 ? Enumerable.Repeat(c.Tensor.GetFloat(0), (int)outFeatures).ToArray() : c.Tensor.AsFloats();
                inputs.Add(e.Initializer(ConstTensor.Float([outFeatures], values.Select(v => beta * v).ToArray()), c.Name + "_bias", derived: true));
            }
            else throw n.Unsupported($"a Gemm bias C of shape [{c.Tensor.ShapeText}] (LightNets needs one value per output feature)");
        }
        // alpha·B is no longer on B's grid (alpha·s·q rounds differently from (alpha·s)·q): such weights run in float.
        var grid = alpha == 1f ? OnnxQuantMapper.WeightGrid(b, transposed: !transB) : null;
        return e.Emit(n.Name, new GemmOp { WeightQuant = grid }, inputs, n.OutputName(0));
    }

    /// <summary>[M] or [1, M]: a bias that broadcasts over the rows of an [N, M] result.</summary>
    private static bool IsRowVector(ConstTensor c, long m) =>
        c.Count == m && (c.Rank == 1 || c.Rank == 2 && c.Dims[0] == 1);

    /// <summary>X [N, K] · W [K, M] with W constant: held as a <see cref="PendingMatMul"/> until its consumer is known.</summary>
    private static OnnxValue MatMul(OnnxNode n, IrEmitter e)
    {
        var x = e.AsIr(n.Input(0), n, 0);
        if (x.Shape.Rank != 2 || n.Input(1) is not ConstValue { Tensor.Rank: 2 } w)
            throw n.Unsupported("a MatMul other than [N, K] × constant [K, M]");
        if (w.Tensor.Dims[0] != x.Shape[1])
            throw n.Format($"multiplies [{x.Shape}] by [{w.Tensor.ShapeText}]");
        return new PendingMatMul(x, ConstantIndexing.Transpose2d(w.Tensor), w.Name + "_T", n.OutputName(0), n.Name,
            OnnxQuantMapper.WeightGrid(w, transposed: true));
    }

    /// <summary>
    /// Softmax over classes or channels. Before opset 13 the axis means "flatten from here", equal to a channel
    /// softmax only on N×C inputs (or N×C×1×1).
    /// </summary>
    private static IrValue Softmax(OnnxNode n, IrEmitter e)
    {
        var x = e.AsIr(n.Input(0), n, 0);
        var rank = x.Shape.Rank;
        var axis = ConstantIndexing.Axis(n, n.Int("axis", n.Opset < 13 ? 1 : -1), rank);
        var ok = axis == 1 && (rank == 2 || rank == 4 && (n.Opset >= 13 || x.Shape.H * x.Shape.W == 1));
        if (!ok) throw n.Unsupported($"softmax over axis {axis} of [{x.Shape}]; LightNets applies softmax over axis 1");
        return e.Emit(n.Name, new SoftmaxOp(), [x.Name], n.OutputName(0));
    }
}
