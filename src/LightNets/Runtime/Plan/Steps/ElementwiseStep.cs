using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>
/// The element-wise ops that nothing could absorb: Add/Mul with NumPy broadcasting (a residual whose producer could
/// not take it, a constant from an imported graph), a standalone activation, Sigmoid, an unfolded BatchNorm. Rare in
/// the zoo after fusion, but every ReLU and Add of the guideline experiment G4 (fusion off): same-shape operands packed
/// back to back take a SIMD pass at memory speed, everything else one per-pixel channel loop written for clarity.
/// </summary>
internal sealed class ElementwiseStep : Step
{
    private enum Kind { Add, Mul, Unary, Affine, Normalize }

    private readonly Kind _kind;
    private readonly Op _op;
    private readonly Operand _a;
    private readonly Operand? _b;
    private readonly TensorView _output;
    private readonly FusedActivation _act;
    private readonly float[]? _scale; // γ for Normalize
    private readonly float[]? _shift; // β for Normalize
    private readonly float[]? _mean;
    private readonly float[]? _std;
    private readonly FusedActivation? _flat;

    private ElementwiseStep(string name, IReadOnlyList<Node> nodes, Kind kind, Op op, Operand a, Operand? b, TensorView output,
        FusedActivation act, float[]? scale = null, float[]? shift = null, float[]? mean = null, float[]? std = null) : base(name, nodes)
    {
        _kind = kind;
        _op = op;
        _a = a;
        _b = b;
        _output = output;
        _act = act;
        _scale = scale;
        _shift = shift;
        _mean = mean;
        _std = std;
        _flat = FlatActivation();
    }

    /// <summary>
    /// The activation of the SIMD path (<see cref="Elementwise.Add"/>, <see cref="Elementwise.Activate"/>) when this step
    /// is a plain Add of two same-shape tensors or a standalone ReLU/ReLU6, and every operand is a view, NHWC with no
    /// channel map (each pixel's channels contiguous, pixels possibly padded apart); null for the per-element path
    /// (broadcasting, the other ops). Both paths round alike.
    /// </summary>
    private FusedActivation? FlatActivation()
    {
        if (_output is not { Map: null, IsPixelMatrix: true } || !Packed(_a)) return null;
        if (_kind == Kind.Add) return Packed(_b) ? _act : null;
        if (_kind != Kind.Unary || _act != FusedActivation.None) return null;
        return _op switch
        {
            ReluOp => FusedActivation.Relu,
            ClipOp { IsRelu6: true } => FusedActivation.Relu6,
            _ => null,
        };
    }

    private bool Packed(Operand? o) => o is { SameShape: true, View: { Map: null, IsPixelMatrix: true } v }
        && v.Batch == _output.Batch && v.Height == _output.Height && v.Width == _output.Width && v.Channels == _output.Channels;

    /// <summary>Whether every operand's pixels are back to back (no padding between them): one pass over all the rows' elements.</summary>
    private bool Contiguous => _output.PixelStride == _output.Channels && _a.View!.PixelStride == _output.Channels
        && (_b?.View is null || _b.View.PixelStride == _output.Channels);

    /// <summary>
    /// One input, a view or a constant (NCHW, row-major), read at the output's (n, y, x, c) through one stride per
    /// output axis, 0 along the axes it is broadcast over. <see cref="SameShape"/>: it has the output's shape.
    /// </summary>
    private sealed record Operand(TensorView? View, float[]? Constant, long StrideN, long StrideH, long StrideW, long StrideC, bool SameShape)
    {
        public unsafe float Read(in RunContext ctx, int n, int y, int x, int c)
        {
            var i = n * StrideN + y * StrideH + x * StrideW + c * StrideC;
            return Constant is not null ? Constant[i] : ctx.Base(View!)[i];
        }

