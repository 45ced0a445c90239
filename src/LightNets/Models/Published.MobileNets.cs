namespace LightNets.Models;

// PUBLISHED §1, §3, §5 and §6: the MobileNets' figures, table by table, in the source's order.
public static partial class Published
{
    private static IEnumerable<PublishedFigure> MobileNetV1Figures()
    {
        // The paper rounds MACs to the nearest million (568.74 → 569) and prints params without BN (Table 9's 1.32).
        var t6 = new Table("P-MN1 Table 6", Params: ParamsConvention.NoBatchNorm);
        yield return t6.Row("mobilenetv1_100", 569, 4.2, 70.6);
        yield return t6.Row("mobilenetv1_075", 325, 2.6, 68.4);
        yield return t6.Row("mobilenetv1_050", 149, 1.3, 63.7);
        yield return t6.Row("mobilenetv1_025", 41, 0.5, 50.6);

        var t7 = t6 with { Source = "P-MN1 Table 7" };
        yield return t7.Row("mobilenetv1_100", 569, 4.2, 70.6);
        yield return t7.Row("mobilenetv1_100", 418, 4.2, 69.1, Px(192));
        yield return t7.Row("mobilenetv1_100", 290, 4.2, 67.2, Px(160)); // 290.68 truncated (TF-slim's README rounds it to 291)
        yield return t7.Row("mobilenetv1_100", 186, 4.2, 64.4, Px(128));
        yield return (t6 with { Source = "P-MN1 Table 4" }).Row("mobilenetv1_100", 569, 4.2, 70.6);
        yield return (t6 with { Source = "P-MN1 Table 5" }).Row("mobilenetv1_075", 325, 2.6, 68.4);
        yield return (t6 with { Source = "P-MN1 Table 8" }).Row("mobilenetv1_100", 569, 4.2, 70.6);
        yield return (t6 with { Source = "P-MN1 Table 9", ParamsDecimals = 2 }).Row("mobilenetv1_050", 76, 1.32, 60.2, Px(160)); // 76.52 truncated

        // TF-slim's checkpoints: MACs to the nearest million, params in TF-slim's own count (1001 classes, β + BN statistics).
        var tfs = new Table("R-TFS-V1", Params: ParamsConvention.TfSlimV1, ParamsDecimals: 2);
        const string readme075 = "the README's 0.75 rows (317/233/162/104) are 2.5 % below the definition; the paper prints 325 and "
            + "TF-slim's own mobilenet_v1.py docstring gives the 0.75/128 base as 106,002,432 (PUBLISHED §8.12)";
        yield return tfs.Row("mobilenetv1_100", 569, 4.24, 70.9);
        yield return tfs.Row("mobilenetv1_100", 418, 4.24, 70.0, Px(192));
        yield return tfs.Row("mobilenetv1_100", 291, 4.24, 68.0, Px(160));
        yield return tfs.Row("mobilenetv1_100", 186, 4.24, 65.2, Px(128));
        yield return tfs.Row("mobilenetv1_075", 317, 2.59, 68.4) with { MacsErratum = $"325,400,448; {readme075}" };
        yield return tfs.Row("mobilenetv1_075", 233, 2.59, 67.2, Px(192)) with { MacsErratum = $"239,273,472; {readme075}" };
        yield return tfs.Row("mobilenetv1_075", 162, 2.59, 65.3, Px(160)) with { MacsErratum = $"166,396,800; {readme075}" };
        yield return tfs.Row("mobilenetv1_075", 104, 2.59, 62.1, Px(128)) with { MacsErratum = $"106,770,432; {readme075}" };
        yield return tfs.Row("mobilenetv1_050", 150, 1.34, 63.3) with
        {
            MacsErratum = "149,497,088 (149,497,600 with 1001 classes) rounds to 149; 150 is a double rounding through 149.50",
        };
        yield return tfs.Row("mobilenetv1_050", 110, 1.34, 61.7, Px(192));
        yield return tfs.Row("mobilenetv1_050", 77, 1.34, 59.1, Px(160));
        yield return tfs.Row("mobilenetv1_050", 49, 1.34, 56.3, Px(128));
        yield return tfs.Row("mobilenetv1_025", 41, 0.47, 49.8);
        yield return tfs.Row("mobilenetv1_025", 34, 0.47, 47.7, Px(192)) with
        {
            MacsErratum = "30,212,608: the README's 34 fits neither the definition nor the neighbouring 41/21/14 (PUBLISHED §8.12)",
        };
        yield return tfs.Row("mobilenetv1_025", 21, 0.47, 45.5, Px(160));
        yield return tfs.Row("mobilenetv1_025", 14, 0.47, 41.5, Px(128));

        // The docstring's per-layer table: exact conv MACs of the base network (no classifier). Its 3,185,088 params are
        // conv weights alone (no BN, no biases, no classifier), a convention LightNets does not report, so they are left out.
        var doc = new Table("R-TFS-V1PY", MacsDecimals: 6, MacsWithoutClassifier: true);
        yield return doc.Row("mobilenetv1_100", 567.716352);
        yield return doc.Row("mobilenetv1_075", 106.002432, overrides: Px(128));

        // Quotations of P-MN1's figures in later papers and READMEs (ShuffleNet papers print top-1 error; top-1 = 100 − error).
        foreach (var source in new[] { "P-SN1 Table 5", "P-SN2 Table 8", "R-MEG ShuffleNetV1/README.md" })
        {
            var quote = t6 with { Source = source, Note = "quoted from P-MN1" };
            var withParams = source.StartsWith("R-MEG", StringComparison.Ordinal);
            yield return quote.Row("mobilenetv1_100", 569, withParams ? 4.2 : null, 70.6);
            yield return quote.Row("mobilenetv1_075", 325, withParams ? 2.6 : null, 68.4);
            yield return quote.Row("mobilenetv1_050", 149, withParams ? 1.3 : null, 63.7);
            yield return quote.Row("mobilenetv1_025", 41, withParams ? 0.5 : null, 50.6);
        }
        yield return (t6 with { Source = "P-SN1 Table 8", Note = "quoted from P-MN1" }).Row("mobilenetv1_100", 569, null, 70.6);
        yield return (t6 with { Source = "P-MN2 Table 4", Note = "quoted from P-MN1" }).Row("mobilenetv1_100", 575, 4.2, 70.6) with
        {
            MacsErratum = "568,740,352; P-MN1 prints 569 for the same model (PUBLISHED §8.14)",
        };

        // The legacy tf.keras docstring prints 529 for every resolution of 1.0 MobileNet (PUBLISHED §1.6, §8.15).
        var keras = new Table("R-KERAS mobilenet.py (legacy)");
        foreach (var (r, macs) in new[] { (224, "568,740,352"), (192, "418,121,728"), (160, "290,675,200"), (128, "186,400,768") })
            yield return keras.Row("mobilenetv1_100", 529, overrides: r == 224 ? null : Px(r)) with { MacsErratum = $"{macs}: 529 is a typo for 569, copied to every row" };
    }

