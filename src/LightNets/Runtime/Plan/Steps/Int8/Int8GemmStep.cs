using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu.Int8;

namespace LightNets.Runtime.Plan.Steps.Int8;

/// <summary>One group of an int8 1×1 convolution or FC: its packed weights, the input channels it reads, its first output channel.</summary>
internal sealed record Int8GemmGroup(PackedInt8Matrix Weights, int KOffset, int NOffset);

/// <summary>
/// An int8 1×1 convolution (grouped or not) or FC layer over uint8 NHWC pixels as M = N·H·W GEMM rows, with the
/// epilogue (bias, residual add, activation, requantization) fused: uint8 out, or float out for the logits.
/// </summary>
internal sealed class Int8GemmStep : Step
{
    private readonly QuantizedView _input;
    private readonly TensorView _output;
    private readonly QuantizedView? _residual;
    private readonly Int8GemmGroup[] _groups;
    private readonly Requantize _epilogue;
    private readonly bool _floatOutput;
    private readonly Int8Isa _isa;
    private readonly int _rows, _tile;
    private readonly long _macs;
    private readonly string _description;

    public Int8GemmStep(string name, IReadOnlyList<Node> nodes, string description, QuantizedView input, TensorView output, bool floatOutput,
        QuantizedView? residual, Int8GemmGroup[] groups, Requantize epilogue, Int8Isa isa) : base(name, nodes)
    {
        (_input, _output, _floatOutput, _residual, _groups, _epilogue, _isa) = (input, output, floatOutput, residual, groups, epilogue, isa);
        _rows = input.View.Batch * input.View.Height * input.View.Width;
        _tile = Int8Gemm.TileRows(isa);
        _macs = (long)_rows * groups.Sum(g => (long)g.Weights.K * g.Weights.N);
        _description = description;
    }

    public override string Describe() => _description;

    public override IEnumerable<TensorView> Operands()
    {
        yield return _input.View;
        yield return _output;
        if (_residual is not null) yield return _residual.View;
    }

    public override int Parts(int threads) => PartsFor(_macs, threads, (_rows + _tile - 1) / _tile);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(_rows, part, parts, _tile);
        if (start >= end) return;
        var a = QuantizedMemory.Base(ctx, _input.View);
        var r = _residual is null ? null : QuantizedMemory.Base(ctx, _residual.View);
        foreach (var g in _groups)
        {
            var args = new Int8GemmArgs
            {
                A = a + g.KOffset, Lda = _input.View.PixelStride, ZeroPointA = _input.ZeroPoint,
                Ldc = _output.PixelStride, Channel = g.NOffset,
                Residual = r is null ? null : r + g.NOffset, Ldr = _residual?.View.PixelStride ?? 0,
            };
            if (_floatOutput)
            {
                args.FloatC = ctx.Base(_output) + g.NOffset;
                Int8Gemm.RunFloat(g.Weights, args, _epilogue, start, end, g.Weights.Isa);
            }
            else
            {
                args.C = QuantizedMemory.Base(ctx, _output) + g.NOffset;
                Int8Gemm.Run(g.Weights, args, _epilogue, start, end, g.Weights.Isa);
            }
        }
    }
}
