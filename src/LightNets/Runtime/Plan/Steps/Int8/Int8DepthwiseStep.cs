using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;

namespace LightNets.Runtime.Plan.Steps.Int8;

/// <summary>An int8 depthwise convolution with the fused epilogue (bias, activation, requantization), split by output rows.</summary>
internal sealed class Int8DepthwiseStep : Step
{
    private readonly QuantizedView _input, _output;
    private readonly DwConvShape _shape;
    private readonly int[] _weights;
    private readonly Requantize _epilogue;
    private readonly string _description;

    // codes: int8 weights [C][kh][kw].
    public Int8DepthwiseStep(string name, IReadOnlyList<Node> nodes, string description, QuantizedView input, QuantizedView output,
        DwConvShape shape, sbyte[] codes, Requantize epilogue) : base(name, nodes)
    {
        (_input, _output, _shape, _epilogue, _description) = (input, output, shape, epilogue, description);
        _weights = Int8DwConv.PackWeights(codes, shape.C, shape.KH, shape.KW);
    }

    public override string Describe() => _description;

    public override IEnumerable<TensorView> Operands() => [_input.View, _output.View];

    private int Rows => _output.View.Batch * _shape.OH;

    public override int Parts(int threads) =>
        PartsFor((long)Rows * _shape.OW * _shape.C * _shape.KH * _shape.KW, threads, Rows);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        fixed (int* w = _weights)
        {
            while (start < end)
            {
                var n = start / _shape.OH;
                var last = Math.Min(end, (n + 1) * _shape.OH);
                Int8DwConv.Run(_shape, QuantizedMemory.Base(ctx, _input.View, n), _input.View.PixelStride, _input.ZeroPoint, w, _epilogue, 0,
                    QuantizedMemory.Base(ctx, _output.View, n), _output.View.PixelStride, start - n * _shape.OH, last - n * _shape.OH, ctx.Isa);
                start = last;
            }
        }
    }
}

/// <summary>Global average pooling of uint8 codes: exact int32 sums, then the mean requantized onto the output's grid.</summary>
internal sealed class Int8GlobalPoolStep(string name, IReadOnlyList<Node> nodes, QuantizedView input, QuantizedView output, Requantize epilogue)
    : Step(name, nodes)
{
    public override string Describe() => "int8 global avgpool";

    public override IEnumerable<TensorView> Operands() => [input.View, output.View];

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var v = input.View;
        Int8Pool.GlobalAverage(QuantizedMemory.Base(ctx, v), v.Batch, v.BatchStride, v.Height * v.Width, v.Channels, v.PixelStride, input.ZeroPoint,
            epilogue, 0, QuantizedMemory.Base(ctx, output.View), output.View.BatchStride, ctx.Isa);
    }
}

/// <summary>Max pooling on uint8 codes (the maximum commutes with the monotone dequantization), split by output rows.</summary>
internal sealed class Int8MaxPoolStep(string name, IReadOnlyList<Node> nodes, QuantizedView input, QuantizedView output, PoolShape shape)
    : Step(name, nodes)
{
    public override string Describe() => $"int8 maxpool {shape.KH}×{shape.KW}{(shape.StrideH > 1 ? $"/{shape.StrideH}" : "")}";

    public override IEnumerable<TensorView> Operands() => [input.View, output.View];

    private int Rows => output.View.Batch * shape.OH;

    public override int Parts(int threads) => PartsFor((long)Rows * shape.OW * shape.C * shape.KH * shape.KW, threads, Rows);

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Rows, part, parts);
        while (start < end)
        {
            var n = start / shape.OH;
            var last = Math.Min(end, (n + 1) * shape.OH);
            Int8Pool.Max(shape, QuantizedMemory.Base(ctx, input.View, n), input.View.PixelStride, QuantizedMemory.Base(ctx, output.View, n),
                output.View.PixelStride, start - n * shape.OH, last - n * shape.OH, ctx.Isa);
            start = last;
        }
    }
}
