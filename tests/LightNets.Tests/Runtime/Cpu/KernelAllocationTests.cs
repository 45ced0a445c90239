using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Tests.Runtime.Cpu;

/// <summary>The kernels allocate nothing per call (after their first call has been compiled), on every tier.</summary>
public class KernelAllocationTests
{
    [Fact]
    public unsafe void No_kernel_allocates_per_call()
    {
        const int h = 9, w = 9, c = 20;
        // Pinned buffers (their pointers stay valid inside the lambdas); the values do not matter here.
        var x = Strided.Dense(h * w, c);
        var y = Strided.Dense(h * w, c);
        var bias = Strided.Dense(1, c);
        var tiled = Strided.Dense(9, DwConv.PackedChannels(c));
        var generic = Strided.Dense(49, DwConv.PackedChannels(c));
        var conv3 = DwConvShape.Create(h, w, c, 3, 3, 1, 1, 1, 1, 1, 1);
        var conv7 = DwConvShape.Create(h, w, c, 7, 7, 2, 2, 3, 3, 3, 3);
        var pool = PoolShape.Create(h, w, c, 3, 3, 2, 2, 1, 1, 1, 1, ceilMode: true);
        foreach (var isa in CpuTestData.Tiers)
        {
            Action[] kernels =
            [
                () => DwConv.Run(conv3, x.Ptr, c, tiled.Ptr, bias.Ptr, y.Ptr, c, 0, conv3.OH, FusedActivation.HardSwish, isa),
                () => DwConv.Run(conv7, x.Ptr, c, generic.Ptr, null, y.Ptr, c, 0, conv7.OH, FusedActivation.Relu6, isa),
                () => Pool.Max(pool, x.Ptr, c, y.Ptr, c, 0, pool.OH, isa),
                () => Pool.Average(pool, true, x.Ptr, c, y.Ptr, c, 0, pool.OH, isa),
                () => Pool.GlobalAverage(x.Ptr, 1, h * w * c, h * w, c, c, y.Ptr, isa),
                () => Elementwise.Add(x.Ptr, x.Ptr, y.Ptr, h * w * c, FusedActivation.Relu, isa),
                () => Elementwise.CopyChannels(x.Ptr, c, y.Ptr, c, h * w, c - 3, isa),
                () => Elementwise.Softmax(x.Ptr, y.Ptr, c, isa),
            ];
            for (var k = 0; k < kernels.Length; k++)
            {
                kernels[k]();
                var before = GC.GetAllocatedBytesForCurrentThread();
                kernels[k]();
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated == 0, $"kernel {k} on {isa} allocated {allocated} bytes");
            }
        }
    }
}
