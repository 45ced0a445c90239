using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Int8;

namespace LightNets.Tests.Runtime.Cpu.Int8;

/// <summary>The int8 kernels allocate nothing per call (after their first call has been compiled), on every path and tier.</summary>
public class Int8AllocationTests
{
    [Fact]
    public unsafe void No_int8_kernel_allocates_per_call()
    {
        const int h = 9, w = 9, c = 20, n = 37;
        // Pinned buffers, so their pointers stay valid inside the lambdas; the values do not matter here.
        var x = GC.AllocateArray<byte>(h * w * c + 64, pinned: true);
        var y = GC.AllocateArray<byte>(h * w * n + 64, pinned: true);
        var f = GC.AllocateArray<float>(h * w * n + 64, pinned: true);
        var table = GC.AllocateArray<byte>(256, pinned: true);
        var q = new Requantize { Scale = new float[n], Bias = new float[n], Activation = QuantActivation.HardSwish };
        var dw = Int8DwConv.PackWeights(new sbyte[c * 9], c, 3, 3);
        var dw7 = Int8DwConv.PackWeights(new sbyte[c * 49], c, 7, 7);
        var conv3 = DwConvShape.Create(h, w, c, 3, 3, 1, 1, 1, 1, 1, 1);
        var conv7 = DwConvShape.Create(h, w, c, 7, 7, 2, 2, 3, 3, 3, 3);
        var pool = PoolShape.Create(h, w, c, 3, 3, 2, 2, 1, 1, 1, 1, ceilMode: false);
        QuantParams p = new(0.1f, 3);
        fixed (byte* px0 = x) fixed (byte* py0 = y) fixed (float* pf0 = f) fixed (byte* pt0 = table) fixed (int* pd0 = dw) fixed (int* pd70 = dw7)
        {
            var (px, py, pf, pt, pd, pd7) = ((nint)px0, (nint)py0, (nint)pf0, (nint)pt0, (nint)pd0, (nint)pd70);
            foreach (var path in Int8Caps.Available)
            {
                var b = PackedInt8Matrix.Pack(new sbyte[n * c], n, c, path);
                var args = new Int8GemmArgs { A = (byte*)px, Lda = c, C = (byte*)py, FloatC = (float*)pf, Ldc = n, Residual = (byte*)py, Ldr = n };
                Check(() => Int8Gemm.Run(b, args, q, 0, h * w, path), $"gemm {path}");
                Check(() => Int8Gemm.RunFloat(b, args with { Residual = null }, q, 0, h * w, path), $"gemm float {path}");
            }
            foreach (var isa in CpuTestData.Tiers)
            {
                Action[] kernels =
                [
                    () => Int8DwConv.Run(conv3, (byte*)px, c, 5, (int*)pd, q, 0, (byte*)py, c, 0, conv3.OH, isa),
                    () => Int8DwConv.Run(conv7, (byte*)px, c, 5, (int*)pd7, q, 0, (byte*)py, c, 0, conv7.OH, isa),
                    () => Int8Pool.Max(pool, (byte*)px, c, (byte*)py, c, 0, pool.OH, isa),
                    () => Int8Pool.GlobalAverage((byte*)px, 1, h * w * c, h * w, c, c, 5, q, 0, (byte*)py, c, isa),
                    () => Int8Elementwise.Quantize((float*)pf, c, (byte*)py, c, h * w, c, p, isa),
                    () => Int8Elementwise.QuantizeNchw((float*)pf, h * w, 3, (byte*)py, 3, p, isa),
                    () => Int8Elementwise.Dequantize((byte*)px, c, p, (float*)pf, c, h * w, c, isa),
                    () => Int8Elementwise.Add((byte*)px, c, p, (byte*)px, c, p, (byte*)py, c, p, h * w, c, isa),
                    () => Int8Elementwise.MultiplyByChannel((byte*)px, c, p, (byte*)px, p, (byte*)py, c, p, h * w, c, isa),
                    () => Int8Elementwise.Lookup((byte*)px, c, (byte*)py, c, h * w, c, (byte*)pt, isa),
                ];
                for (var k = 0; k < kernels.Length; k++) Check(kernels[k], $"kernel {k} on {isa}");
            }
        }
    }

    private static void Check(Action kernel, string name)
    {
        // Past the tiering threshold (30 calls) first: the call that crosses it can allocate in the runtime (seen once,
        // 248 bytes, when other tests had already called the same kernel a few dozen times).
        for (var i = 0; i < 40; i++) kernel();
        var before = GC.GetAllocatedBytesForCurrentThread();
        kernel();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{name} allocated {allocated} bytes");
    }
}