        /// <summary>
        /// NumPy broadcasting of <paramref name="shape"/> against the output's: the shapes are aligned on the right, and
        /// each output axis takes the operand's stride there, or 0 where the operand has no such axis or size 1. Both
        /// map their axes to the runtime's (N, C, H, W) the same way (<see cref="PlanCompiler.Dims"/>: trailing ones).
        /// </summary>
        public static Operand Broadcast(TensorView? view, float[]? constant, Shape shape, Shape output)
        {
            // The operand's own stride per axis: row-major for a constant, the view's N, C, H, W strides for a view.
            var own = new long[shape.Rank];
            long stride = 1;
            for (var i = shape.Rank - 1; i >= 0; i--)
            {
                own[i] = view is null ? stride : i switch { 0 => view.BatchStride, 1 => view.ChannelStride, 2 => view.RowStride, _ => view.PixelStride };
                stride *= shape[i];
            }
            var strides = new long[4]; // output axes N, C, H, W
            for (var i = 0; i < output.Rank; i++)
            {
                var j = i - (output.Rank - shape.Rank);
                if (j >= 0 && shape[j] != 1) strides[i] = own[j];
            }
            return new Operand(view, constant, strides[0], strides[2], strides[3], strides[1], shape == output);
        }
    }

    /// <summary>The step for <paramref name="node"/> (with <paramref name="nodes"/> fused into it), reading <paramref name="views"/>: one per node input, its dense NHWC view or null for an initializer.</summary>
    public static ElementwiseStep For(Node node, List<Node> nodes, IReadOnlyList<TensorView?> views, Graph g, TensorView output, FusedActivation act)
    {
        var shape = g.ShapeOf(node.Outputs[0]);
        Operand Input(int i) => Operand.Broadcast(views[i], views[i] is null ? g.Initializers[node.Inputs[i]].Data : null, g.ShapeOf(node.Inputs[i]), shape);
        float[] Constant(int i) => g.Initializers[node.Inputs[i]].Data;
        switch (node.Op)
        {
            case AddOp: return new(node.Name, nodes, Kind.Add, node.Op, Input(0), Input(1), output, act);
            case MulOp: return new(node.Name, nodes, Kind.Mul, node.Op, Input(0), Input(1), output, act);
            case BatchNormOp bn:
            {
                var (gamma, beta, mean, variance) = (Constant(1), Constant(2), Constant(3), Constant(4));
                var scale = new float[gamma.Length];
                var shift = new float[gamma.Length];
                for (var i = 0; i < gamma.Length; i++)
                {
                    var s = gamma[i] / Math.Sqrt(variance[i] + (double)bn.Epsilon);
                    scale[i] = (float)s;
                    shift[i] = (float)(beta[i] - mean[i] * s);
                }
                if (!scale.Any(float.IsInfinity))
                    return new(node.Name, nodes, Kind.Affine, node.Op, Input(0), null, output, act, scale, shift);
                // x·s + t is exact algebra only for a finite s: with s = ±∞ it is ±∞ − ±∞ = NaN where the reference's
                // γ·(x − μ)/σ + β is ±∞ (see FoldBatchNorm, which leaves such a BN here). Evaluate the reference's formula.
                var std = new float[gamma.Length];
                for (var i = 0; i < gamma.Length; i++) std[i] = MathF.Sqrt(variance[i] + bn.Epsilon);
                return new(node.Name, nodes, Kind.Normalize, node.Op, Input(0), null, output, act, gamma, beta, mean, std);
            }
            case ReluOp or ClipOp or HardSigmoidOp or HardSwishOp or SigmoidOp:
                return new(node.Name, nodes, Kind.Unary, node.Op, Input(0), null, output, act);
            case FakeQuantizeOp { Params: { IsPerTensor: false, Axis: not 1 } }:
                throw new NotSupportedException($"node '{node.Name}': the fast runtime quantizes activations per tensor or per channel (axis 1), not along axis {((FakeQuantizeOp)node.Op).Params.Axis}");
            case FakeQuantizeOp:
                // A QDQ model run in float32 (the nodes the int8 compiler did not take): the value rounded to its grid.
                return new(node.Name, nodes, Kind.Unary, node.Op, Input(0), null, output, act);
            default:
                throw new NotSupportedException($"node '{node.Name}': the fast runtime has no kernel for {node.Kind}");
        }
    }

