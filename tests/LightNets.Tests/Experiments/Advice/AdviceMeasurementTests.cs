using LightNets.Experiments.Advice;
using LightNets.Models;
using Xunit.Abstractions;

namespace LightNets.Tests.Experiments.Advice;

/// <summary>
/// The advisor on real networks, measured on this machine. What is asserted is what the ShuffleNetV2 paper says and
/// what holds with a wide margin here: ShuffleNetV1's group convolutions (G2) and MobileNetV2's element-wise ops and
/// depthwise convolutions (G4) are found from the timings, and at roughly equal FLOPs ShuffleNetV2 has the smallest
/// share of its time at stake. The score is a ratio within one network's run (a layer against its own counterfactual,
/// a step's median against the others'), so a uniformly loaded machine moves it little.
/// </summary>
[Collection("Advice timing")]
public class AdviceMeasurementTests(ITestOutputHelper output)
{
    /// <summary>Half the paper's resolution keeps each run short; the layer shapes keep their proportions.</summary>
    private const int Resolution = 112;

    private static readonly AdviceSettings Settings = AdviceSettings.Quick;

    private AdviceResult Advise(string model, ModelOptions options)
    {
        var graph = ModelZoo.Build(model, options with { Resolution = Resolution });
        var r = Advisor.Run(model, graph, Settings);
        output.WriteLine($"{model}: score {r.AtStakeShare:P1}, named {string.Join(",", r.Named)}; " +
                         string.Join("; ", r.Findings.Select(f => $"{f.Id} {f.Title} {f.AtStakeMicroseconds:0}µs")));
        return r;
    }

    [Fact]
    public void ShuffleNetV1_MobileNetV2_and_ShuffleNetV2_at_equal_FLOPs()
    {
        var v1 = Advise("shufflenetv1_g3_100", new ModelOptions());
        var mn2 = Advise("mobilenetv2_100", new ModelOptions { Width = 0.6 });
        var v2 = Advise("shufflenetv2_100", new ModelOptions());

        // Roughly equal FLOPs (the paper's 140 M level): within 12 % of each other.
        var macs = new[] { v1.Macs, mn2.Macs, v2.Macs };
        Assert.True(macs.Max() <= 1.12 * macs.Min(), $"MACs {string.Join(", ", macs)}");

        // ShuffleNetV1: its group convolutions are named, and rank first among its convolutions' findings.
        Assert.Contains(GuidelineTag.G2, v1.Named);
        Assert.Equal(GuidelineTag.G2, v1.Findings.First(f => f.Guideline is GuidelineTag.G1 or GuidelineTag.G2 or GuidelineTag.G3).Guideline);
        // Its bottlenecks (c → c/4 → c) are named under G1, with memory access above the G1 bound.
        var g1 = v1.Findings.Where(f => f.Guideline == GuidelineTag.G1).MaxBy(f => f.Layers.Count)!;
        Assert.Contains("1:4", g1.Title);
        Assert.True(g1.Named, $"G1 at stake {g1.AtStakeMicroseconds:0} µs of {v1.TotalMicroseconds:0} µs");
        Assert.True(g1.Figures["memory_access"] > 1.2 * g1.Figures["memory_access_bound"]);

        // MobileNetV2: G4 is named and is its largest finding.
        Assert.Contains(GuidelineTag.G4, mn2.Named);
        Assert.Equal(GuidelineTag.G4, mn2.Findings[0].Guideline);

        // ShuffleNetV2 scores best: the smallest share of time at stake, by a margin.
        Assert.True(v2.AtStakeShare < 0.8 * v1.AtStakeShare, $"ShuffleNetV2 {v2.AtStakeShare:P1} vs ShuffleNetV1 {v1.AtStakeShare:P1}");
        Assert.True(v2.AtStakeShare < 0.8 * mn2.AtStakeShare, $"ShuffleNetV2 {v2.AtStakeShare:P1} vs MobileNetV2 {mn2.AtStakeShare:P1}");
    }

    [Fact]
    public void Every_layer_of_an_onnx_export_is_attributed_or_reported_as_not()
    {
        var graph = AdviceFixtures.Load(AdviceFixtures.Inception);
        var r = Advisor.Run("inception_tiny.onnx", graph, Settings);
        Assert.Equal(graph.Nodes.Count, r.Layers.Count);
        Assert.True(r.Layers.All(l => l.Microseconds >= 0 && l.AtStakeMicroseconds <= l.Microseconds + 1e-9));
        Assert.Contains(r.Unattributed, u => u.Kind == "pooling" && u.Count == 6);
        Assert.Contains(r.Unattributed, u => u.Kind == "fully connected");
        var g3 = r.Findings.Single(f => f.Guideline == GuidelineTag.G3);
        Assert.Equal(3, g3.Figures["units"]);
        Assert.Equal(9, g3.Figures["sibling_convs"]);
        Assert.Equal(r.TotalMicroseconds, r.Layers.Sum(l => l.Microseconds), 6);
    }
}
