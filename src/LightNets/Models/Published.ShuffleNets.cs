namespace LightNets.Models;

// PUBLISHED §2, §4 and §6: the ShuffleNets' figures. Both papers' "FLOPs" are multiply-adds (PUBLISHED §8.1) and they
// print classification error: top-1 = 100 − error.
public static partial class Published
{
    private static IEnumerable<PublishedFigure> ShuffleNetV1Figures()
    {
        // Table 1's complexity row leaves the FC out (with it, g = 4 and g = 8 would print 134 and 138).
        var t1 = new Table("P-SN1 Table 1", MacsWithoutClassifier: true);
        foreach (var (g, macs) in new[] { (1, 143), (2, 140), (3, 137), (4, 133), (8, 137) })
            yield return t1.Row($"shufflenetv1_g{g}_100", macs);

        // Table 2: one nominal complexity class per scale (140 / 38 / 13 MFLOPs), error per g.
        var t2 = new Table("P-SN1 Table 2", PublishedRounding.Nominal);
        var groups = new[] { 1, 2, 3, 4, 8 };
        var table2 = new (string Scale, double Class, double[] Top1)[]
        {
            ("100", 140, [66.4, 67.3, 67.4, 67.2, 67.6]),
            ("050", 38, [54.9, 55.6, 56.8, 58.4, 57.7]),
            ("025", 13, [42.9, 43.2, 45.0, 45.8, 47.3]),
        };
        foreach (var (scale, complexity, top1) in table2)
        {
            for (var i = 0; i < groups.Length; i++)
                yield return t2.Row($"shufflenetv1_g{groups[i]}_{scale}", complexity, null, top1[i]);
        }

        var t4 = t2 with { Source = "P-SN1 Table 4" };
        yield return t4.Row("shufflenetv1_g8_100", 140, null, 67.6);
        yield return t4.Row("shufflenetv1_g4_050", 38, null, 58.4);
        yield return t4.Row("shufflenetv1_g8_025", 13, null, 47.3);

        // Tables 5, 6, 8 mix exact complexities with FC (524, 292; megvii's configurations) and the nominal classes.
        foreach (var source in new[] { "P-SN1 Table 5", "P-SN1 Table 6" })
        {
            var exact = new Table(source);
            var nominal = exact with { MacsRounding = PublishedRounding.Nominal };
            yield return exact.Row("shufflenetv1_g3_200", 524, null, 73.7);
            if (source == "P-SN1 Table 5") yield return exact.Row("shufflenetv1_g3_150", 292, null, 71.5);
            yield return nominal.Row("shufflenetv1_g8_100", 140, null, 67.6);
            yield return nominal.Row("shufflenetv1_g4_050", 38, null, 58.4);
        }
        foreach (var source in new[] { "P-SN1 Table 8", "P-SN2 Table 8" })
        {
            var exact = new Table(source);
            var nominal = exact with { MacsRounding = PublishedRounding.Nominal };
            yield return nominal.Row("shufflenetv1_g3_050", 38, null, 56.8);
            yield return nominal.Row("shufflenetv1_g3_100", 140, null, 67.4);
            if (source == "P-SN2 Table 8") yield return exact.Row("shufflenetv1_g3_150", 292, null, 71.5);
            yield return exact.Row("shufflenetv1_g3_200", 524, null, 73.7);
        }

        // P-MN2 quotes the two largest (g = 3, as their 292/524 show), truncating like the rest of its table.
        var mn2 = new Table("P-MN2 Table 4", PublishedRounding.Truncate, Params: ParamsConvention.NoBatchNorm,
            ParamsRounding: PublishedRounding.Truncate, Note: "quoted from P-SN1");
        yield return mn2.Row("shufflenetv1_g3_150", 292, 3.4, 71.5);
        yield return mn2.Row("shufflenetv1_g3_200", 524, 5.4, 73.7);

        // megvii's re-trained checkpoints: their network.py configurations, FC without bias.
        var meg = new Table("R-MEG ShuffleNetV1/README.md", Overrides: new ModelOptions { Layout = ModelLayout.Megvii });
        yield return meg.Row("shufflenetv1_g3_200", 524, 5.4, 74.1);
        yield return meg.Row("shufflenetv1_g8_200", 522, 6.5, 72.9);
        yield return meg.Row("shufflenetv1_g3_150", 292, 3.4, 71.6);
        yield return meg.Row("shufflenetv1_g8_150", 290, 4.3, 71.0);
        yield return meg.Row("shufflenetv1_g3_100", 138, 1.9, 67.8) with
        {
            MacsErratum = "137,460,672 rounds to 137 (P-SN1 Table 5's configuration); the README rounds it up",
        };
        yield return meg.Row("shufflenetv1_g8_100", 138, 2.4, 68.0);
        yield return meg.Row("shufflenetv1_g3_050", 38, 0.7, 57.3);
        yield return meg.Row("shufflenetv1_g8_050", 40, 1.0, 58.8);
    }

    private static IEnumerable<PublishedFigure> ShuffleNetV2Figures()
    {
        // The paper's layout (megvii's: Stage 2's first unit keeps 24 channels on the left, FC without bias) with the FC.
        var paperLayout = new ModelOptions { Layout = ModelLayout.Paper };
        const string x050 = "40,476,448 rounds to 40 (torchvision's _ops prints 0.04 for the same network); the paper prints 41 (PUBLISHED §8.4)";
        var t5 = new Table("P-SN2 Table 5", Overrides: paperLayout);
        yield return t5.Row("shufflenetv2_050", 41, 1.4) with { MacsErratum = x050 };
        yield return t5.Row("shufflenetv2_100", 146, 2.3);
        yield return t5.Row("shufflenetv2_150", 299, 3.5);
        yield return t5.Row("shufflenetv2_200", 591, 7.4);

        var t8 = t5 with { Source = "P-SN2 Table 8" };
        yield return t8.Row("shufflenetv2_050", 41, null, 60.3) with { MacsErratum = x050 };
        yield return t8.Row("shufflenetv2_100", 146, null, 69.4);
        yield return t8.Row("shufflenetv2_150", 299, null, 72.6);
        yield return t8.Row("shufflenetv2_200", 591, null, 74.9);

        var meg = t5 with { Source = "R-MEG ShuffleNetV2/README.md" };
        yield return meg.Row("shufflenetv2_200", 591, 7.4, 75.0);
        yield return meg.Row("shufflenetv2_150", 299, 3.5, 72.6);
        yield return meg.Row("shufflenetv2_100", 146, 2.3, 69.4);
        yield return meg.Row("shufflenetv2_050", 41, 1.4, 61.1) with { MacsErratum = x050 };

        // torchvision's weights metadata (torchvision layout, the zoo default): num_params exact, _ops to the million.
        var tv = new Table("R-TV-SN2 IMAGENET1K_V1", ParamsDecimals: 6);
        yield return tv.Row("shufflenetv2_050", 40, 1.366792, 60.552);
        yield return tv.Row("shufflenetv2_100", 145, 2.278604, 69.362);
        yield return tv.Row("shufflenetv2_150", 296, 3.503624, 72.996);
        yield return tv.Row("shufflenetv2_200", 583, 7.393996, 76.230);
    }
}
