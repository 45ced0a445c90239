using BenchmarkDotNet.Attributes;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;

namespace LightNets.Benchmarks;

/// <summary>
/// The int8 1×1-convolution GEMM on MobileNetV2's pointwise shapes, every path, with 7-bit weights (every path at its
/// fastest) and full-range ones (V512/V256 then take their exact int16 form); compare with <see cref="GemmBenchmarks"/>
/// on the same shapes. GMAC/s = M·K·N / time. The quick table of all of them: <c>-- int8-kernels</c>.
/// </summary>
[MemoryDiagnoser]
public unsafe class Int8GemmBenchmarks
{
    public static IEnumerable<string> Shapes() => ModelShapes.Pointwise("mobilenetv2_100").Select(s => $"{s.M}x{s.K}x{s.N}").Distinct();

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "3136x144x24";

    [Params(Int8Isa.V256Vnni, Int8Isa.V512, Int8Isa.V256, Int8Isa.Scalar)]
    public Int8Isa Isa { get; set; }

    [Params(true, false)]
    public bool SevenBit { get; set; }

    private byte[] _a = [], _c = [];
    private PackedInt8Matrix _b = null!;
    private Requantize _q = null!;
    private int _m, _k, _n;

    [GlobalSetup]
    public void Setup()
    {
        var d = Shape.Split('x').Select(int.Parse).ToArray();
        (_m, _k, _n) = (d[0], d[1], d[2]);
        var rng = new Random(1);
        _a = GC.AllocateArray<byte>(_m * _k, pinned: true);
        rng.NextBytes(_a);
        _c = GC.AllocateArray<byte>(_m * _n, pinned: true);
        var w = Enumerable.Range(0, _n * _k).Select(_ => (sbyte)(SevenBit ? rng.Next(-64, 64) : rng.Next(-128, 128))).ToArray();
        _b = PackedInt8Matrix.Pack(w, _n, _k, Isa);
        _q = new Requantize
        {
            Scale = Enumerable.Repeat(1e-4f, _n).ToArray(), Bias = new float[_n], Activation = QuantActivation.Clamp, ClampMin = 0,
            ClampMax = 6, OutputScale = 40f,
        };
    }

    [Benchmark]
    public void Gemm()
    {
        fixed (byte* a = _a)
        fixed (byte* c = _c)
        {
            var args = new Int8GemmArgs { A = a, Lda = _k, ZeroPointA = 3, C = c, Ldc = _n };
            Int8Gemm.Run(_b, args, _q, 0, _m, Isa);
        }
    }
}

/// <summary>The uint8 depthwise convolution on the shapes of <see cref="DwConvBenchmarks"/>, every tier.</summary>
[MemoryDiagnoser]
public unsafe class Int8DwConvBenchmarks
{
    public static IEnumerable<string> Shapes() => DwConvBenchmarks.Shapes();

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "56x56x144k3s1";

    [Params(LightNets.Runtime.Kernels.Cpu.Isa.V512, LightNets.Runtime.Kernels.Cpu.Isa.V256, LightNets.Runtime.Kernels.Cpu.Isa.Scalar)]
    public Isa Isa { get; set; }

    private byte[] _input = [], _output = [];
    private int[] _weights = [];
    private Requantize _q = null!;
    private DwConvShape _shape;

    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split('x', 'k', 's').Select(int.Parse).ToArray();
        var (h, w, c, k, s) = (parts[0], parts[1], parts[2], parts[3], parts[4]);
        _shape = DwConvShape.Create(h, w, c, k, k, s, s, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2);
        var rng = new Random(1);
        _input = GC.AllocateArray<byte>(h * w * c, pinned: true);
        rng.NextBytes(_input);
        _output = GC.AllocateArray<byte>(_shape.OH * _shape.OW * c, pinned: true);
        _weights = Int8DwConv.PackWeights(Enumerable.Range(0, c * k * k).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray(), c, k, k);
        _q = new Requantize
        {
            Scale = Enumerable.Repeat(1e-3f, c).ToArray(), Bias = new float[c], Activation = QuantActivation.Clamp, ClampMin = 0,
            ClampMax = 6, OutputScale = 40f,
        };
    }

    [Benchmark]
    public void DepthwiseRelu6()
    {
        fixed (byte* x = _input)
        fixed (byte* y = _output)
        fixed (int* w = _weights)
            Int8DwConv.Run(_shape, x, _shape.C, 7, w, _q, 0, y, _shape.C, 0, _shape.OH, Isa);
    }
}
