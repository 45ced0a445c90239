using LightNets.Cost;
using LightNets.Graphs;
using LightNets.Models;
using LightNets.Models.MobileNetV1;
using LightNets.Models.MobileNetV2;
using LightNets.Models.MobileNetV3;
using LightNets.Models.ShuffleNetV1;
using LightNets.Models.ShuffleNetV2;
using LightNets.Tensors;
using V2Operator = LightNets.Models.MobileNetV2.Operator;
using V3Operator = LightNets.Models.MobileNetV3.Operator;
using V1Layer = LightNets.Models.ShuffleNetV1.Layer;
using V2Layer = LightNets.Models.ShuffleNetV2.Layer;

namespace LightNets.Tests.Models;

/// <summary>
/// The small-input variant of every family and the 1-channel input: each variant's data against its table, the
/// down-sampling it claims against the graph it builds, shape walks at 28 and 32 px read from the tables, what changes
/// (strides, the max-pool, the stem's input channels) and what does not (every other weight), the resolution floor, the
/// description and metadata, and that no published figure is matched to a network no paper published.
/// </summary>
public class SmallInputTests
{
    /// <summary>One configuration of every family and table (both MobileNetV3 tables, ShuffleNetV1 at several g).</summary>
    private static readonly string[] ModelNames =
    [
        "mobilenetv1_100", "mobilenetv1_025", "shufflenetv1_g1_100", "shufflenetv1_g3_050", "shufflenetv1_g8_100", "mobilenetv2_100",
        "mobilenetv2_035", "shufflenetv2_050", "shufflenetv2_200", "mobilenetv3_large_100", "mobilenetv3_small_075",
    ];

    public static TheoryData<string> Models() => new(ModelNames);

    /// <summary>Each table's small-input data, with the table's strides (a null stride reads as 1) and max-pool rows.</summary>
    public static TheoryData<string> Tables() => new(TableData.Keys);

    private static readonly Dictionary<string, (SmallInputVariant Variant, int[] Strides, int[] MaxPools)> TableData = new()
    {
        ["MobileNetV1"] = (MobileNetV1Table.SmallInput, MobileNetV1Table.Rows.Select(r => r.Stride).ToArray(), []),
        ["ShuffleNetV1"] = (ShuffleNetV1Table.SmallInput, ShuffleNetV1Table.Rows.Select(r => r.Stride ?? 1).ToArray(),
            Indices(ShuffleNetV1Table.Rows, r => r.Layer == V1Layer.MaxPool)),
        ["MobileNetV2"] = (MobileNetV2Table.SmallInput, MobileNetV2Table.Rows.Select(r => r.S).ToArray(), []),
        ["ShuffleNetV2"] = (ShuffleNetV2Table.SmallInput, ShuffleNetV2Table.Rows.Select(r => r.Stride ?? 1).ToArray(),
            Indices(ShuffleNetV2Table.Rows, r => r.Layer == V2Layer.MaxPool)),
        ["MobileNetV3-Large"] = (MobileNetV3Table.SmallInputLarge, MobileNetV3Table.Large.Select(r => r.S).ToArray(), []),
        ["MobileNetV3-Small"] = (MobileNetV3Table.SmallInputSmall, MobileNetV3Table.Small.Select(r => r.S).ToArray(), []),
    };

    private static int[] Indices<T>(T[] rows, Func<T, bool> which) => Enumerable.Range(0, rows.Length).Where(i => which(rows[i])).ToArray();

