using LightNets.Runtime.Kernels.Cpu;
using PoolShape = LightNets.Training.Kernels.PoolShape;
using LightNets.Training;
using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Cpu;

namespace LightNets.Tests.Training.Kernels;

/// <summary>Runs alone: it measures the whole process's allocations.</summary>
[CollectionDefinition("Process allocations", DisableParallelization = true)]
public sealed class ProcessAllocationsCollection;

/// <summary>
/// Every fast training kernel allocates nothing per call once a context has made its first call (the parallel work
/// items and the scratch are reused), on every tier: measured on the calling thread with one thread (where every part
/// runs), and over the whole process with two (where workers run parts; other threads of the test host can only add,
/// so the smallest of a few measurements must be 0). Runs alone: in parallel with the rest of the suite, other tests'
/// allocations filled every one of the process-wide measurements.
/// </summary>
[Collection("Process allocations")]
public class TrainKernelAllocationTests
{
    [Fact]
    public void No_kernel_allocates_per_call()
    {
        var k = CpuTrainKernels.Instance;
        var pointwise = Oracle.Conv(2, 9, 9, 20, 24, 1);
        var grouped = Oracle.Conv(2, 9, 9, 12, 24, 1, groups: 3);
        var depthwise = Oracle.Conv(2, 9, 9, 20, 20, 3, 2, 1, groups: 20);
        var dilated = Oracle.Conv(2, 9, 9, 20, 20, 3, 1, 2, 2, groups: 20);
        var stem = Oracle.Conv(2, 17, 17, 3, 16, 3, 2, 1);
        var pool = new PoolShape(2, 9, 9, 20, 3, 3, 2, 2, 1, 1, 1, 1, 5, 5);
        var big = new float[2 * 17 * 17 * 24];
        var bigger = new float[2 * 17 * 17 * 24];
        var weights = new float[24 * 24 * 9];
        var small = new float[64];
        var argmax = new int[pool.OutputLength];
        int[] map = [.. Enumerable.Range(0, 20).Select(j => j % 2 * 10 + j / 2)];
        var labels = new int[4];
        foreach (var isa in TrainKernelKit.Tiers)
        {
            foreach (var threads in new[] { 1, 2 })
            {
                using var ctx = new TrainContext(threads, isa);
                (string Name, Action Run)[] kernels =
                [
                    ("conv 1x1", () => k.ConvForward(ctx, pointwise, In(big, pointwise.InputLength), In(weights, pointwise.WeightLength), default, Out(bigger, pointwise.OutputLength))),
                    ("conv 1x1 dx", () => k.ConvBackwardData(ctx, pointwise, In(bigger, pointwise.OutputLength), In(weights, pointwise.WeightLength), Out(big, pointwise.InputLength))),
                    ("conv 1x1 dw", () => k.ConvBackwardWeight(ctx, pointwise, In(big, pointwise.InputLength), In(bigger, pointwise.OutputLength), Out(weights, pointwise.WeightLength), Out(small, 24))),
                    ("group conv", () => k.ConvForward(ctx, grouped, In(big, grouped.InputLength), In(weights, grouped.WeightLength), default, Out(bigger, grouped.OutputLength))),
                    ("group conv dw", () => k.ConvBackwardWeight(ctx, grouped, In(big, grouped.InputLength), In(bigger, grouped.OutputLength), Out(weights, grouped.WeightLength), default)),
                    ("dwconv", () => k.ConvForward(ctx, depthwise, In(big, depthwise.InputLength), In(weights, depthwise.WeightLength), In(small, 20), Out(bigger, depthwise.OutputLength))),
                    ("dwconv dilated", () => k.ConvForward(ctx, dilated, In(big, dilated.InputLength), In(weights, dilated.WeightLength), default, Out(bigger, dilated.OutputLength))),
                    ("dwconv dx", () => k.ConvBackwardData(ctx, depthwise, In(bigger, depthwise.OutputLength), In(weights, depthwise.WeightLength), Out(big, depthwise.InputLength))),
                    ("dwconv dw", () => k.ConvBackwardWeight(ctx, depthwise, In(big, depthwise.InputLength), In(bigger, depthwise.OutputLength), Out(weights, depthwise.WeightLength), Out(small, 20))),
                    ("stem", () => k.ConvForward(ctx, stem, In(big, stem.InputLength), In(weights, stem.WeightLength), default, Out(bigger, stem.OutputLength))),
                    ("stem dx", () => k.ConvBackwardData(ctx, stem, In(bigger, stem.OutputLength), In(weights, stem.WeightLength), Out(big, stem.InputLength))),
                    ("stem dw", () => k.ConvBackwardWeight(ctx, stem, In(big, stem.InputLength), In(bigger, stem.OutputLength), Out(weights, stem.WeightLength), default)),
                    ("linear", () => k.LinearForward(ctx, 4, 40, 10, In(big, 160), In(weights, 400), In(small, 10), Out(bigger, 40))),
                    ("linear backward", () => k.LinearBackward(ctx, 4, 40, 10, In(big, 160), In(weights, 400), In(bigger, 40), Out(big, 160), Out(weights, 400), Out(small, 10))),
                    ("bn", () => k.BatchNormTrainForward(ctx, 81, 20, In(big, 1620), In(small, 20), In(small, 20), 1e-5f, 0.1f, Out(small, 20), Out(small, 20), Out(small, 20), Out(small, 20), Out(bigger, 1620))),
                    ("bn backward", () => k.BatchNormBackward(ctx, 81, 20, In(big, 1620), In(bigger, 1620), In(small, 20), In(small, 20), In(small, 20), Out(big, 1620), Out(small, 20), Out(small, 20))),
                    ("bn eval", () => k.BatchNormEvalForward(ctx, 81, 20, In(big, 1620), In(small, 20), In(small, 20), 1e-5f, In(small, 20), In(small, 20), Out(bigger, 1620))),
                    ("hard-swish", () => k.ActivationForward(ctx, Activation.HardSwish, In(big, 1620), Out(bigger, 1620))),
                    ("relu6 backward", () => k.ActivationBackward(ctx, Activation.Relu6, In(big, 1620), In(big, 1620), Out(bigger, 1620))),
                    ("scale", () => k.ScaleChannelsForward(ctx, 2, 81, 20, In(big, 3240), In(small, 40), Out(bigger, 3240))),
                    ("scale backward", () => k.ScaleChannelsBackward(ctx, 2, 81, 20, In(big, 3240), In(small, 40), In(big, 3240), Out(bigger, 3240), Out(small, 40))),
                    ("max pool", () => k.MaxPoolForward(ctx, pool, In(big, pool.InputLength), Out(bigger, pool.OutputLength), argmax)),
                    ("max pool backward", () => k.MaxPoolBackward(ctx, pool, In(bigger, pool.OutputLength), argmax, Out(big, pool.InputLength))),
                    ("avg pool", () => k.AvgPoolForward(ctx, pool, true, In(big, pool.InputLength), Out(bigger, pool.OutputLength))),
                    ("avg pool backward", () => k.AvgPoolBackward(ctx, pool, false, In(bigger, pool.OutputLength), Out(big, pool.InputLength))),
                    ("gap", () => k.GlobalAvgPoolForward(ctx, 2, 81, 20, In(big, 3240), Out(small, 40))),
                    ("gap backward", () => k.GlobalAvgPoolBackward(ctx, 2, 81, 20, In(small, 40), Out(big, 3240))),
                    ("gather", () => k.GatherChannels(ctx, 81, 20, 20, map, In(big, 1620), Out(bigger, 1620))),
                    ("scatter-add", () => k.ScatterAddChannels(ctx, 81, 20, 20, map, In(big, 1620), Out(bigger, 1620))),
                    ("softmax xent", () => k.SoftmaxCrossEntropy(ctx, 4, 10, In(big, 40), labels, 0.1f, Out(bigger, 40))),
                ];
                foreach (var (name, run) in kernels)
                {
                    run();
                    long smallest = long.MaxValue;
                    for (var attempt = 0; attempt < 5 && smallest != 0; attempt++)
                    {
                        var before = threads == 1 ? GC.GetAllocatedBytesForCurrentThread() : GC.GetTotalAllocatedBytes(precise: true);
                        run();
                        var after = threads == 1 ? GC.GetAllocatedBytesForCurrentThread() : GC.GetTotalAllocatedBytes(precise: true);
                        smallest = Math.Min(smallest, after - before);
                    }
                    Assert.True(smallest == 0, $"{name} on {isa} with {threads} threads allocated {smallest} bytes per call");
                }
            }
        }
    }

    private static ReadOnlySpan<float> In(float[] a, long length) => a.AsSpan(0, (int)length);

    private static Span<float> Out(float[] a, long length) => a.AsSpan(0, (int)length);
}
