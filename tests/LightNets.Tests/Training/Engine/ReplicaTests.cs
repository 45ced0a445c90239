using LightNets.Graphs;
using LightNets.Training.Engine;
using LightNets.Training.Kernels.Cpu;

namespace LightNets.Tests.Training.Engine;

/// <summary>
/// Data-parallel replicas: a session of R replicas is exactly R sessions of batch / R on the parts (each with its own
/// dropout seed), their gradients and running statistics averaged; deterministic; allocation-free after the first step.
/// </summary>
public class ReplicaTests
{
    public static TheoryData<string> Graphs => ["every-op", "mobilenetv3_small_075", "shufflenetv2_050"];

    private static Graph Build(string name) =>
        name == "every-op" ? TrainingGraphs.EveryOp(batch: 4) : TrainingGraphs.Zoo(name, batch: 8, dropout: 0.2f);

    private static TrainingSession Session(Graph graph, int threads, int replicas, ulong seed = 5) =>
        new(graph, new TrainingSessionOptions { Threads = threads, Kernels = CpuTrainKernels.Instance, LabelSmoothing = 0.1f, Seed = seed, Replicas = replicas });

    [Theory]
    [MemberData(nameof(Graphs))]
    public void Two_replicas_are_two_half_batches_averaged(string name)
    {
        var graph = Build(name);
        var half = graph.Input.Shape.N / 2;
        using var replicated = Session(graph, threads: 2, replicas: 2);
        using var first = Session(graph.WithBatch(half), threads: 1, replicas: 1);
        using var second = Session(graph.WithBatch(half), threads: 1, replicas: 1, seed: 5 + 0x9E3779B97F4A7C15UL);
        var (input, labels) = TrainingGraphs.Batch(replicated.InputShape, replicated.Classes, 40);
        var loss = replicated.Step(input, labels);
        var perImage = input.Length / graph.Input.Shape.N;
        var l0 = first.Step(input.AsSpan(0, half * perImage), labels.AsSpan(0, half));
        var l1 = second.Step(input.AsSpan(half * perImage), labels.AsSpan(half));
        Assert.Equal((l0 + l1) / 2, loss);
        Assert.Equal(first.Correct + second.Correct, replicated.Correct);
        for (var i = 0; i < replicated.Parameters.Count; i++)
        {
            var expected = first.Parameters[i].Grad.Zip(second.Parameters[i].Grad, (a, b) => (a + b) * 0.5f).ToArray();
            Assert.True(expected.AsSpan().SequenceEqual(replicated.Parameters[i].Grad), $"{name}: gradient of {replicated.Parameters[i].Name} is not the parts' mean");
        }
        for (var i = 0; i < replicated.Buffers.Count; i++)
        {
            var expected = first.Buffers[i].Value.Zip(second.Buffers[i].Value, (a, b) => (a + b) * 0.5f).ToArray();
            Assert.True(expected.AsSpan().SequenceEqual(replicated.Buffers[i].Value), $"{name}: {replicated.Buffers[i].Name} is not the parts' mean");
        }
        Assert.True(replicated.Logits[..(half * replicated.Classes)].SequenceEqual(first.Logits), $"{name}: the first part's logits differ");
        Assert.True(replicated.Logits[(half * replicated.Classes)..].SequenceEqual(second.Logits), $"{name}: the second part's logits differ");
    }

    [Fact]
    public void Replicated_runs_are_deterministic_and_allocate_nothing_after_the_first_step()
    {
        float[][] Run()
        {
            using var session = Session(Build("mobilenetv3_small_075"), threads: 2, replicas: 2);
            var losses = new List<float>();
            for (var step = 0; step < 3; step++)
            {
                var (input, labels) = TrainingGraphs.Batch(session.InputShape, session.Classes, 50 + step);
                var before = GC.GetAllocatedBytesForCurrentThread();
                losses.Add(session.Step(input, labels));
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                // The first step may size the kernels' scratch; every later one allocates nothing on the calling thread
                // (replica 0, the hand-over and the averaging; the other replicas run the same plan code on theirs).
                if (step > 0) Assert.True(allocated == 0, $"step {step} allocated {allocated} bytes");
                PlainSgd.Update(session.Parameters, 0.05f);
            }
            return [[.. losses], .. session.Parameters.Select(p => p.Value), .. session.Buffers.Select(b => b.Value)];
        }

        var one = Run();
        var two = Run();
        for (var i = 0; i < one.Length; i++) Assert.True(one[i].AsSpan().SequenceEqual(two[i]), $"array {i} differs between two runs");
    }

    [Theory]
    [InlineData(8, 3)]
    [InlineData(4, 4)]
    public void A_batch_that_does_not_cut_into_replicas_of_two_images_is_refused(int batch, int replicas)
    {
        var e = Assert.Throws<TrainingOptionsException>(() => Session(TrainingGraphs.EveryOp(batch), threads: 2, replicas: replicas));
        Assert.Contains($"replicas of at least 2 images", e.Message);
    }

    [Fact]
    public void Zero_replicas_are_refused()
    {
        var e = Assert.Throws<TrainingOptionsException>(() => Session(TrainingGraphs.EveryOp(4), threads: 2, replicas: 0));
        Assert.Contains("replicas 0", e.Message);
    }
}