    private static IEnumerable<PublishedFigure> MobileNetV2Figures()
    {
        // Google truncates: MACs 300.77 → 300, params without BN 3.47 → 3.4 (PUBLISHED §8.4).
        var t4 = new Table("P-MN2 Table 4", PublishedRounding.Truncate, Params: ParamsConvention.NoBatchNorm, ParamsRounding: PublishedRounding.Truncate);
        const string v2x14 = "582,195,824 MACs and 6,060,840 params without BN (6,108,776 with) for the released 1.4 model; the paper's "
            + "585 M / 6.9 M are not reproduced by the TF-slim or torchvision definition (PUBLISHED §8.18)";
        yield return t4.Row("mobilenetv2_100", 300, 3.4, 72.0);
        yield return t4.Row("mobilenetv2_140", 585, 6.9, 74.7) with { MacsErratum = v2x14, ParamsErratum = v2x14 };

        // TF-slim's width × resolution grid: MACs truncated to whole millions, params without BN to 2 decimals.
        var tfs = new Table("R-TFS-MN", PublishedRounding.Truncate, Params: ParamsConvention.NoBatchNorm, ParamsDecimals: 2);
        yield return tfs.Row("mobilenetv2_140", 582, 6.06, 75.0);
        yield return tfs.Row("mobilenetv2_130", 509, 5.34, 74.4);
        var grid = new (string Model, double Params, (int Resolution, double Macs, double Top1)[] Rows)[]
        {
            ("mobilenetv2_100", 3.47, [(224, 300, 71.8), (192, 221, 70.7), (160, 154, 68.8), (128, 99, 65.3), (96, 56, 60.3)]),
            ("mobilenetv2_075", 2.61, [(224, 209, 69.8), (192, 153, 68.7), (160, 107, 66.4), (128, 69, 63.2), (96, 39, 58.8)]),
            ("mobilenetv2_050", 1.95, [(224, 97, 65.4), (192, 71, 63.9), (160, 50, 61.0), (128, 32, 57.7), (96, 18, 51.2)]),
            ("mobilenetv2_035", 1.66, [(224, 59, 60.3), (192, 43, 58.2), (160, 30, 55.7), (128, 20, 50.8), (96, 11, 45.5)]),
        };
        foreach (var (model, @params, rows) in grid)
        {
            foreach (var (resolution, macs, top1) in rows)
                yield return tfs.Row(model, macs, @params, top1, resolution == 224 ? null : Px(resolution));
        }

        // P-SN2 Table 8 quotes P-MN2 (truncated) and adds megvii's re-implementations ("our impl."), rounded to nearest.
        var sn2 = t4 with { Source = "P-SN2 Table 8", Note = "quoted from P-MN2" };
        yield return sn2.Row("mobilenetv2_100", 300, null, 72.0);
        yield return sn2.Row("mobilenetv2_140", 585, null, 74.7) with { MacsErratum = v2x14 };
        var ours = new Table("P-SN2 Table 8 (our impl.)", Note: "megvii's re-implementation");
        yield return ours.Row("mobilenetv2_100", 301, null, 71.7);
        yield return ours.Row("mobilenetv2_140", 587, null, 73.3) with
        {
            MacsErratum = "582,195,824: megvii's 1.4 re-implementation is not the released definition (its 1.0 one is: 300.77 → 301)",
        };
        var meg = t4 with { Source = "R-MEG ShuffleNetV2/README.md", Note = "quoted from P-MN2" };
        yield return meg.Row("mobilenetv2_140", 585, 6.9, 74.7) with { MacsErratum = v2x14, ParamsErratum = v2x14 };
        yield return meg.Row("mobilenetv2_100", 300, 3.4, 72.0);

        // P-MN3 Table 3 quotes TF-slim's grid (truncated: 59.29 → 59.2).
        var mn3 = t4 with { Source = "P-MN3 Table 3", Note = "quoted from TF-slim (R-TFS-MN)" };
        yield return mn3.Row("mobilenetv2_100", 300, 3.4, 72.0);
        yield return (mn3 with { MacsDecimals = 1 }).Row("mobilenetv2_035", 59.2, 1.6, 60.8);

        // torchvision's weights metadata: num_params exact, _ops ("GFLOPS", really G-MACs) to 3 decimals = nearest million.
        foreach (var (weights, top1) in new[] { ("IMAGENET1K_V1", 71.878), ("IMAGENET1K_V2", 72.154) })
            yield return new Table($"R-TV-V2 {weights}", ParamsDecimals: 6).Row("mobilenetv2_100", 301, 3.504872, top1);
    }

