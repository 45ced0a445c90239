namespace LightNets.Experiments;

/// <summary>
/// docs/GUIDELINES-SPEC.md §4–§7 as data: the paper's Tables 1–4 with the channel numbers of every column and the paper's
/// throughput beside them (GPU in batches/s at batch 1, ARM in images/s). Each table adds rows of ours, marked by
/// their role: a duplicate of the reference where the table has no twin (the noise band, §10) and, in Table 4, the
/// fused ablation (ReLU and Add inside the convolutions' epilogues).
/// </summary>
public static class GuidelineTables
{
    /// <summary>The four tables in <paramref name="mode"/>.</summary>
    public static IReadOnlyList<GuidelineTable> For(GuidelineMode mode) => [G1(mode), G2(mode), G3(mode), G4(mode)];

    /// <summary>The duplicate row's label: the reference's label with a prime.</summary>
    public static string Duplicate(string label) => label + "′";

    private static readonly string[] Multipliers = ["×1", "×2", "×4"];
    private static readonly int[] Factors = [1, 2, 4];

    /// <summary>Table 1: c1:c2 pairs; ×2/×4 are the ×1 pair times 2 and 4 (the author's "channel multipliers").</summary>
    public static GuidelineTable G1(GuidelineMode mode)
    {
        var arm = mode == GuidelineMode.Arm;
        (string Ratio, int C1, int C2, double[] Paper)[] rows = arm
            ? [("1:1", 32, 32, [76.2, 21.7, 5.3]), ("1:2", 22, 44, [72.9, 20.5, 5.1]), ("1:6", 13, 78, [69.1, 17.9, 4.6]), ("1:12", 9, 108, [57.6, 15.1, 4.4])]
            : [("1:1", 128, 128, [1480, 723, 232]), ("1:2", 90, 180, [1296, 586, 206]), ("1:6", 52, 312, [876, 489, 189]), ("1:12", 36, 432, [748, 392, 163])];
        var list = rows.Select((r, i) => new GuidelineRow(r.Ratio, i == 0 ? RowRole.Reference : RowRole.Variant,
            Factors.Select(f => (StackSpec)new PairStack(r.C1 * f, r.C2 * f)).ToArray(), r.Paper)).ToList();
        list.Add(list[0] with { Label = Duplicate(list[0].Label), Role = RowRole.Duplicate, Paper = null });
        return new GuidelineTable(Guideline.G1, mode, "Equal channel width minimizes memory access cost (MAC)", "c1:c2", Multipliers, list,
            "At fixed FLOPs, speed falls as c1:c2 moves away from 1:1, on both platforms and at every width; 1:1 is fastest everywhere.");
    }

    /// <summary>Table 2: c chosen so that c²/g is constant; ARM g = 8 uses 184 (the author: "180" is a typo).</summary>
    public static GuidelineTable G2(GuidelineMode mode)
    {
        var arm = mode == GuidelineMode.Arm;
        (int G, int C, double[] Paper)[] rows = arm
            ? [(1, 64, [40.0, 10.2, 2.3]), (2, 90, [35.0, 9.5, 2.2]), (4, 128, [32.9, 8.7, 2.1]), (8, 184, [27.8, 7.5, 1.8])]
            : [(1, 128, [2451, 1289, 437]), (2, 180, [1725, 873, 341]), (4, 256, [1026, 644, 338]), (8, 360, [634, 445, 230])];
        var list = rows.Select((r, i) => new GuidelineRow($"g={r.G}", i == 0 ? RowRole.Reference : RowRole.Variant,
            Factors.Select(f => (StackSpec)new GroupStack(r.C * f, r.G)).ToArray(), r.Paper)).ToList();
        return new GuidelineTable(Guideline.G2, mode, "Excessive group convolution increases MAC", "groups", Multipliers, list,
            "Speed falls steadily as g grows: g=8 is more than 2× slower than g=1 on the GPU and up to 30% slower on ARM.");
    }

    /// <summary>Table 3: c is the one-fragment width; the other blocks keep its FLOPs (series narrower, parallel with a Concat).</summary>
    public static GuidelineTable G3(GuidelineMode mode)
    {
        var arm = mode == GuidelineMode.Arm;
        int[] widths = arm ? [64, 128, 256] : [128, 256, 512];
        (string Label, FragmentLayout Layout, double[] Arm, double[] Gpu)[] rows =
        [
            ("1-fragment", FragmentLayout.One, [40.2, 10.1, 2.3], [2446, 1274, 434]),
            ("2-fragment-series", FragmentLayout.TwoSeries, [38.6, 10.1, 2.2], [1790, 909, 336]),
            ("4-fragment-series", FragmentLayout.FourSeries, [38.4, 10.1, 2.3], [752, 745, 349]),
            ("2-fragment-parallel", FragmentLayout.TwoParallel, [33.4, 9.1, 2.2], [1537, 803, 320]),
            ("4-fragment-parallel", FragmentLayout.FourParallel, [35.0, 8.4, 2.1], [691, 572, 292]),
        ];
        var list = rows.Select((r, i) => new GuidelineRow(r.Label, i == 0 ? RowRole.Reference : RowRole.Variant,
            widths.Select(c => (StackSpec)new FragmentStack(c, r.Layout)).ToArray(), arm ? r.Arm : r.Gpu)).ToList();
        return new GuidelineTable(Guideline.G3, mode, "Network fragmentation reduces degree of parallelism", "block",
            widths.Select(c => $"c={c}").ToArray(), list,
            "Fragmentation cuts GPU speed sharply (4 fragments about 3× slower at c=128); on ARM, one thread, series blocks barely change and parallel blocks lose ~4–17%.");
    }

    /// <summary>Table 4: the bottleneck unit with ReLU and shortcut each on or off; c = 32/64/128 in both modes.</summary>
    public static GuidelineTable G4(GuidelineMode mode)
    {
        var arm = mode == GuidelineMode.Arm;
        int[] widths = [32, 64, 128];
        (bool Relu, bool Shortcut, double[] Arm, double[] Gpu)[] rows =
        [
            (true, true, [56.7, 16.9, 5.0], [2427, 2066, 1436]),
            (true, false, [61.9, 18.8, 5.2], [2647, 2256, 1735]),
            (false, true, [57.3, 18.2, 5.1], [2672, 2121, 1458]),
            (false, false, [66.3, 20.2, 5.4], [2842, 2376, 1782]),
        ];
        static string Label(bool relu, bool shortcut) => $"{(relu ? "yes" : "no")}/{(shortcut ? "yes" : "no")}";
        var list = rows.Select((r, i) => new GuidelineRow(Label(r.Relu, r.Shortcut), i == 0 ? RowRole.Reference : RowRole.Variant,
            widths.Select(c => (StackSpec)new BottleneckStack(c, r.Relu, r.Shortcut)).ToArray(), arm ? r.Arm : r.Gpu)).ToList();
        list.Add(list[0] with { Label = Duplicate(list[0].Label), Role = RowRole.Duplicate, Paper = null });
        // The ablation of §7: ReLU and Add fused into the convolutions, which should make their cost (mostly) vanish.
        list.AddRange(list.Take(4).Select(r => r with { Paper = null, Fused = true }).ToArray());
        return new GuidelineTable(Guideline.G4, mode, "Element-wise operations are non-negligible", "ReLU/shortcut", widths.Select(c => $"c={c}").ToArray(), list,
            "Removing ReLU and shortcut gives about 20% speed-up on GPU and ARM; each removal helps on its own.");
    }
}
