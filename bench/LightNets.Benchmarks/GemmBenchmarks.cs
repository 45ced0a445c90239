using BenchmarkDotNet.Attributes;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;

namespace LightNets.Benchmarks;

/// <summary>
/// The 1×1-convolution GEMM (f32-gemm-8x32__v512 and its lower tiers) on MobileNetV2's distinct pointwise shapes.
/// GFLOP/s = 2·M·K·N / time; this machine's measured FMA peak is ≈ 117 GFLOP/s per core.
/// </summary>
[MemoryDiagnoser]
public unsafe class GemmBenchmarks
{
    public static IEnumerable<string> Shapes() => ModelShapes.Pointwise("mobilenetv2_100")
        .Select(s => $"{s.M}x{s.K}x{s.N}").Distinct();

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "784x32x192";

    [Params(Isa.V512, Isa.V256, Isa.Scalar)]
    public Isa Isa { get; set; }

    private float[] _a = [];
    private float[] _c = [];
    private PackedMatrix _b = null!;
    private int _m, _k, _n;

    [GlobalSetup]
    public void Setup()
    {
        var d = Shape.Split('x').Select(int.Parse).ToArray();
        (_m, _k, _n) = (d[0], d[1], d[2]);
        var rng = new Random(1);
        _a = Enumerable.Range(0, _m * _k).Select(_ => rng.NextSingle()).ToArray();
        _c = new float[_m * _n];
        var w = Enumerable.Range(0, _n * _k).Select(_ => rng.NextSingle()).ToArray();
        _b = PackedMatrix.FromOutputMajor(w, _n, _k, default, Isa);
    }

    [Benchmark]
    public void Gemm()
    {
        fixed (float* a = _a)
        fixed (float* c = _c)
        {
            var args = new GemmArgs { A = a, Lda = _k, C = c, Ldc = _n, Activation = FusedActivation.Relu6 };
            GemmKernel.Run(_b, args, 0, _m, Isa);
        }
    }
}
