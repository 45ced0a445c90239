using LightNets.Graphs;
using LightNets.Models;
using LightNets.Quantization;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime.Int8;

/// <summary>
/// QDQ models compiled to int8 steps against the same graph run in float32 (the quantizers rounding float values, the
/// QDQ semantics): the integer sums are exact where float sums round, and the requantization multiplies by 1/scale
/// where QuantizeLinear divides, so a value near a rounding boundary may land one code away and carry that on; the
/// logits agree closely and the classes nearly always.
/// </summary>
public sealed class Int8PlanTests
{
    internal static Graph Quantized(string name, int resolution, ulong seed, QuantizeOptions? options = null)
    {
        var model = ModelZoo.Build(name, new ModelOptions { Resolution = resolution, Init = new WeightInit(Seed: seed, RandomizeStatistics: true) });
        var quantizer = new PostTrainingQuantizer(model, options);
        quantizer.Calibrate([.. Enumerable.Range(0, 2).Select(b => new Rng(seed + 100 + (ulong)b).NormalTensor(8, 3, resolution, resolution))], threads: 2);
        return quantizer.Build();
    }

    /// <summary>
    /// The graph's int8 plan on every int8 path this process has, on 1 and 2 threads, with guard buffers: each with its
    /// profile of one run on <paramref name="x"/> (the session is disposed when the next one is made).
    /// </summary>
    internal static IEnumerable<(Int8Isa Path, int Threads, InferenceSession Session, IReadOnlyList<StepProfile> Profile)> EveryInt8Plan(
        Graph graph, Tensor x, long outputs)
    {
        foreach (var path in Int8Caps.Available)
        foreach (var threads in new[] { 1, 2 })
        {
            using var session = new InferenceSession(graph, new SessionOptions { Threads = threads, Int8Path = path, GuardBuffers = true });
            yield return (path, threads, session, session.Profile(x.Data, new float[outputs], runs: 1, warmup: 0));
        }
    }

    public static TheoryData<string> Models() => new() { "mobilenetv2_035", "shufflenetv2_050", "mobilenetv3_small_075", "shufflenetv1_g3_050", "mobilenetv1_025" };

    [Theory]
    [MemberData(nameof(Models))]
    public void An_int8_plan_agrees_with_the_float_qdq_plan(string name)
    {
        var graph = Quantized(name, 64, 5).WithBatch(4);
        var x = new Rng(77).NormalTensor(4, 3, 64, 64);
        using var reference = new InferenceSession(graph, new SessionOptions { Threads = 1, Int8 = false });
        var expected = reference.Run(x);
        foreach (var (path, threads, session, profile) in EveryInt8Plan(graph, x, expected.Length))
        {
            Assert.Contains(profile, s => s.Operator.StartsWith("int8", StringComparison.Ordinal));
            var actual = session.Run(x);
            var scale = expected.Data.Max(MathF.Abs);
            var worst = expected.Data.Zip(actual.Data).Max(p => MathF.Abs(p.First - p.Second));
            Assert.True(worst <= 0.1f * scale, $"{name} {path} {threads} threads: max |diff| {worst} against max |logit| {scale}");
            var classes = expected.Shape[1];
            var agree = Enumerable.Range(0, 4).Count(i => ArgMax(expected.Data.AsSpan(i * classes, classes)) == ArgMax(actual.Data.AsSpan(i * classes, classes)));
            Assert.True(agree >= 3, $"{name} {path}: top-1 agrees on {agree} of 4 images");
        }
    }

    /// <summary>
    /// Banded int8 steps (expansion → depthwise → projection in row bands) must write the very codes the separate int8
    /// steps write: odd sizes make uneven bands and clipped windows, two threads split images into parts, and one image
    /// on two threads (or MobileNetV2 1.0 at 224, whose first expansion outgrows one band) runs several bands per image,
    /// each keeping the expansion rows the next one shares.
    /// </summary>
    [NativeOnlyTheory("minutes; both forms run the same int8 kernels, which the kernel tests and the int8-vs-QDQ plan test cover")]
    [MemberData(nameof(Models))]
    public void Banded_int8_depthwise_steps_write_the_codes_of_separate_steps(string name)
    {
        BandedAgreesWithSeparate(name, 61, 3);
        BandedAgreesWithSeparate(name, 61, 1);
    }

    [NativeOnlyFact("a full-size model at 224 px, minutes")]
    public void Banded_int8_steps_of_a_full_size_mobilenetv2_write_the_codes_of_separate_steps() => BandedAgreesWithSeparate("mobilenetv2_100", 224, 1);

    private static void BandedAgreesWithSeparate(string name, int resolution, int batch)
    {
        var graph = Quantized(name, resolution, 9).WithBatch(batch);
        var x = new Rng(78).NormalTensor(batch, 3, resolution, resolution);
        foreach (var path in Int8Caps.Available)
        foreach (var threads in new[] { 1, 2 })
        {
            using var separate = new InferenceSession(graph, new SessionOptions { Threads = threads, Int8Path = path, Bands = false });
            using var banded = new InferenceSession(graph, new SessionOptions { Threads = threads, Int8Path = path, GuardBuffers = true });
            var steps = banded.Profile(x.Data, new float[separate.Run(x).Length], runs: 1, warmup: 0);
            Assert.Contains(steps, s => s.Operator.Contains("int8 dwconv", StringComparison.Ordinal) && s.Operator.Contains(" → ", StringComparison.Ordinal));
            Assert.Equal(separate.Run(x).Data, banded.Run(x).Data);
        }
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++)
            if (v[i] > v[best]) best = i;
        return best;
    }
}