    private static IEnumerable<PublishedFigure> MobileNetV3Figures()
    {
        // The paper's models follow TF-slim's width rule (WidthRounding.Paper); at α = 0.75 and 1 it builds the zoo's default
        // network. MACs are rounded to nearest (216.59 → 217, 154.56 → 155), params without BN truncated (5.46 → 5.4).
        var paper = new ModelOptions { Rounding = WidthRounding.Paper };
        var t3 = new Table("P-MN3 Table 3", Params: ParamsConvention.NoBatchNorm, ParamsRounding: PublishedRounding.Truncate, Overrides: paper);
        // Google rounds params both ways: Large 1.0's 5.46 M (no BN) is truncated to 5.4, Large 0.75's 3.97 M rounded to 4.0.
        const string small075Macs = "43,399,344 rounds to 43; 44 is rounded up (PUBLISHED §5.1)";
        yield return t3.Row("mobilenetv3_large_100", 219, 5.4, 75.2) with
        {
            MacsErratum = "216,589,760 rounds to 217, as Table 9, TF-slim and torchvision print (PUBLISHED §8.20)",
        };
        yield return t3.Row("mobilenetv3_large_075", 155, 4.0, 73.3);
        yield return t3.Row("mobilenetv3_small_100", 56, 2.5, 67.4); // 56.51 truncated here, rounded to 57 in Table 9
        yield return t3.Row("mobilenetv3_small_075", 44, 2.0, 65.4) with { MacsErratum = small075Macs };

        var t9 = t3 with { Source = "P-MN3 Table 9" };
        yield return t9.Row("mobilenetv3_large_125", 356, 7.5, 76.6) with
        {
            ParamsErratum = "8,225,288 without BN: the 356 M (and Small 1.25's 91 M / 3.6 M) need the head scaled to 1600; "
                + "7.5 M is the count with the head kept at 1280 (7,520,968 without BN), whose MACs are 355.2 M",
        };
        yield return t9.Row("mobilenetv3_large_100", 217, 5.4, 75.2);
        yield return t9.Row("mobilenetv3_large_075", 155, 4.0, 73.3);
        yield return t9.Row("mobilenetv3_large_050", 69, 2.6, 68.8);
        yield return t9.Row("mobilenetv3_large_035", 40, 2.2, 64.2) with
        {
            MacsErratum = "39,472,336 by the paper's rule (43.9 M with timm's 16-channel stem, 38.4 M with a scaled head): 40 rounds neither",
            ParamsErratum = "2,122,872 without BN (2,131,832 with) under every rule that keeps the head: 2.2 is no rounding of it",
        };
        foreach (var (resolution, macs, top1) in new[] { (256, 282, 76.0), (192, 160, 73.7), (160, 112, 71.7), (128, 73, 68.4), (96, 43, 63.3) })
            yield return t9.Row("mobilenetv3_large_100", macs, 5.4, top1, Px(resolution));
        yield return t9.Row("mobilenetv3_small_125", 91, 3.6, 70.4);
        yield return t9.Row("mobilenetv3_small_100", 57, 2.5, 67.5);
        yield return t9.Row("mobilenetv3_small_075", 44, 2.0, 65.4) with { MacsErratum = small075Macs };
        yield return t9.Row("mobilenetv3_small_050", 21, 1.6, 58.0); // params 1.586 rounded
        yield return t9.Row("mobilenetv3_small_035", 12, 1.4, 49.8); // MACs 12.82 truncated, params 1.354 rounded
        yield return t9.Row("mobilenetv3_small_100", 74, 2.5, 68.5, Px(256)) with
        {
            MacsErratum = "73,175,040 rounds to 73 (PUBLISHED §6.1); 74 is rounded up",
        };
        foreach (var (resolution, macs, top1) in new[] { (160, 30, 62.8), (128, 20, 57.3), (96, 12, 51.7) })
            yield return t9.Row("mobilenetv3_small_100", macs, 2.5, top1, Px(resolution));

        // TF-slim's README and Keras's docs print the earlier paper revision's Small figures (66 M / 2.9 M, 44 M / 2.4 M).
        const string smallEarlier = "the earlier paper revision's Small figure: no TF-slim, torchvision or timm definition builds it "
            + "(56.51 M / 2.54 M, and 56.68 M / 2.71 M even with SE on the last conv; PUBLISHED §8.21)";
        foreach (var (source, large100) in new[] { ("R-TFS-MN", 75.2), ("R-KERAS MobileNetV3 docs", 75.6) })
        {
            var readme = t3 with { Source = source };
            yield return readme.Row("mobilenetv3_large_100", 217, 5.4, large100);
            yield return readme.Row("mobilenetv3_large_075", 155, 4.0, 73.3);
            yield return readme.Row("mobilenetv3_small_100", 66, 2.9, source == "R-TFS-MN" ? 67.5 : 68.1) with
            {
                MacsErratum = smallEarlier, ParamsErratum = smallEarlier,
            };
            yield return readme.Row("mobilenetv3_small_075", 44, 2.4, 65.4) with { MacsErratum = small075Macs, ParamsErratum = smallEarlier };
        }

        // megvii's README quotes Table 9's Large rows (top-1 = 100 − error).
        var meg = t9 with { Source = "R-MEG README.md", Note = "quoted from P-MN3" };
        yield return meg.Row("mobilenetv3_large_125", 356, 7.5, 76.6) with { ParamsErratum = "8,225,288 without BN: as P-MN3 Table 9" };
        yield return meg.Row("mobilenetv3_large_100", 217, 5.4, 75.2);
        yield return meg.Row("mobilenetv3_large_075", 155, 4.0, 73.3);

        // torchvision's weights metadata (torchvision's width rule; the same network as the paper's at α = 1).
        var tv = new ModelOptions { Rounding = WidthRounding.Torchvision };
        foreach (var (weights, top1) in new[] { ("IMAGENET1K_V1", 74.042), ("IMAGENET1K_V2", 75.274) })
            yield return new Table($"R-TV-V3 {weights}", ParamsDecimals: 6, Overrides: tv).Row("mobilenetv3_large_100", 217, 5.483032, top1);
        yield return new Table("R-TV-V3 IMAGENET1K_V1", ParamsDecimals: 6, Overrides: tv).Row("mobilenetv3_small_100", 57, 2.542856, 67.668);
    }
}
