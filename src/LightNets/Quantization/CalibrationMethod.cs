namespace LightNets.Quantization;

/// <summary>How a calibrated activation's range [lo, hi] is chosen from what the calibration images produced.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen (ONNX Runtime's MinMax): no clipping, coarsest steps when outliers exist.</summary>
    MinMax,

    /// <summary>
    /// The <see cref="QuantizeOptions.Percentile"/> percentile of the values at each end (ONNX Runtime's Percentile,
    /// 99.999 by default): the rare extreme values are clipped so that the common ones get finer steps.
    /// </summary>
    Percentile,

    /// <summary>
    /// The clipping threshold that minimises the KL divergence between the histogram of |x| and its 128-level
    /// quantized form (TensorRT's entropy calibration, Migacz 2017; ONNX Runtime's Entropy).
    /// </summary>
    Entropy,
}

/// <summary>Settings of post-training static quantization.</summary>
public sealed record QuantizeOptions
{
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>Per-output-channel weight scales (else one scale per layer).</summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>
    /// 7-bit weights (−64..63, ONNX Runtime's reduce_range): on CPUs without VNNI the u8×s8 pair products then never
    /// saturate int16, so the fastest integer instruction is exact; costs about one bit of weight precision.
    /// </summary>
    public bool ReduceRange { get; init; }

    /// <summary>The percentile of <see cref="CalibrationMethod.Percentile"/>, in (50, 100].</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>Histogram bins per activation for the percentile and entropy methods.</summary>
    public int Bins { get; init; } = 2048;

    internal void Validate()
    {
        if (!(Percentile > 50 && Percentile <= 100)) throw new QuantizationException($"the percentile must be above 50 and at most 100, got {Percentile}");
        if (Bins is < 256 or > 1 << 16) throw new QuantizationException($"histogram bins must be 256 to 65,536, got {Bins}");
    }
}

/// <summary>A model that cannot be quantized as asked, or calibration data that does not fit it.</summary>
public sealed class QuantizationException(string message) : LightNetsException(message);
