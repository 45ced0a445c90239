using LightNets.Graphs;
using LightNets.Models;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;
using LightNets.Tests.Models;
using LightNets.Tests.Onnx;

namespace LightNets.Tests.Runtime;

/// <summary>
/// The compiled plan (fusions, views, NHWC kernels) against the reference interpreter on every zoo configuration,
/// element by element within <see cref="PlanTolerance.Network"/>; each test logs the error it measured.
/// </summary>
public class InferenceSessionTests(ITestOutputHelper output)
{
    /// <summary>
    /// 64 px: every stage's map is larger than 1×1, with odd sizes on the way. Under emulation 32 px, where the last
    /// stage's map is 1×1 but every layer still runs: 64 px costs over 12 minutes under QEMU on two cores.
    /// </summary>
    private static readonly int Resolution = Emulation.Active ? 32 : 64;

    public static TheoryData<string, int> Configurations()
    {
        var data = new TheoryData<string, int>();
        var i = 0;
        foreach (var c in ModelZoo.Configurations)
        {
            // At a fixed resolution a resolution-only variant is its base model again: once is enough under emulation.
            if (Emulation.Active && c.Overrides == new ModelOptions { Resolution = c.Overrides.Resolution } && c.Variant.Length > 0) continue;
            data.Add(ZooKeys.Of(c), i++ % 2 == 0 ? 1 : 2);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Zoo_configuration_matches_the_reference(string key, int threads)
    {
        var config = ZooKeys.Find(key);
        var graph = ModelZoo.Build(config.Entry.Family, config.Options.Merge(new ModelOptions
        {
            Resolution = Resolution, Init = new WeightInit(Seed: 21, RandomizeStatistics: true),
        }));
        var x = new Rng(3).NormalTensor(1, graph.Input.Shape.C, Resolution, Resolution);
        using var session = new InferenceSession(graph, new SessionOptions { GuardBuffers = true, Threads = threads });
        var what = $"{key} ({threads} threads, {session.Isa})";
        output.WriteLine($"{what}: {ReferenceAssert.MatchesOutput(ReferenceInterpreter.Run(graph, x), session.Run(x), PlanTolerance.Network, what)}");
    }
}

/// <summary>A compiled session allocates nothing per run and is safe to run from many threads at once.</summary>
public class InferenceSessionConcurrencyTests
{
    [NativeOnlyTheory("70 runs of a model per case, and allocation is not what differs on another processor")]
    [InlineData("mobilenetv3_small_100", 1)]
    [InlineData("shufflenetv2_050", 2)]
    [InlineData("mobilenetv2_035", 2)]
    public void Run_allocates_nothing_after_the_first(string model, int threads)
    {
        var graph = ModelZoo.Build(model, new ModelOptions { Resolution = 96 });
        using var session = new InferenceSession(graph, new SessionOptions { Threads = threads });
        var x = new float[session.InputShape.ElementCount];
        var y = new float[session.OutputShape.ElementCount];
        // Warm up past tiered compilation (a method promoted mid-measurement may allocate once, not per run).
        for (var i = 0; i < 50; i++) session.Run(x, y);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++) session.Run(x, y);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [NativeOnlyFact("400 runs; QEMU runs ARM64's weak memory ordering on x86's strong one, so a race would not show")]
    public void Eight_threads_running_one_session_get_the_serial_results_bit_for_bit()
    {
        var graph = ModelZoo.Build("shufflenetv2_100", new ModelOptions { Resolution = 64, Init = new WeightInit(4, true) });
        using var session = new InferenceSession(graph, new SessionOptions { Threads = 2 });
        var inputs = Enumerable.Range(0, 8).Select(i => new Rng((ulong)i + 1).NormalTensor(1, 3, 64, 64)).ToArray();
        var serial = inputs.Select(session.Run).ToArray();
        var failures = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            var y = new float[session.OutputShape.ElementCount];
            for (var r = 0; r < 50; r++)
            {
                var which = (t + r) % inputs.Length;
                session.Run(inputs[which].Data, y);
                if (!y.AsSpan().SequenceEqual(serial[which].Data)) Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void Wrong_input_sizes_are_rejected()
    {
        using var session = new InferenceSession(ModelZoo.Build("mobilenetv3_small_050", new ModelOptions { Resolution = 64 }));
        var e = Assert.Throws<InputShapeException>(() => session.Run(new float[10], new float[1000]));
        Assert.Contains("needs 12288 floats", e.Message);
        Assert.Throws<InputShapeException>(() => session.Run(new Tensor(new Shape(1, 3, 32, 32))));
    }
}

/// <summary>The compiled plan on the lower ISA tiers, forced in-process (the child-process tier tests cover the dispatch).</summary>
public class InferenceSessionTierTests(ITestOutputHelper output)
{
    public static TheoryData<string, Isa> Cases()
    {
        var data = new TheoryData<string, Isa>();
        foreach (var isa in CpuCaps.Available.Where(i => i != CpuCaps.Best))
            foreach (var model in new[] { "mobilenetv1_050", "mobilenetv2_035", "mobilenetv3_large_075", "mobilenetv3_small_100", "shufflenetv1_g3_050", "shufflenetv1_g8_050", "shufflenetv2_050" })
                data.Add(model, isa);
        return data;
    }

    [LowerTiersTheory]
    [MemberData(nameof(Cases))]
    public void Lower_tiers_match_the_reference(string model, Isa isa)
    {
        var graph = ModelZoo.Build(model, new ModelOptions { Resolution = 64, Init = new WeightInit(Seed: 8, RandomizeStatistics: true) });
        var x = new Rng(5).NormalTensor(2, 3, 64, 64);
        using var session = new InferenceSession(graph.WithBatch(2), new SessionOptions { GuardBuffers = true, Threads = 2, Isa = isa });
        var what = $"{model} on {isa}";
        output.WriteLine($"{what}: {ReferenceAssert.MatchesOutput(ReferenceInterpreter.Run(graph.WithBatch(2), x), session.Run(x), PlanTolerance.Network, what)}");
    }

    /// <summary>
    /// Full-width models at batch 2 on two threads, where a step has more units of work (images × channel runs) than
    /// anything sized per run: a ShuffleNetV2 1.5× at batch 2 once wrote past its scratch this way. Randomized BatchNorm
    /// statistics keep the logits at O(0.1–1); with the default ones they decay to 10⁻⁹, too small to compare.
    /// </summary>
    [NativeOnlyTheory("full-size models at 224 px, minutes each")]
    [InlineData("shufflenetv2_150")]
    [InlineData("shufflenetv1_g3_100")]
    [InlineData("mobilenetv2_100")]
    [InlineData("mobilenetv3_large_100")]
    [InlineData("mobilenetv1_100")]
    public void Batch_two_on_two_threads_matches_the_reference(string model)
    {
        var graph = ModelZoo.Build(model, new ModelOptions { Batch = 2, Init = new WeightInit(Seed: 6, RandomizeStatistics: true) });
        var x = new Rng(6).NormalTensor(2, 3, 224, 224);
        using var session = new InferenceSession(graph, new SessionOptions { GuardBuffers = true, Threads = 2 });
        var what = $"{model}, batch 2, 2 threads";
        output.WriteLine($"{what}: {ReferenceAssert.MatchesOutput(ReferenceInterpreter.Run(graph, x), session.Run(x), PlanTolerance.Network, what)}");
    }

    [Fact]
    public void Batch_three_equals_three_single_runs()
    {
        var graph = ModelZoo.Build("shufflenetv1_g3_050", new ModelOptions { Resolution = 64, Init = new WeightInit(Seed: 2, RandomizeStatistics: true) });
        var x = new Rng(12).NormalTensor(3, 3, 64, 64);
        using var batched = new InferenceSession(graph.WithBatch(3), new SessionOptions { GuardBuffers = true, Threads = 2 });
        using var single = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        var y = batched.Run(x);
        for (var n = 0; n < 3; n++)
        {
            var xn = new Tensor(new Shape(1, 3, 64, 64), x.Data.AsSpan(n * 3 * 64 * 64, 3 * 64 * 64).ToArray());
            var yn = single.Run(xn);
            for (var i = 0; i < yn.Length; i++) Assert.True(Math.Abs(yn.Data[i] - y.Data[n * yn.Length + i]) <= 1e-5f * Math.Max(1, Math.Abs(yn.Data[i])));
        }
    }
}

/// <summary>
/// A theory over the tiers below the best: skipped, saying why, in a process with one tier only (ARM64 until its
/// 128-bit tier), where it would have no data, which xunit reports as a failure.
/// </summary>
public sealed class LowerTiersTheoryAttribute : TheoryAttribute
{
    public LowerTiersTheoryAttribute()
    {
        if (CpuCaps.Best == Isa.Scalar) Skip = "this process has one SIMD tier only (scalar): none below the best";
        else Skip = Emulation.SkipReason("the tiers below the best are the same C# as on the host, where they run; at emulation speed they cost minutes");
    }
}

/// <summary>With fusion off every node is its own step, and the results are the same.</summary>
public class InferenceSessionUnfusedTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("mobilenetv1_100")] // 256/512/1024 channels: buffers whose pixels are padded apart (strided ReLU)
    [InlineData("mobilenetv2_050")]
    [InlineData("mobilenetv3_small_075")]
    [InlineData("shufflenetv1_g3_050")]
    [InlineData("shufflenetv2_050")]
    public void Unfused_plan_matches_the_reference_and_has_more_steps(string model)
    {
        var graph = ModelZoo.Build(model, new ModelOptions { Resolution = 64, Init = new WeightInit(Seed: 6, RandomizeStatistics: true) });
        var x = new Rng(7).NormalTensor(1, 3, 64, 64);
        using var fused = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        using var unfused = new InferenceSession(graph, new SessionOptions { GuardBuffers = true, Threads = 1, Fuse = false });
        Assert.True(unfused.StepCount > fused.StepCount, $"{unfused.StepCount} unfused vs {fused.StepCount} fused steps");
        var what = model + " unfused";
        output.WriteLine($"{what}: {ReferenceAssert.MatchesOutput(ReferenceInterpreter.Run(graph, x), unfused.Run(x), PlanTolerance.Network, what)}");
    }
}

/// <summary>A graph whose working memory is above the session's limit fails, naming the limit, before it is allocated.</summary>
public class InferenceSessionMemoryLimitTests
{
    [Fact]
    public void Above_the_callers_limit_is_a_clear_error()
    {
        var graph = ModelZoo.Build("mobilenetv2_050", new ModelOptions { Resolution = 64 });
        using (var fits = new InferenceSession(graph, new SessionOptions { Threads = 1 }))
            Assert.True(fits.ArenaBytes > 64 * 1024);
        var e = Assert.Throws<WorkingMemoryException>(() => new InferenceSession(graph, new SessionOptions { Threads = 1, MaxArenaBytes = 64 * 1024 }));
        Assert.Contains("1×3×64×64", e.Message);
        Assert.Contains("SessionOptions.MaxArenaBytes", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new InferenceSession(graph, new SessionOptions { MaxArenaBytes = 0 }));
    }

    [Theory]
    [InlineData(100_000)]     // ≈ 60 GiB: above the default limit
    [InlineData(int.MaxValue)] // the arena's float count no longer fits an array
    public void A_huge_batch_fails_without_allocating_it(int batch)
    {
        var graph = ModelZoo.Build("mobilenetv1_025", new ModelOptions { Resolution = 64 }).WithBatch(batch);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<WorkingMemoryException>(() => new InferenceSession(graph, new SessionOptions { Threads = 2 }));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "allocated before refusing");
        Assert.Contains($"{batch}×3×64×64", e.Message);
        Assert.Contains("GiB", e.Message);
    }

    [Fact]
    public void A_model_file_declaring_a_huge_input_fails_before_compiling()
    {
        // 2³¹ − 1 pixels wide: one image's offsets no longer fit the kernels' 32-bit indexing, let alone memory.
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxFixtures.Model("mobilenet_v2_025_op11_static")));
        model.Graph.Input[0].Type.TensorType.Shape.Dim[3].DimValue = int.MaxValue;
        var graph = LightNets.Onnx.OnnxImporter.Import(model, null);
        var e = Assert.Throws<WorkingMemoryException>(() => new InferenceSession(graph, new SessionOptions { Threads = 1 }));
        Assert.Contains($"1×3×48×{int.MaxValue}", e.Message);
    }
}
