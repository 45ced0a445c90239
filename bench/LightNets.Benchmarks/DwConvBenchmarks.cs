using BenchmarkDotNet.Attributes;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Benchmarks;

/// <summary>The NHWC depthwise kernels (f32-dwconv-*__v512 and lower tiers) on MobileNetV2's and MobileNetV3-Large's depthwise shapes.</summary>
[MemoryDiagnoser]
public unsafe class DwConvBenchmarks
{
    public static IEnumerable<string> Shapes() => ModelShapes.Depthwise("mobilenetv2_100").Concat(ModelShapes.Depthwise("mobilenetv3_large_100"))
        .Select(s => $"{s.H}x{s.W}x{s.C}k{s.K}s{s.Stride}").Distinct();

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "56x56x144k3s1";

    [Params(Isa.V512, Isa.V256, Isa.Scalar)]
    public Isa Isa { get; set; }

    private float[] _input = [], _output = [], _weights = [], _bias = [];
    private DwConvShape _shape;

    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split('x', 'k', 's').Select(int.Parse).ToArray();
        var (h, w, c, k, s) = (parts[0], parts[1], parts[2], parts[3], parts[4]);
        _shape = DwConvShape.Create(h, w, c, k, k, s, s, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2);
        var rng = new Random(1);
        _input = Enumerable.Range(0, h * w * c).Select(_ => rng.NextSingle()).ToArray();
        _output = new float[_shape.OH * _shape.OW * c];
        _weights = DwConv.PackWeights(Enumerable.Range(0, c * k * k).Select(_ => rng.NextSingle()).ToArray(), c, k, k);
        _bias = new float[DwConv.PackedChannels(c)];
    }

    [Benchmark]
    public void DepthwiseRelu6()
    {
        fixed (float* x = _input)
        fixed (float* y = _output)
        fixed (float* w = _weights)
        fixed (float* b = _bias)
            DwConv.Run(_shape, x, _shape.C, w, b, y, _shape.C, 0, _shape.OH, FusedActivation.Relu6, Isa);
    }
}
