using System.Diagnostics;
using LightNets.Cli.Commands;
using LightNets.Graphs;
using LightNets.Models;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime;

/// <summary>
/// Exactly what the README benchmarks: the headline models of <c>lightnets compare</c> (<see cref="CompareCommand.Headlines"/>,
/// with their layouts) at 224×224, batch 1, in a session built as the command builds it, on 1 and on 2 threads,
/// against the reference interpreter element by element within <see cref="PlanTolerance.Network"/>. The weights are
/// seeded with randomized BatchNorm statistics, which keep every layer's activations at O(1) (the plan does not depend
/// on the weights' values; with the default statistics the logits decay to 10⁻¹⁸–10⁻⁶, too small to compare).
/// The reference output is computed once per model and compared with both sessions.
/// </summary>
public class HeadlineModelTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var h in CompareCommand.Headlines) data.Add(h.Model);
        return data;
    }

    [Fact]
    public void These_are_the_eighteen_models_the_readme_benchmarks()
    {
        Assert.Equal(18, CompareCommand.Headlines.Count);
        Assert.Equal(CompareCommand.Headlines.Count, CompareCommand.Headlines.Select(h => h.Model).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Compiled_session_matches_the_reference_at_224_on_one_and_two_threads(string model)
    {
        var headline = CompareCommand.Headlines.Single(h => h.Model == model);
        var graph = ModelZoo.Build(model, headline.Options with { Resolution = 224, Init = new WeightInit(Seed: 31, RandomizeStatistics: true) });
        Assert.Equal(Shape.Nchw(1, 3, 224, 224), graph.Input.Shape);
        var x = new Rng(17).NormalTensor(1, 3, 224, 224);
        var clock = Stopwatch.StartNew();
        var expected = ReferenceInterpreter.Run(graph, x);
        var reference = clock.Elapsed;
        foreach (var threads in new[] { 1, 2 })
        {
            using var session = new InferenceSession(graph, new SessionOptions { Threads = threads });
            var what = $"{model} at 224×224, batch 1, {threads} thread(s), {session.Isa}";
            output.WriteLine($"{what}: {ReferenceAssert.MatchesOutput(expected, session.Run(x), PlanTolerance.Network, what)}");
        }
        output.WriteLine($"{model}: reference {reference.TotalSeconds:F1} s, whole test {clock.Elapsed.TotalSeconds:F1} s");
    }
}
