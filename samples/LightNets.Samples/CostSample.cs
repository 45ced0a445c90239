using LightNets.Cost;
using LightNets.Models;

namespace LightNets.Samples;

public static class CostSample
{
    public static int Run()
    {
        // Every family is built from its paper's table; the name picks the configuration (timm's grammar).
        foreach (var name in new[] { "mobilenetv1_100", "mobilenetv2_100", "shufflenetv2_100", "mobilenetv3_small_100" })
        {
            var cost = CostReport.Analyze(ModelZoo.Build(name));
            Console.WriteLine($"{name}: {cost.Params:N0} params, {cost.Macs:N0} MACs, {cost.MemoryAccess:N0} MAC");
        }

        // Any published knob is an option: MobileNetV2 at width 0.5 and 160×160 input.
        var small = CostReport.Analyze(ModelZoo.Build("mobilenetv2_100", new ModelOptions { Width = 0.5, Resolution = 160 }));
        Console.WriteLine($"mobilenetv2_100 at α=0.5, 160×160: {small.Params:N0} params, {small.Macs:N0} MACs");

        // Per block, as the paper's units: the three with the most multiply-adds.
        foreach (var block in small.Blocks.OrderByDescending(b => b.Macs).Take(3))
            Console.WriteLine($"  {block.Name,-10} {block.Input} → {block.Output}: {block.Macs:N0} MACs");
        return 0;
    }
}
