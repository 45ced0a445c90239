using LightNets.Graphs;
using LightNets.Graphs.Passes;
using LightNets.Tensors;

namespace LightNets.Quantization;

/// <summary>
/// Post-training static quantization: BatchNorm folded into the convolutions first; activations calibrated on sample
/// inputs and quantized per tensor as uint8 with a zero point (the range always holds 0 exactly); weights symmetric
/// int8, per output channel unless asked otherwise; each bias put on the int32 grid of input scale × weight scale
/// that the integer kernels (and ONNX Runtime's) add it on. The result is a float graph with
/// <see cref="FakeQuantizeOp"/> nodes and <see cref="Conv2dOp.WeightQuant"/>: exactly what a QDQ ONNX file says.
/// </summary>
public sealed class PostTrainingQuantizer
{
    private readonly QuantizeOptions _options;
    private readonly Dictionary<string, ActivationStatistics> _stats;

    /// <exception cref="QuantizationException">The model is already quantized or has no single image input.</exception>
    public PostTrainingQuantizer(Graph model, QuantizeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new QuantizeOptions();
        _options.Validate();
        if (model.Nodes.Any(n => n.Op is FakeQuantizeOp || n.Op is Conv2dOp { WeightQuant: not null } || n.Op is GemmOp { WeightQuant: not null }))
            throw new QuantizationException($"'{model.Name}' is already quantized (it has QuantizeLinear/DequantizeLinear nodes); give the float model");
        if (model.Inputs.Count != 1) throw new QuantizationException($"calibration feeds one input; '{model.Name}' has {model.Inputs.Count}");
        Float = FoldBatchNorm.Apply(EliminateIdentity.Apply(model));
        Points = QuantizationPoints.Find(Float);
        _stats = Points.ToDictionary(p => p, p => new ActivationStatistics(p), StringComparer.Ordinal);
    }

    /// <summary>The float model with BatchNorm folded: what the quantized model approximates.</summary>
    public Graph Float { get; }

    /// <summary>The values that get an activation quantizer, in graph order (the input first).</summary>
    public IReadOnlyList<string> Points { get; }

    public IReadOnlyDictionary<string, ActivationStatistics> Statistics => _stats;

    /// <summary>Whether the method needs the second pass (histograms) over the same batches.</summary>
    public bool NeedsHistograms => _options.Method != CalibrationMethod.MinMax;

    /// <summary>
    /// Runs the float model on <paramref name="batches"/> (N×C×H×W, prepared as the model's users prepare its input),
    /// first for the extremes of every activation, then, for the percentile and entropy methods, again for histograms.
    /// </summary>
    /// <exception cref="QuantizationException">No batch, a batch that does not fit the input, or an activation that only ever held NaN or ∞.</exception>
    public void Calibrate(IReadOnlyList<Tensor> batches, int threads = 0, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 0) throw new QuantizationException("calibration needs at least one image");
        var passes = NeedsHistograms ? 2 : 1;
        using var probe = new GraphProbe(Float, Points, threads > 0 ? threads : Environment.ProcessorCount);
        for (var pass = 0; pass < passes; pass++)
        {
            for (var b = 0; b < batches.Count; b++)
            {
                var values = probe.Run(batches[b]);
                foreach (var (name, stats) in _stats)
                {
                    var data = values[name].Data;
                    if (pass == 0) stats.Observe(data);
                    else stats.Histogram(data, _options.Bins);
                }
                progress?.Invoke(pass * batches.Count + b + 1, passes * batches.Count);
            }
        }
        if (_stats.Values.FirstOrDefault(s => s.Count == 0) is { } empty)
            throw new QuantizationException($"calibration saw no finite value of '{empty.Value}': the model gives NaN or ∞ there on these images");
    }

    /// <summary>The uint8 grid of a calibrated activation.</summary>
    public QuantParams ActivationParams(string value)
    {
        var (lo, hi) = _stats[value].Range(_options);
        return UInt8Grid(lo, hi);
    }

    /// <summary>The uint8 grid for values in [lo, hi] (lo ≤ 0 ≤ hi): both ends on the grid, the scale as fine as that allows.</summary>
    internal static QuantParams UInt8Grid(float lo, float hi)
    {
        var scale = (hi - lo) / 255f;
        // A constant activation (a dead channel's whole layer) still needs a valid scale; its values all map to the zero point.
        if (!(scale >= 1e-30f) || !float.IsNormal(scale)) return QuantParams.PerTensor(1f, Math.Clamp((int)MathF.Round(-lo), 0, 255), QuantType.UInt8);
        // The zero point must be a whole code, and rounding −lo/scale to the nearest one moves the grid by up to half a
        // step, clipping one end of the calibrated range (an h-swish's minimum −0.375, often its most common negative
        // value, fell below the grid with zero point 4.5 → 4). Of the two neighbouring zero points, take the one that
        // needs the smaller widening of the scale to cover both ends.
        var exact = -lo / scale;
        var best = (Scale: float.PositiveInfinity, Zero: 0);
        foreach (var zero in new[] { (int)MathF.Floor(exact), (int)MathF.Ceiling(exact) })
        {
            var z = Math.Clamp(zero, 0, 255);
            var s = Covering(scale, lo, hi, z);
            if (s < best.Scale) best = (s, z);
        }
        return QuantParams.PerTensor(best.Scale, best.Zero, QuantType.UInt8);
    }

    /// <summary>The least scale ≥ <paramref name="scale"/> whose grid with zero point <paramref name="zero"/> reaches down to lo and up to hi.</summary>
    private static float Covering(float scale, float lo, float hi, int zero)
    {
        if (lo < 0) scale = zero > 0 ? MathF.Max(scale, -lo / zero) : float.PositiveInfinity;
        if (hi > 0) scale = zero < 255 ? MathF.Max(scale, hi / (255 - zero)) : float.PositiveInfinity;
        return scale;
    }

    /// <summary>The calibrated, quantized model. Call <see cref="Calibrate"/> first.</summary>
    public Graph Build()
    {
        if (_stats.Values.Any(s => s.Count == 0)) throw new InvalidOperationException("calibrate before building the quantized model");
        var grids = Points.ToDictionary(p => p, ActivationParams, StringComparer.Ordinal);
        // A max pool's output holds a subset of its input's values: it keeps the input's grid (the int8 kernel then
        // pools the codes and writes them as they are, as ONNX Runtime's quantizer arranges too).
        foreach (var pool in Float.Nodes.Where(n => n.Op is MaxPoolOp && grids.ContainsKey(n.Output)))
            if (grids.TryGetValue(QuantizationPoints.Source(Float, pool.Inputs[0]), out var input))
                grids[pool.Output] = input;
        ShareConcatGrids(grids);
        return QdqGraph.Build(Float, grids, _options);
    }

    /// <summary>
    /// A concatenation's inputs computed only for it take the concatenation's grid, so that the int8 runtime writes them
    /// in place; other inputs (ShuffleNetV2's pass-through half) are requantized as they are copied.
    /// </summary>
    private void ShareConcatGrids(Dictionary<string, QuantParams> grids)
    {
        foreach (var concat in Float.Nodes.Where(n => n.Op is ConcatOp))
        {
            if (!grids.TryGetValue(concat.Output, out var grid)) continue;
            foreach (var input in concat.Inputs)
                if (grids.ContainsKey(input) && Float.Consumers(input).Count == 1)
                    grids[input] = grid;
        }
    }
}