    /// <summary>
    /// The variant names rows that down-sample (a stride-1 row "made stride 1" would change nothing), removes only
    /// max-pools, and takes away exactly the factor between the two floors: the first two 2× down-samplings, 32× → 8×.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tables))]
    public void Each_variant_removes_two_down_samplings_of_its_table(string table)
    {
        var (variant, strides, maxPools) = TableData[table];
        Assert.NotEmpty(variant.StrideOne.Concat(variant.Removed));
        Assert.All(variant.StrideOne.Concat(variant.Removed), i => Assert.Equal((table, i, 2), (table, i, strides[i])));
        Assert.All(variant.Removed, i => Assert.Contains(i, maxPools));
        Assert.Empty(variant.StrideOne.Intersect(variant.Removed));
        var removed = variant.StrideOne.Concat(variant.Removed).Aggregate(1, (p, i) => p * strides[i]);
        Assert.Equal(ModelConfig.MinResolution / ModelConfig.SmallInputMinResolution, removed);
        // The first two down-samplings of the table: no stride-2 row comes before a removed one.
        var last = variant.StrideOne.Concat(variant.Removed).Max();
        Assert.All(Enumerable.Range(0, last), i => Assert.True(strides[i] == 1 || variant.StrideOne.Contains(i) || variant.Removed.Contains(i),
            $"{table}: row {i} down-samples before the variant's row {last}"));
    }

    /// <summary>The factor each configuration claims (and validates the resolution with) is what its graph does.</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void DownSampling_is_what_the_graph_does(string model)
    {
        foreach (var small in new[] { false, true })
        {
            var config = Config(model, new ModelOptions { SmallInput = small });
            Assert.Equal(small ? ModelConfig.SmallInputMinResolution : ModelConfig.MinResolution, config.DownSampling);
            foreach (var r in new[] { 224, 256 })
                Assert.Equal((small, r / config.DownSampling), (small, LastMap(ModelZoo.Build(model, new ModelOptions { SmallInput = small, Resolution = r }))));
        }
    }

    /// <summary>
    /// The small-input variant has the ImageNet network's layers and weights; only the listed strides and the max-pool
    /// differ. 1 channel changes the stem's weight only.
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void Only_strides_the_max_pool_and_the_stem_channels_change(string model)
    {
        var imagenet = ModelZoo.Build(model, new ModelOptions { Resolution = 224 });
        var small = ModelZoo.Build(model, new ModelOptions { SmallInput = true, Resolution = 224 });
        var gray = ModelZoo.Build(model, new ModelOptions { SmallInput = true, InputChannels = 1, Resolution = 224 });
        Assert.Equal(Weights(imagenet), Weights(small));
        Assert.Equal(CostReport.Analyze(imagenet).Params, CostReport.Analyze(small).Params);

        // The same nodes but the max-pool, and a residual add wherever a block now at stride 1 has equal widths.
        static string[] Layers(Graph g) => g.Nodes.Where(n => n.Op is not (MaxPoolOp or AddOp)).Select(n => n.Name).ToArray();
        Assert.Equal(Layers(imagenet), Layers(small));
        var maxPools = imagenet.Nodes.Count(n => n.Op is MaxPoolOp);
        Assert.DoesNotContain(small.Nodes, n => n.Op is MaxPoolOp);
        Assert.Subset(small.Nodes.Where(n => n.Op is AddOp).Select(n => n.Name).ToHashSet(), imagenet.Nodes.Where(n => n.Op is AddOp).Select(n => n.Name).ToHashSet());
        var strided = imagenet.Nodes.Where(n => n.Op is Conv2dOp { StrideH: 2 }).Select(n => n.Name).ToHashSet();
        var stillStrided = small.Nodes.Where(n => n.Op is Conv2dOp { StrideH: 2 }).Select(n => n.Name).ToHashSet();
        Assert.Subset(strided, stillStrided);
        Assert.Equal(maxPools > 0 ? 1 : 2, strided.Count - stillStrided.Count); // the max-pool and the stem, or two convolutions

        Assert.Equal(new Shape(1, 1, 224, 224), gray.Input.Shape);
        var stem = gray.Nodes.First(n => n.Op is Conv2dOp);
        var stemWeight = gray.ShapeOf(stem.Inputs[1]);
        Assert.Equal(1, stemWeight[1]);
        var differing = Weights(small).Zip(Weights(gray)).Where(p => p.First != p.Second).ToArray();
        Assert.Equal(stem.Inputs[1], Assert.Single(differing).First.Split(' ')[0]);
        Assert.Equal(2L * stemWeight.ElementCount, CostReport.Analyze(small).Params - CostReport.Analyze(gray).Params);
    }

