using LightNets.Graphs;
using LightNets.Training.Engine;
using LightNets.Training.Kernels.Cpu;

namespace LightNets.Tests.Training.Engine;

/// <summary>
/// The session on the fast kernels: the same step as on the reference kernels (within float rounding), bit-identical
/// for 1 and 2 threads and from run to run, and no allocation per step after the first.
/// </summary>
public class FastSessionTests(ITestOutputHelper output)
{
    public static TheoryData<string> Graphs => ["every-op", "mobilenetv2_035", "shufflenetv2_050", "mobilenetv3_small_075"];

    private static Graph Build(string name) =>
        name == "every-op" ? TrainingGraphs.EveryOp(batch: 3) : TrainingGraphs.Zoo(name, batch: 8, dropout: 0.2f);

    private static TrainingSession Fast(Graph graph, int threads) =>
        new(graph, new TrainingSessionOptions { Threads = threads, Kernels = CpuTrainKernels.Instance, LabelSmoothing = 0.1f, Seed = 5 });

    [Theory]
    [MemberData(nameof(Graphs))]
    public void Fast_kernels_give_the_reference_step(string name)
    {
        var graph = Build(name);
        using var fast = Fast(graph, threads: 2);
        using var reference = new TrainingSession(graph, new TrainingSessionOptions { LabelSmoothing = 0.1f, Seed = 5 });
        var (input, labels) = TrainingGraphs.Batch(fast.InputShape, fast.Classes, 21);
        var expectedLoss = reference.Step(input, labels);
        var loss = fast.Step(input, labels);
        output.WriteLine($"{name}: loss {loss:R}, reference {expectedLoss:R}");
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-4f * expectedLoss, $"{name}: loss {loss:R}, reference {expectedLoss:R}");
        // Errors relative to each tensor's largest gradient, with a floor at 1e-3 of the largest anywhere: the β of a
        // BN followed by another BN has a gradient that is all cancellation, float noise on both sides.
        var floor = 1e-3f * reference.Parameters.Max(p => p.Grad.Max(MathF.Abs));
        var worst = 0f;
        for (var i = 0; i < fast.Parameters.Count; i++)
        {
            var a = reference.Parameters[i].Grad;
            var b = fast.Parameters[i].Grad;
            var scale = Math.Max(floor, a.Max(MathF.Abs));
            for (var j = 0; j < a.Length; j++)
            {
                var error = Math.Abs(a[j] - b[j]) / scale;
                worst = Math.Max(worst, error);
                Assert.True(error <= 1e-3f, $"{name} {fast.Parameters[i].Name}[{j}]: reference {a[j]}, fast {b[j]} (scale {scale})");
            }
        }
        output.WriteLine($"worst gradient error {worst:E2} of the tensor's scale");
        for (var i = 0; i < fast.Buffers.Count; i++)
        {
            var a = reference.Buffers[i].Value;
            var b = fast.Buffers[i].Value;
            for (var j = 0; j < a.Length; j++)
                Assert.True(Math.Abs(a[j] - b[j]) <= 1e-4f * (1 + Math.Abs(a[j])), $"{name} {fast.Buffers[i].Name}[{j}]: {a[j]} vs {b[j]}");
        }
    }

    /// <summary>
    /// BatchNorm + activation as one step changes no result: losses, every gradient and the running statistics are bit
    /// for bit those of the two steps, over two steps (the second sees the first's running statistics). On the reference
    /// kernels as well (the fused reference rule is the two rules in turn).
    /// </summary>
    [Theory]
    [MemberData(nameof(Graphs))]
    public void Fusing_batchnorm_and_activation_changes_no_bit(string name)
    {
        var graph = Build(name);
        foreach (var kernels in new ITrainKernels?[] { CpuTrainKernels.Instance, null })
        {
            TrainingSession Session(bool fuse) => new(graph, new TrainingSessionOptions
            {
                Threads = 2, Kernels = kernels, LabelSmoothing = 0.1f, Seed = 5, FuseBatchNormActivation = fuse,
            });
            using var fused = Session(true);
            using var separate = Session(false);
            for (var step = 0; step < 2; step++)
            {
                var (input, labels) = TrainingGraphs.Batch(fused.InputShape, fused.Classes, 30 + step);
                var a = fused.Step(input, labels);
                var b = separate.Step(input, labels);
                var engine = kernels is null ? "reference" : "fast";
                Assert.True(ExactFloat.Same(a, b), $"{name} ({engine}) step {step}: loss {a:R} fused, {b:R} not");
                for (var i = 0; i < fused.Parameters.Count; i++)
                    Assert.True(fused.Parameters[i].Grad.AsSpan().SequenceEqual(separate.Parameters[i].Grad), $"{name} ({engine}) step {step}: {fused.Parameters[i].Name} gradient differs");
                for (var i = 0; i < fused.Buffers.Count; i++)
                    Assert.True(fused.Buffers[i].Value.AsSpan().SequenceEqual(separate.Buffers[i].Value), $"{name} ({engine}) step {step}: {fused.Buffers[i].Name} differs");
            }
            if (name != "every-op") Assert.True(fused.ArenaBytes < separate.ArenaBytes, $"{name}: the fused plan should need less memory ({fused.ArenaBytes} vs {separate.ArenaBytes})");
        }
    }

    [Theory]
    [MemberData(nameof(Graphs))]
    public void One_and_two_threads_are_bit_identical(string name)
    {
        float[][] Run(int threads)
        {
            using var session = Fast(Build(name), threads);
            var losses = new List<float>();
            for (var step = 0; step < 2; step++)
            {
                var (input, labels) = TrainingGraphs.Batch(session.InputShape, session.Classes, 30 + step);
                losses.Add(session.Step(input, labels));
                PlainSgd.Update(session.Parameters, 0.05f);
            }
            return [[.. losses], .. session.Parameters.Select(p => p.Grad), .. session.Parameters.Select(p => p.Value), .. session.Buffers.Select(b => b.Value)];
        }

        var one = Run(1);
        var two = Run(2);
        var again = Run(2);
        for (var i = 0; i < one.Length; i++)
        {
            Assert.True(one[i].AsSpan().SequenceEqual(two[i]), $"{name}: array {i} differs between 1 and 2 threads");
            Assert.True(two[i].AsSpan().SequenceEqual(again[i]), $"{name}: array {i} differs between two runs");
        }
    }

    [Fact]
    public void Steps_after_the_first_allocate_nothing()
    {
        foreach (var name in new[] { "every-op", "mobilenetv2_035" })
        {
            using var session = Fast(Build(name), threads: 2);
            var (input, labels) = TrainingGraphs.Batch(session.InputShape, session.Classes, 1);
            session.Step(input, labels);
            session.Step(input, labels);
            var before = GC.GetAllocatedBytesForCurrentThread();
            session.Step(input, labels);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated == 0, $"{name}: a step allocated {allocated} bytes");
        }
    }

    [Fact]
    public void Profiling_times_every_part_and_changes_no_result()
    {
        var graph = Build("every-op");
        using var plain = Fast(graph, threads: 2);
        using var profiled = Fast(graph, threads: 2);
        Assert.False(profiled.Profiling);
        Assert.Null(profiled.Profile);
        profiled.Profiling = true;
        for (var step = 0; step < 3; step++)
        {
            var (input, labels) = TrainingGraphs.Batch(plain.InputShape, plain.Classes, 40 + step);
            Assert.Equal(plain.Step(input, labels), profiled.Step(input, labels));
            for (var i = 0; i < plain.Parameters.Count; i++)
                Assert.True(plain.Parameters[i].Grad.AsSpan().SequenceEqual(profiled.Parameters[i].Grad), $"{plain.Parameters[i].Name}: profiling changed the gradient");
        }
        var profile = profiled.Profile!;
        Assert.Equal(3, profile.Steps);
        var times = profile.Times;
        Assert.Equal("input", times[0].Name);
        Assert.Contains(times, t => t.Name == "loss" && !t.Backward);
        Assert.Contains(times, t => t.Kind == "Conv dw5x5" && t.Backward);
        Assert.Contains(times, t => t.Kind == "BatchNormTrain" && !t.Backward);
        Assert.All(times, t => Assert.True(t.Fastest <= t.Total, $"{t.Name}: fastest {t.Fastest}, total {t.Total}"));
        Assert.True(times.Where(t => t.Kind.StartsWith("Conv", StringComparison.Ordinal)).All(t => t.Total > TimeSpan.Zero), "a convolution took no time");
        profiled.Profiling = false;
        Assert.Null(profiled.Profile);
    }

    [Fact]
    public void A_shuffle_read_only_by_splits_gets_no_step_of_its_own()
    {
        // ShuffleNetV2: a unit's shuffle read by the next unit's split is gathered through both maps by the split; one
        // read by the convolutions of a downsampling unit (or conv5) keeps its step. Fast_kernels_give_the_reference_step
        // and the PyTorch fixtures check the composed maps' results.
        var graph = TrainingGraphs.Zoo("shufflenetv2_050", batch: 2, dropout: 0f);
        using var session = Fast(graph, threads: 1);
        session.Profiling = true;
        var (input, labels) = TrainingGraphs.Batch(session.InputShape, session.Classes, 3);
        session.Step(input, labels);
        var names = session.Profile!.Times.Select(t => t.Name).ToHashSet();
        var shuffles = graph.Nodes.Where(n => n.Op is ChannelShuffleOp).ToList();
        bool SplitOnly(Node shuffle) => graph.Nodes.Where(n => n.Inputs.Contains(shuffle.Output)).All(n => n.Op is SplitOp or SliceOp);
        Assert.Contains(shuffles, SplitOnly);
        Assert.Contains(shuffles, s => !SplitOnly(s));
        Assert.All(shuffles, s => Assert.True(SplitOnly(s) != names.Contains(s.Name), $"{s.Name}: split-only {SplitOnly(s)}, has a step {names.Contains(s.Name)}"));
    }
}
