using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Quantization;

/// <summary>How much one quantized activation differs from its float value, with the error of every layer before it included.</summary>
/// <param name="Value">The float graph's value (the output of <paramref name="Layer"/>).</param>
/// <param name="Layer">The node that computes it ("input" for the graph input).</param>
/// <param name="Operator">What the layer is ("conv 3×3 s2", "add", ...).</param>
/// <param name="Grid">Its uint8 grid.</param>
/// <param name="SqnrDb">Signal-to-quantization-noise ratio, 10·log10(Σx² / Σ(x − x̂)²), in dB (∞ when equal).</param>
/// <param name="ClippedShare">Share of the float values outside the grid's range (clipped by the calibration).</param>
public sealed record LayerQuantizationError(string Value, string Layer, string Operator, QuantParams Grid, double SqnrDb, double ClippedShare);

/// <summary>
/// The per-layer signal-to-quantization-noise ratio of a quantized model against its float model, and how often the
/// two agree on the top-1 class, measured on the same images: which layer hurts shows as the first big drop.
/// </summary>
public sealed record QuantizationReport(IReadOnlyList<LayerQuantizationError> Layers, double OutputSqnrDb, double Top1Agreement, int Images)
{
    /// <summary>Runs both models on <paramref name="batches"/> with every quantized activation probed.</summary>
    public static QuantizationReport Measure(Graph floatModel, Graph quantized, IReadOnlyList<Tensor> batches, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(floatModel);
        ArgumentNullException.ThrowIfNull(quantized);
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 0) throw new QuantizationException("the report needs at least one image");
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        // Each quantizer of the quantized graph reads the value of the same name in the float graph.
        var quantizers = quantized.Nodes.Where(n => n.Op is FakeQuantizeOp && IsValue(floatModel, n.Inputs[0])).ToArray();
        var values = quantizers.Select(q => q.Inputs[0]).ToArray();
        var output = floatModel.Output;
        using var reference = new GraphProbe(floatModel, values, threads);
        using var probe = new GraphProbe(quantized, quantizers.Select(q => q.Output).ToArray(), threads);
        var signal = new double[values.Length + 1];
        var noise = new double[values.Length + 1];
        var clipped = new long[values.Length];
        long agree = 0, images = 0;
        foreach (var batch in batches)
        {
            var f = reference.Run(batch);
            var q = probe.Run(batch);
            for (var i = 0; i < values.Length; i++)
            {
                var grid = ((FakeQuantizeOp)quantizers[i].Op).Params;
                var (lo, hi) = (grid.Dequantize(grid.QMin), grid.Dequantize(grid.QMax));
                Accumulate(f[values[i]].Data, q[quantizers[i].Output].Data, ref signal[i], ref noise[i]);
                foreach (var x in f[values[i]].Data)
                    if (x < lo || x > hi) clipped[i]++;
            }
            var (fo, qo) = (f[output], q[quantized.Output]);
            Accumulate(fo.Data, qo.Data, ref signal[^1], ref noise[^1]);
            var n = fo.Shape[0];
            var classes = (int)(fo.Length / n);
            for (var b = 0; b < n; b++)
                if (ArgMax(fo.Data.AsSpan(b * classes, classes)) == ArgMax(qo.Data.AsSpan(b * classes, classes))) agree++;
            images += n;
        }
        var layers = new List<LayerQuantizationError>();
        for (var i = 0; i < values.Length; i++)
        {
            var producer = floatModel.Producer(values[i]);
            var count = floatModel.ShapeOf(values[i]).ElementCount / floatModel.ShapeOf(values[i])[0] * images;
            layers.Add(new LayerQuantizationError(values[i], producer?.Name ?? "input", producer is null ? "input" : Cost.LayerTable.Describe(floatModel, producer),
                ((FakeQuantizeOp)quantizers[i].Op).Params, Sqnr(signal[i], noise[i]), (double)clipped[i] / count));
        }
        return new QuantizationReport(layers, Sqnr(signal[^1], noise[^1]), (double)agree / images, (int)images);
    }

    private static bool IsValue(Graph graph, string name) => graph.Producer(name) is not null || graph.Inputs.Any(i => i.Name == name);

    private static void Accumulate(float[] x, float[] y, ref double signal, ref double noise)
    {
        for (var i = 0; i < x.Length; i++)
        {
            double d = x[i] - y[i];
            signal += (double)x[i] * x[i];
            noise += d * d;
        }
    }

    private static double Sqnr(double signal, double noise) => noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++)
            if (v[i] > v[best]) best = i;
        return best;
    }
}