    public static TheoryData<string, int> WalkCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var model in ModelNames)
            foreach (var r in new[] { 28, 32, 33, 40 })
                data.Add(model, r);
        return data;
    }

    /// <summary>
    /// Every row of the family's table, at <paramref name="r"/> px: its declared size at 224 scaled as the variant
    /// down-samples (each 2× a k×k/2 "same" layer makes is ⌈n/2⌉), against the graph. 28 px ends on 4×4 like 32.
    /// </summary>
    [Theory]
    [MemberData(nameof(WalkCases))]
    public void Shape_walk_follows_the_table(string model, int r)
    {
        var config = Config(model, new ModelOptions { SmallInput = true });
        var report = CostReport.Analyze(ModelZoo.Build(model, new ModelOptions { SmallInput = true, InputChannels = 1, Resolution = r }));
        var g = report.Graph;
        Assert.Equal(new Shape(1, 1, r, r), g.Input.Shape);
        Assert.Equal((r + 7) / 8, LastMap(g));
        var checkedRows = 0;
        foreach (var (block, declared, row, input) in Rows(config))
        {
            var (variant, strides, _) = TableData[Table(config)];
            // Down-sampling the variant removed before this row (through it, for a declared output size).
            var removed = variant.StrideOne.Concat(variant.Removed).Where(i => input ? i < row : i <= row).Aggregate(1, (p, i) => p * strides[i]);
            var expected = declared == 1 ? 1 : (r * declared * removed + 223) / 224;
            var b = report.Blocks.First(x => x.Name == block);
            Assert.Equal((block, expected), (block, (input ? b.Input : b.Output).H));
            checkedRows++;
        }
        Assert.True(checkedRows >= 5, $"only {checkedRows} rows walked");
    }

    /// <summary>(block, declared size at 224, table row, whether the size is the block's input or its output).</summary>
    private static IEnumerable<(string Block, int Size, int Row, bool Input)> Rows(ModelConfig config)
    {
        switch (config)
        {
            case MobileNetV1Config:
            {
                var rows = MobileNetV1Table.Rows;
                var layer = 0;
                for (var i = 0; i < rows.Length; i++)
                {
                    if (rows[i].Type == LayerType.Conv && i == 0) yield return ("stem", rows[i].InputSize.Size, i, true);
                    if (rows[i].Type != LayerType.ConvDw) continue;
                    yield return ($"layer{layer + 1}", rows[i].InputSize.Size, i, true);
                    layer += rows[i].Repeat;
                }
                break;
            }
            case MobileNetV2Config:
            {
                var index = 0;
                var rows = MobileNetV2Table.Rows;
                for (var i = 0; i < rows.Length; i++)
                {
                    if (rows[i].Operator is not (V2Operator.Conv2d or V2Operator.Bottleneck or V2Operator.Conv2d1x1)) continue;
                    yield return ($"features.{index}", rows[i].Input.Size, i, true);
                    index += rows[i].N;
                }
                break;
            }
            case MobileNetV3Config v3:
            {
                var rows = MobileNetV3Table.For(v3.Variant);
                for (var i = 0; i < rows.Length; i++)
                {
                    if (rows[i].Operator is V3Operator.Conv2d or V3Operator.Bneck) yield return ($"features.{i}", rows[i].Input.Size, i, true);
                }
                break;
            }
            case ShuffleNetV1Config:
            {
                var rows = ShuffleNetV1Table.Rows;
                // The stem block's output is Conv1's: the variant has no max-pool.
                var conv1 = Array.FindIndex(rows, r => r.Layer == V1Layer.Conv1);
                yield return ("stem", rows[conv1].OutputSize, conv1, false);
                var unit = 0;
                for (var i = 0; i < rows.Length; i++)
                {
                    if (rows[i].Layer is not (V1Layer.Stage2 or V1Layer.Stage3 or V1Layer.Stage4)) continue;
                    if (rows[i].Stride == 2) unit = 0;
                    for (var k = 0; k < rows[i].Repeat; k++)
                        yield return ($"{rows[i].Layer.ToString().ToLowerInvariant()}.{unit++}", rows[i].OutputSize, i, false);
                }
                break;
            }
            case ShuffleNetV2Config:
            {
                var rows = ShuffleNetV2Table.Rows;
                // The stem block's output is Conv1's: the variant has no max-pool.
                var conv1 = Array.FindIndex(rows, r => r.Layer == V2Layer.Conv1);
                yield return ("stem", rows[conv1].OutputSize, conv1, false);
                var unit = 0;
                for (var i = 0; i < rows.Length; i++)
                {
                    if (rows[i].Layer is not (V2Layer.Stage2 or V2Layer.Stage3 or V2Layer.Stage4)) continue;
                    if (rows[i].Stride == 2) unit = 0;
                    for (var k = 0; k < rows[i].Repeat; k++)
                        yield return ($"{rows[i].Layer.ToString().ToLowerInvariant()}.{unit++}", rows[i].OutputSize, i, false);
                }
                var conv5 = Array.FindIndex(rows, r => r.Layer == V2Layer.Conv5);
                yield return ("conv5", rows[conv5].OutputSize, conv5, false);
                break;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_resolution_floor_follows_the_down_sampling(string model)
    {
        var e = Assert.Throws<ModelConfigurationException>(() => ModelZoo.Build(model, new ModelOptions { Resolution = 28 }));
        Assert.Contains("down-samples by 32", e.Message);
        Assert.Contains("--small-input", e.Message);
        Assert.Throws<ModelConfigurationException>(() => ModelZoo.Build(model, new ModelOptions { Resolution = 31 }));
        Assert.Equal(1, LastMap(ModelZoo.Build(model, new ModelOptions { Resolution = 32 })));

        Assert.Equal(1, LastMap(ModelZoo.Build(model, new ModelOptions { SmallInput = true, Resolution = 8 })));
        Assert.Equal(4, LastMap(ModelZoo.Build(model, new ModelOptions { SmallInput = true, Resolution = 28 })));
        e = Assert.Throws<ModelConfigurationException>(() => ModelZoo.Build(model, new ModelOptions { SmallInput = true, Resolution = 7 }));
        Assert.Contains("between 8 and 4096", e.Message);
        Assert.DoesNotContain("--small-input", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void Input_channels_other_than_1_or_3_are_refused(int channels)
    {
        foreach (var model in ModelNames)
        {
            var e = Assert.Throws<ModelConfigurationException>(() => ModelZoo.Build(model, new ModelOptions { InputChannels = channels }));
            Assert.Contains("1 (grayscale) or 3 (RGB)", e.Message);
            Assert.Contains(channels.ToString(), e.Message);
        }
    }

    [Fact]
    public void Metadata_and_description_name_the_variant()
    {
        var g = ModelZoo.Build("shufflenetv2_050", ModelZoo.FashionMnist);
        Assert.Equal("conv1 at stride 1 and no max-pool (down-samples 8×)", g.Metadata["small-input"]);
        Assert.Equal("stem and features.2 at stride 1 (down-samples 8×)", ModelZoo.Build("mobilenetv2_035", ModelZoo.FashionMnist).Metadata["small-input"]);
        Assert.DoesNotContain("small-input", ModelZoo.Build("shufflenetv2_050").Metadata.Keys);
        Assert.DoesNotContain("small-input", ModelZoo.Build("shufflenetv2_050", new ModelOptions { SmallInput = false }).Metadata.Keys);

        Assert.Equal("0.5×, 32px, small input, 1 channel, 10 classes", new ModelOptions { Width = 0.5 }.Merge(ModelZoo.FashionMnist).Describe(ModelFamily.ShuffleNetV2));
        Assert.Equal("", new ModelOptions { InputChannels = 3, SmallInput = false }.Describe(ModelFamily.MobileNetV2));
    }

    /// <summary><c>models</c> lists each family's small-input candidate at Fashion-MNIST's shape, and each is the widest within 1 M params.</summary>
    [Fact]
    public void The_zoo_lists_each_familys_widest_small_input_variant_within_a_million_params()
    {
        var listed = ModelZoo.Configurations.Where(c => c.Overrides.SmallInput == true).ToArray();
        Assert.Equal(ModelZoo.SmallInputCandidates.Order(), listed.Select(c => c.Entry.Name).Order());
        Assert.Equal(6, listed.Select(c => (c.Entry.Family, c.Entry.Defaults.Variant)).Distinct().Count());
        foreach (var c in listed)
        {
            Assert.Equal(ModelZoo.FashionMnist, c.Overrides);
            Assert.True(Params(c.Entry) <= 1_000_000, $"{c.Entry.Name}: {Params(c.Entry):N0} params");
            // The next wider entry of the same family, table and (ShuffleNetV1) groups exceeds the budget.
            var wider = ModelZoo.Entries
                .Where(e => e.Family == c.Entry.Family && e.Defaults.Variant == c.Entry.Defaults.Variant && e.Defaults.Groups == c.Entry.Defaults.Groups)
                .Where(e => e.Defaults.Width > c.Entry.Defaults.Width).MinBy(e => e.Defaults.Width);
            if (wider is not null) Assert.True(Params(wider) > 1_000_000, $"{wider.Name} also fits: {Params(wider):N0} params");
        }

        static long Params(ZooEntry e) => CostReport.Analyze(ModelZoo.Build(e.Name, ModelZoo.FashionMnist)).Params;
    }

    /// <summary>A published figure describes the ImageNet network with 3 channels; the variants are no published network.</summary>
    [Theory]
    [InlineData("mobilenetv2_100")]
    [InlineData("shufflenetv2_050")]
    [InlineData("mobilenetv1_100")]
    [InlineData("mobilenetv3_small_100")]
    [InlineData("shufflenetv1_g3_100")]
    public void Published_figures_do_not_describe_the_variants(string model)
    {
        Assert.NotEmpty(Published.For(model));
        Assert.Equal(Published.For(model), Published.For(model, new ModelOptions { InputChannels = 3, SmallInput = false }));
        Assert.Empty(Published.For(model, new ModelOptions { SmallInput = true }));
        Assert.Empty(Published.For(model, new ModelOptions { InputChannels = 1 }));
    }

    /// <summary>The configuration ModelZoo builds for <paramref name="model"/>, to read its table data and DownSampling.</summary>
    private static ModelConfig Config(string model, ModelOptions overrides)
    {
        var entry = ModelZoo.Find(model);
        var o = ModelZoo.Effective(entry.Family, entry.Defaults.Merge(overrides));
        return entry.Family switch
        {
            ModelFamily.MobileNetV1 => new MobileNetV1Config { SmallInput = o.SmallInput!.Value },
            ModelFamily.MobileNetV2 => new MobileNetV2Config { SmallInput = o.SmallInput!.Value },
            ModelFamily.MobileNetV3 => new MobileNetV3Config { Variant = o.Variant!.Value, SmallInput = o.SmallInput!.Value },
            ModelFamily.ShuffleNetV1 => new ShuffleNetV1Config { Groups = o.Groups!.Value, SmallInput = o.SmallInput!.Value },
            ModelFamily.ShuffleNetV2 => new ShuffleNetV2Config { SmallInput = o.SmallInput!.Value },
            _ => throw new ArgumentOutOfRangeException(nameof(model)),
        };
    }

    private static string Table(ModelConfig config) => config switch
    {
        MobileNetV3Config v3 => $"MobileNetV3-{v3.Variant}",
        _ => config.GetType().Name.Replace("Config", "", StringComparison.Ordinal),
    };

    /// <summary>The size of the map the classifier's global pool reads.</summary>
    private static int LastMap(Graph g) => g.ShapeOf(g.Nodes.Single(n => n.Block == "classifier" && n.Op is GlobalAveragePoolOp).Inputs[0]).H;

    /// <summary>Every initializer as "name shape", in order.</summary>
    private static string[] Weights(Graph g) =>
        g.Initializers.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value.Shape}").ToArray();
}
