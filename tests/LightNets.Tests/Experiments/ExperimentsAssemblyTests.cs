using System.Reflection;
using LightNets.Experiments;
using LightNets.Graphs;

namespace LightNets.Tests.Experiments;

/// <summary>
/// The guideline experiments (stacks, timing protocol, rounds and medians, verdict prose) are a project of their own on
/// top of the core: every user of the model zoo and the runtime loads the core, and none of them needs the harness.
/// Dependencies point one way.
/// </summary>
public class ExperimentsAssemblyTests
{
    private static readonly Assembly Core = typeof(Graph).Assembly;
    private static readonly Assembly Experiments = typeof(GuidelineRunner).Assembly;

    [Fact]
    public void Every_experiment_type_lives_in_LightNets_Experiments_and_none_in_the_core()
    {
        Assert.Equal("LightNets.Experiments", Experiments.GetName().Name);
        Assert.Empty(Core.GetTypes().Where(t => t.Namespace?.StartsWith("LightNets.Experiments", StringComparison.Ordinal) == true).Select(t => t.FullName));
        Assert.All(new[] { typeof(ProtocolSettings), typeof(RoundSchedule), typeof(Stats), typeof(GuidelineStacks), typeof(TableVerdict) },
            t => Assert.Same(Experiments, t.Assembly));
    }

    [Fact]
    public void The_experiments_reference_the_core_and_the_core_does_not_reference_them()
    {
        Assert.Contains(Experiments.GetReferencedAssemblies(), a => a.Name == Core.GetName().Name);
        Assert.DoesNotContain(Core.GetReferencedAssemblies(), a => a.Name == Experiments.GetName().Name);
    }
}
