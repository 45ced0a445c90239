using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu.Int8;
using CodeGrid = LightNets.Runtime.Kernels.Cpu.Int8.QuantParams;

namespace LightNets.Runtime.Plan.Steps.Int8;

/// <summary>
/// Element-wise work on uint8 codes, pixel by pixel over N·H·W: Add or Mul of two quantized tensors (ONNX's QLinearAdd
/// and QLinearMul: dequantize, operate in float, quantize), Mul by a per-(image, channel) gate (SE), or a 256-entry
/// table (any activation of a quantized value onto another grid). With <see cref="_table"/> after a binary op, the
/// table is applied in place to its result (a ReLU or clip that follows an Add: exact, as quantization is monotone).
/// </summary>
internal sealed class Int8ElementwiseStep : Step
{
    public enum Kind { Add, Mul, ChannelMul, Table }

    private readonly Kind _kind;
    private readonly QuantizedView _a;
    private readonly QuantizedView? _b;
    private readonly QuantizedView _output;
    private readonly byte[]? _table;
    private readonly string _description;

    public Int8ElementwiseStep(string name, IReadOnlyList<Node> nodes, string description, Kind kind, QuantizedView a, QuantizedView? b,
        QuantizedView output, byte[]? table) : base(name, nodes)
    {
        (_kind, _a, _b, _output, _table, _description) = (kind, a, b, output, table, description);
        if (kind != Kind.Table && b is null) throw new ArgumentException("a binary op needs two operands", nameof(b));
        if (kind == Kind.Table && table is not { Length: 256 }) throw new ArgumentException("a table step needs 256 entries", nameof(table));
    }

    public override string Describe() => _description;

    public override IEnumerable<TensorView> Operands()
    {
        yield return _a.View;
        if (_b is not null) yield return _b.View;
        yield return _output.View;
    }

    private int Images => _output.View.Batch;

    private int Pixels => _output.View.Height * _output.View.Width;

    public override int Parts(int threads) => PartsFor((long)Images * Pixels * _output.View.Channels, threads, Images * _output.View.Height);

    private static CodeGrid Grid(QuantizedView v) => new(v.Scale, v.ZeroPoint);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var o = _output.View;
        var (start, end) = Share(Images * o.Height, part, parts);
        fixed (byte* table = _table)
        {
            for (var row = start; row < end; row++)
            {
                var (n, y) = (row / o.Height, row % o.Height);
                var a = QuantizedMemory.Base(ctx, _a.View, n) + y * _a.View.RowStride;
                var d = QuantizedMemory.Base(ctx, o, n) + y * o.RowStride;
                var (pixels, channels) = (o.Width, o.Channels);
                switch (_kind)
                {
                    case Kind.Add:
                        Int8Elementwise.Add(a, _a.View.PixelStride, Grid(_a), QuantizedMemory.Base(ctx, _b!.View, n) + y * _b.View.RowStride, _b.View.PixelStride,
                            Grid(_b), d, o.PixelStride, Grid(_output), pixels, channels, ctx.Isa);
                        break;
                    case Kind.Mul:
                        Int8Elementwise.Multiply(a, _a.View.PixelStride, Grid(_a), QuantizedMemory.Base(ctx, _b!.View, n) + y * _b.View.RowStride, _b.View.PixelStride,
                            Grid(_b), d, o.PixelStride, Grid(_output), pixels, channels, ctx.Isa);
                        break;
                    case Kind.ChannelMul:
                        Int8Elementwise.MultiplyByChannel(a, _a.View.PixelStride, Grid(_a), QuantizedMemory.Base(ctx, _b!.View, n), Grid(_b), d, o.PixelStride,
                            Grid(_output), pixels, channels, ctx.Isa);
                        break;
                    default:
                        Int8Elementwise.Lookup(a, _a.View.PixelStride, d, o.PixelStride, pixels, channels, table, ctx.Isa);
                        continue;
                }
                if (_table is not null) Int8Elementwise.Lookup(d, o.PixelStride, d, o.PixelStride, pixels, channels, table, ctx.Isa);
            }
        }
    }
}
