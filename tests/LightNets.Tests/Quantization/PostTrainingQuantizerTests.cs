using LightNets.Graphs;
using LightNets.Models;
using LightNets.Quantization;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Tests.Quantization;

/// <summary>Post-training quantization of zoo models: where the quantizers go, the weight and bias grids, the report.</summary>
public sealed class PostTrainingQuantizerTests
{
    private static List<Tensor> Images(Graph g, int batches, int n, ulong seed) =>
        [.. Enumerable.Range(0, batches).Select(b => new Rng(seed + (ulong)b).NormalTensor([n, .. g.Input.Shape.ToArray().AsSpan(1)]))];

    public static TheoryData<string, CalibrationMethod> Models() => new()
    {
        { "mobilenetv2_035", CalibrationMethod.MinMax },
        { "shufflenetv2_050", CalibrationMethod.Percentile },
        { "mobilenetv3_small_075", CalibrationMethod.Entropy },
        { "shufflenetv1_g3_050", CalibrationMethod.MinMax },
        { "mobilenetv1_025", CalibrationMethod.Entropy },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void A_zoo_model_quantizes_onto_its_grids_and_stays_close_to_float(string name, CalibrationMethod method)
    {
        var model = ModelZoo.Build(name, new ModelOptions { Resolution = 64, Init = new WeightInit(Seed: 7, RandomizeStatistics: true) });
        var quantizer = new PostTrainingQuantizer(model, new QuantizeOptions { Method = method });
        quantizer.Calibrate(Images(model, 2, 8, 1), threads: 2);
        var q = quantizer.Build();

        // The input and every computed activation but the logits have a quantizer; no BatchNorm is left.
        Assert.DoesNotContain(q.Nodes, n => n.Op is BatchNormOp);
        Assert.Equal(q.Input.Name, Assert.Single(q.Nodes, n => n.Op is FakeQuantizeOp && n.Inputs[0] == q.Input.Name).Inputs[0]);
        Assert.DoesNotContain(q.Nodes, n => n.Op is FakeQuantizeOp && q.Outputs.Contains(n.Inputs[0]));
        foreach (var node in q.Nodes.Where(n => n.Op is Conv2dOp or GemmOp))
        {
            var grid = node.Op is Conv2dOp c ? c.WeightQuant : ((GemmOp)node.Op).WeightQuant;
            Assert.NotNull(grid);
            Assert.True(grid.IsSymmetric && grid.Type == QuantType.Int8 && grid.Axis == 0);
            var w = q.Initializers[node.Inputs[1]];
            Assert.Equal(w.Data, grid.FakeQuantize(w).Data);
            Assert.Contains(w.Data, v => MathF.Abs(v) > 0);
            if (node.Inputs.Count < 3) continue;
            // The bias is a whole number of steps of input scale × weight scale (ONNX's int32 bias).
            var input = q.Producer(node.Inputs[0]);
            while (input is { Op: FlattenOp or ChannelShuffleOp or SliceOp or SplitOp }) input = q.Producer(input.Inputs[0]);
            var sx = Assert.IsType<FakeQuantizeOp>(input!.Op).Params.Scale[0];
            var b = q.Initializers[node.Inputs[2]].Data;
            for (var i = 0; i < b.Length; i++)
            {
                var steps = b[i] / (sx * grid.Scale[i]);
                Assert.True(Math.Abs(steps - Math.Round(steps)) < 1e-3 * Math.Max(1, Math.Abs(steps)), $"{node.Name} bias {i}: {steps} steps");
            }
        }

        // Float execution of the QDQ graph agrees with the reference interpreter's.
        var x = Images(model, 1, 2, 99)[0];
        using var session = new InferenceSession(q.WithBatch(2), new SessionOptions { Threads = 1 });
        var fast = session.Run(x);
        var reference = ReferenceInterpreter.Run(q.WithBatch(2), x);
        var scale = reference.Data.Max(MathF.Abs);
        Assert.True(fast.Data.Zip(reference.Data).Max(p => MathF.Abs(p.First - p.Second)) <= 0.05f * scale);

        var report = QuantizationReport.Measure(quantizer.Float, q, Images(model, 2, 8, 50), threads: 2);
        Assert.Equal(quantizer.Points.Count, report.Layers.Count);
        Assert.Equal(16, report.Images);
        // Random-weight models: the input alone quantizes to ~40 dB; the whole network should stay well above noise.
        Assert.InRange(report.Layers[0].SqnrDb, 30, 60);
        Assert.True(report.OutputSqnrDb > 8, $"output SQNR {report.OutputSqnrDb:0.0} dB");
        Assert.InRange(report.Top1Agreement, 0, 1);
    }

    /// <summary>
    /// The activation grid covers both calibrated ends whatever the zero point's rounding (the stem h-swish of the
    /// shipped model, −0.375 … 20.88, lost its minimum with a zero point rounded down), at a scale within half a step
    /// of (hi − lo)/255.
    /// </summary>
    [Fact]
    public void An_activation_grid_covers_its_calibrated_range()
    {
        var rng = new Random(5);
        var cases = new List<(float Lo, float Hi)> { (-0.375f, 20.88f), (0, 6), (-3, 0), (-1e-3f, 100), (-100, 1e-3f), (-1, 1) };
        for (var i = 0; i < 2000; i++) cases.Add((-(float)(rng.NextDouble() * Math.Pow(10, rng.Next(-3, 3))), (float)(rng.NextDouble() * Math.Pow(10, rng.Next(-3, 3)))));
        foreach (var (lo, hi) in cases)
        {
            var naive = (hi - lo) / 255f;
            var grid = PostTrainingQuantizer.UInt8Grid(lo, hi);
            var (scale, zero) = (grid.Scale[0], grid.ZeroPoint[0]);
            Assert.True(-zero * (double)scale <= lo * (1 - 1e-6) + 1e-12 && (255 - zero) * (double)scale >= hi * (1 - 1e-6), $"[{lo}, {hi}]: zero {zero}, scale {scale}");
            Assert.True(scale <= naive * (1 + 0.5 / Math.Max(1, Math.Min(zero, 255 - zero))) * 1.000001, $"[{lo}, {hi}]: scale {scale} against {naive}");
        }
    }

    [Fact]
    public void Concatenated_branches_share_the_concatenations_grid()
    {
        var model = ModelZoo.Build("shufflenetv2_050", new ModelOptions { Resolution = 64, Init = new WeightInit(Seed: 3, RandomizeStatistics: true) });
        var quantizer = new PostTrainingQuantizer(model);
        quantizer.Calibrate(Images(model, 1, 4, 5));
        var q = quantizer.Build();
        var grids = q.Nodes.Where(n => n.Op is FakeQuantizeOp).ToDictionary(n => n.Output, n => ((FakeQuantizeOp)n.Op).Params);
        var concats = q.Nodes.Where(n => n.Op is ConcatOp).ToArray();
        Assert.NotEmpty(concats);
        foreach (var concat in concats)
        {
            var own = grids[q.Consumers(concat.Output).Single(n => n.Op is FakeQuantizeOp).Output];
            // The branch computed for the concatenation (its last input) is written on the concatenation's grid.
            Assert.Equal(own, grids[concat.Inputs[^1]]);
        }
    }

    [Fact]
    public void Weights_per_tensor_and_seven_bit_keep_their_ranges()
    {
        var model = ModelZoo.Build("mobilenetv2_035", new ModelOptions { Resolution = 32 });
        var quantizer = new PostTrainingQuantizer(model, new QuantizeOptions { PerChannel = false, ReduceRange = true });
        quantizer.Calibrate(Images(model, 1, 2, 1));
        foreach (var node in quantizer.Build() is var q ? q.Nodes.Where(n => n.Op is Conv2dOp) : [])
        {
            var grid = ((Conv2dOp)node.Op).WeightQuant!;
            Assert.True(grid.IsPerTensor);
            Assert.All(q.Initializers[node.Inputs[1]].Data, w => Assert.InRange(grid.Quantize(w), -63, 63));
        }
    }

    [Fact]
    public void A_quantized_model_or_bad_settings_are_refused()
    {
        var model = ModelZoo.Build("mobilenetv2_035", new ModelOptions { Resolution = 32 });
        var quantizer = new PostTrainingQuantizer(model);
        quantizer.Calibrate(Images(model, 1, 2, 1));
        Assert.Throws<QuantizationException>(() => new PostTrainingQuantizer(quantizer.Build()));
        Assert.Throws<QuantizationException>(() => new PostTrainingQuantizer(model, new QuantizeOptions { Percentile = 40 }));
        Assert.Throws<QuantizationException>(() => new PostTrainingQuantizer(model).Calibrate([]));
        Assert.Throws<QuantizationException>(() => new PostTrainingQuantizer(model).Calibrate([new Rng(1).NormalTensor(1, 3, 16, 16)]));
        var nan = new Rng(1).NormalTensor(1, 3, 32, 32);
        Array.Fill(nan.Data, float.NaN);
        Assert.Throws<QuantizationException>(() => new PostTrainingQuantizer(model).Calibrate([nan]));
    }

    [Fact]
    public void Percentile_and_entropy_clip_a_rare_outlier_that_minmax_keeps()
    {
        var stats = new ActivationStatistics("x");
        var values = new float[100_000];
        var rng = new Rng(4);
        for (var i = 0; i < values.Length; i++) values[i] = MathF.Abs((float)rng.NextNormal());
        values[17] = 1000f;
        stats.Observe(values);
        stats.Histogram(values, 2048);
        Assert.Equal((0f, 1000f), stats.Range(new QuantizeOptions { Method = CalibrationMethod.MinMax }));
        var (_, percentile) = stats.Range(new QuantizeOptions { Method = CalibrationMethod.Percentile, Percentile = 99.99 });
        var (_, entropy) = stats.Range(new QuantizeOptions { Method = CalibrationMethod.Entropy });
        Assert.InRange(percentile, 3f, 10f);
        // 2048 bins over [0, 1000] are 0.49 wide and the entropy search keeps at least 128 of them: it clips to about 63.
        Assert.InRange(entropy, 60f, 100f);
    }
}