    public override string Describe() => _kind switch
    {
        Kind.Add => "add",
        Kind.Mul => "mul",
        Kind.Affine or Kind.Normalize => "batchnorm (unfolded)",
        _ => _op.Kind.ToString().ToLowerInvariant(),
    } + (_act == FusedActivation.None ? "" : $" + {_act}");

    public override IEnumerable<TensorView> Operands()
    {
        if (_a.View is not null) yield return _a.View;
        if (_b?.View is not null) yield return _b.View;
        yield return _output;
    }

    private int Rows => _output.Batch * _output.Height;

    public override int Parts(int threads) => PartsFor((long)Rows * _output.Width * _output.Channels, threads, Rows);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        var o = _output;
        if (_flat is { } act)
        {
            // Same-shape operands: one SIMD pass over the rows' elements (memory speed) when the pixels are back to
            // back, else one per pixel (buffers whose pixels are padded apart, e.g. 256 channels stored 272 apart).
            var (pixels, length) = Contiguous ? (1, (int)((long)(end - start) * o.Width * o.Channels)) : ((end - start) * o.Width, o.Channels);
            var a = ctx.Base(_a.View!);
            var b = _b?.View is { } bv ? ctx.Base(bv) : null;
            var y = ctx.Base(o);
            var (sa, sb, so) = (_a.View!.PixelStride, _b?.View?.PixelStride ?? 0, o.PixelStride);
            var first = (long)start * o.Width;
            for (var p = 0L; p < pixels; p++)
            {
                var pixel = first + p;
                if (_kind == Kind.Add) Elementwise.Add(a + pixel * sa, b + pixel * sb, y + pixel * so, length, act, ctx.Isa);
                else Elementwise.Activate(a + pixel * sa, y + pixel * so, length, act, ctx.Isa);
            }
            return;
        }
        var dst = ctx.Base(o);
        for (var row = start; row < end; row++)
        {
            var n = row / o.Height;
            var y = row % o.Height;
            for (var x = 0; x < o.Width; x++)
            {
                var d = dst + n * o.BatchStride + y * o.RowStride + (long)x * o.PixelStride;
                for (var c = 0; c < o.Channels; c++)
                {
                    var a = _a.Read(ctx, n, y, x, c);
                    var v = _kind switch
                    {
                        Kind.Add => a + _b!.Read(ctx, n, y, x, c),
                        Kind.Mul => a * _b!.Read(ctx, n, y, x, c),
                        Kind.Affine => a * _scale![c] + _shift![c],
                        Kind.Normalize => _scale![c] * (a - _mean![c]) / _std![c] + _shift![c],
                        _ => Unary(a, c),
                    };
                    d[(long)c * o.ChannelStride] = Activations.Apply(v, _act);
                }
            }
        }
    }

    private float Unary(float x, int channel) => _op switch
    {
        FakeQuantizeOp { Params: var q } => q.IsPerTensor ? q.Dequantize(q.Quantize(x)) : q.Dequantize(q.Quantize(x, channel), channel),
        ReluOp => MathF.Max(x, 0f),
        ClipOp c => MathF.Min(MathF.Max(x, c.Min), c.Max),
        HardSigmoidOp h => MathF.Max(0f, MathF.Min(1f, h.Alpha * x + h.Beta)),
        HardSwishOp => x * (MathF.Min(MathF.Max(x + 3f, 0f), 6f) / 6f), // the reference's order: gate first, no overflow for x ≥ 3
        SigmoidOp => 1f / (1f + MathF.Exp(-x)),
        _ => x,
    };
}
