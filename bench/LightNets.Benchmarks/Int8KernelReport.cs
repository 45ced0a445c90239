using System.Diagnostics;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;
using LightNets.Runtime.Kernels.Cpu.Int8;

namespace LightNets.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/LightNets.Benchmarks -- int8-kernels [--repeats N]</c>: the int8 GEMM (every
/// path this machine has, with 7-bit weights, which every path runs with its fastest instruction, and with full-range
/// weights, on which V512/V256 take their exact int16 form) and the int8 depthwise convolution beside the float32
/// kernels on the same MobileNetV2 shapes, 1 thread. Each time is the median of N runs (default 21) after warm-ups;
/// GMAC/s = M·K·N (or OH·OW·C·KH·KW) / time. A quick Stopwatch report rather than BenchmarkDotNet, so the whole table
/// fits in a minute; the machine is shared, so repeat it and compare medians.
/// </summary>
public static unsafe class Int8KernelReport
{
    private static readonly (int M, int K, int N)[] GemmShapes =
        [(12544, 16, 96), (12544, 32, 16), (3136, 24, 144), (12544, 28, 32), (3136, 144, 24), (3136, 144, 32), (784, 192, 32), (784, 192, 64), (196, 384, 64), (49, 960, 320), (3136, 32, 144), (196, 64, 384)];

    public static int Run(string[] args)
    {
        var repeats = BenchArgs.Option(args, "--repeats", 21);
        Console.WriteLine($"int8 kernels, 1 thread, median of {repeats}; {CpuCaps.Describe()}; {Int8Caps.Describe()}; {DateTime.Now:yyyy-MM-dd HH:mm}");
        Console.WriteLine();
        var paths = Int8Caps.Available.Reverse().ToArray();
        // --only M,K,N: that GEMM shape alone (no depthwise table), for quick A/B runs of a kernel change.
        var only = BenchArgs.Option(args, "--only", "");
        var shapes = only.Length == 0 ? GemmShapes : [ParseShape(only)];
        var header = $"{"GEMM M×K×N",-16} {"f32 v512",9} {"f32 v256",9}";
        foreach (var p in paths) header += $" {p.Word() + " 7b",12} {p.Word() + " full",13}";
        Console.WriteLine(header + "   (GMAC/s)");
        foreach (var (m, k, n) in shapes)
        {
            var line = $"{$"{m}x{k}x{n}",-16} {FloatGemm(m, k, n, Isa.V512, repeats),9:F1} {FloatGemm(m, k, n, Isa.V256, repeats),9:F1}";
            foreach (var p in paths)
                line += $" {Int8GemmRate(m, k, n, p, sevenBit: true, repeats),12:F1} {Int8GemmRate(m, k, n, p, sevenBit: false, repeats),13:F1}";
            Console.WriteLine(line);
        }
        if (only.Length > 0) return 0;
        Console.WriteLine();
        var tiers = CpuCaps.Available.Reverse().ToArray();
        header = $"{"DW H×W×C k s",-18}";
        foreach (var t in tiers) header += $" {"f32 " + t.Word(),11}";
        foreach (var t in tiers) header += $" {"u8 " + t.Word(),11}";
        Console.WriteLine(header + "   (GMAC/s)");
        foreach (var (h, c, k, stride) in DwShapes)
        {
            var line = $"{$"{h}x{h}x{c} k{k} s{stride}",-18}";
            foreach (var t in tiers) line += $" {FloatDw(h, c, k, stride, t, repeats),11:F1}";
            foreach (var t in tiers) line += $" {Int8Dw(h, c, k, stride, t, repeats),11:F1}";
            Console.WriteLine(line);
        }
        return 0;
    }

    private static (int M, int K, int N) ParseShape(string text)
    {
        var p = text.Split(',', 'x').Select(int.Parse).ToArray();
        return p.Length == 3 ? (p[0], p[1], p[2]) : throw new ArgumentException($"--only wants M,K,N, got '{text}'");
    }

    /// <summary>MobileNetV2's depthwise layers (input size, channels, kernel, stride) and MobileNetV3-Large's 5×5 ones.</summary>
    private static readonly (int H, int C, int K, int Stride)[] DwShapes =
        [(112, 32, 3, 1), (112, 96, 3, 2), (56, 144, 3, 1), (56, 144, 3, 2), (28, 192, 3, 1), (14, 384, 3, 1), (14, 576, 3, 1),
         (7, 960, 3, 1), (28, 72, 5, 2), (14, 672, 5, 1), (7, 960, 5, 1)];

    private static DwConvShape DwShape(int h, int c, int k, int stride) =>
        DwConvShape.Create(h, h, c, k, k, stride, stride, k / 2, k / 2, k / 2, k / 2);

    private static double FloatDw(int h, int c, int k, int stride, Isa isa, int repeats)
    {
        var s = DwShape(h, c, k, stride);
        var rng = new Random(3);
        var x = GC.AllocateArray<float>(h * h * c, pinned: true);
        var y = GC.AllocateArray<float>(s.OH * s.OW * c, pinned: true);
        for (var i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        var w = DwConv.PackWeights(Enumerable.Range(0, c * k * k).Select(_ => rng.NextSingle() - 0.5f).ToArray(), c, k, k);
        var b = new float[c];
        fixed (float* px = x) fixed (float* py = y) fixed (float* pw = w) fixed (float* pb = b)
        {
            var (ix, iy, iw, ib) = ((nint)px, (nint)py, (nint)pw, (nint)pb);
            return (double)s.OH * s.OW * c * k * k / Median(() =>
                DwConv.Run(s, (float*)ix, c, (float*)iw, (float*)ib, (float*)iy, c, 0, s.OH, FusedActivation.Relu6, isa), repeats) / 1e9;
        }
    }

    private static double Int8Dw(int h, int c, int k, int stride, Isa isa, int repeats)
    {
        var s = DwShape(h, c, k, stride);
        var rng = new Random(4);
        var x = GC.AllocateArray<byte>(h * h * c, pinned: true);
        var y = GC.AllocateArray<byte>(s.OH * s.OW * c, pinned: true);
        rng.NextBytes(x);
        var w = Int8DwConv.PackWeights(Enumerable.Range(0, c * k * k).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray(), c, k, k);
        var q = new Requantize
        {
            Scale = Enumerable.Repeat(1e-3f, c).ToArray(), Bias = new float[c], Activation = QuantActivation.Clamp, ClampMin = 0,
            ClampMax = 6, OutputScale = 40f,
        };
        fixed (byte* px = x) fixed (byte* py = y) fixed (int* pw = w)
        {
            var (ix, iy, iw) = ((nint)px, (nint)py, (nint)pw);
            return (double)s.OH * s.OW * c * k * k / Median(() =>
                Int8DwConv.Run(s, (byte*)ix, c, 7, (int*)iw, q, 0, (byte*)iy, c, 0, s.OH, isa), repeats) / 1e9;
        }
    }


    private static double FloatGemm(int m, int k, int n, Isa isa, int repeats)
    {
        if (!CpuCaps.Supports(isa)) return double.NaN;
        var rng = new Random(1);
        var a = GC.AllocateArray<float>(m * k, pinned: true);
        var c = GC.AllocateArray<float>(m * n, pinned: true);
        for (var i = 0; i < a.Length; i++) a[i] = rng.NextSingle();
        var w = Enumerable.Range(0, n * k).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        var b = PackedMatrix.FromOutputMajor(w, n, k, new float[n], isa);
        fixed (float* pa = a) fixed (float* pc = c)
        {
            var args = new GemmArgs { A = pa, Lda = k, C = pc, Ldc = n, Activation = FusedActivation.Relu6 };
            return (double)m * k * n / Median(() => GemmKernel.Run(b, args, 0, m, isa), repeats) / 1e9;
        }
    }

    private static double Int8GemmRate(int m, int k, int n, Int8Isa isa, bool sevenBit, int repeats)
    {
        var rng = new Random(2);
        var a = GC.AllocateArray<byte>(m * k, pinned: true);
        var c = GC.AllocateArray<byte>(m * n, pinned: true);
        rng.NextBytes(a);
        var w = Enumerable.Range(0, n * k).Select(_ => (sbyte)(sevenBit ? rng.Next(-64, 64) : rng.Next(-128, 128))).ToArray();
        var b = PackedInt8Matrix.Pack(w, n, k, isa);
        var q = new Requantize
        {
            Scale = Enumerable.Repeat(1e-4f, n).ToArray(), Bias = new float[n], Activation = QuantActivation.Clamp,
            ClampMin = 0, ClampMax = 6, OutputScale = 40f,
        };
        fixed (byte* pa = a) fixed (byte* pc = c)
        {
            var args = new Int8GemmArgs { A = pa, Lda = k, ZeroPointA = 3, C = pc, Ldc = n };
            return (double)m * k * n / Median(() => Int8Gemm.Run(b, args, q, 0, m, isa), repeats) / 1e9;
        }
    }

    internal static double Median(Action run, int repeats)
    {
        for (var i = 0; i < 3; i++) run();
        // Runs shorter than 200 µs are batched so the timer's resolution and call overhead do not count.
        var start = Stopwatch.GetTimestamp();
        run();
        var once = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var inner = Math.Max(1, (int)(200e-6 / Math.Max(once, 1e-9)));
        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            start = Stopwatch.GetTimestamp();
            for (var j = 0; j < inner; j++) run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds / inner;
        }
        Array.Sort(times);
        return times[repeats / 2];
    }
}
