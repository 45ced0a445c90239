using System.Globalization;
using LightNets.Tensors;

namespace LightNets.Cli.Output;

/// <summary>The compiled runtime's output disagrees with the oracle's: a LightNets bug, never a timing worth printing.</summary>
public sealed class OutputMismatchException(string message) : LightNetsException(message);

/// <summary>
/// Element-wise agreement of an engine's output with an oracle's (the reference interpreter, or ONNX Runtime):
/// |actual − expected| ≤ atol + rtol·|expected| for every element, with atol = <see cref="Atol"/>·max|expected|.
/// </summary>
public static class OutputCheck
{
    /// <summary>
    /// Absolute tolerance as a fraction of the largest |expected|. Measured: the 18 headline models at 224×224, fused and
    /// unfused, torchvision's and random BN statistics, compiled vs reference, agree within 2.0e-6 of max|ref| (and
    /// within 1e-6 against ONNX Runtime); 1e-4 leaves a 50× margin for other tiers and inputs, while a wrong weight, index
    /// or fusion moves outputs by a sizeable fraction of max|ref|.
    /// </summary>
    public const double Atol = 1e-4;

    /// <summary>Relative tolerance per element, on top of <see cref="Atol"/>: lets large logits differ in their last bits.</summary>
    public const double Rtol = 1e-4;

    /// <summary>
    /// Both tolerances for a quantized (QDQ) model: the int8 plan sums exactly and requantizes by multiplying with
    /// 1/scale where the reference sums in float and divides, so a value next to a rounding boundary lands one code
    /// away and carries that to the output; ONNX Runtime's int8 kernels round differently again. Measured on the zoo's
    /// quantized models against ONNX Runtime: within 4.5 % of max |ref|; a wrong weight, grid or index moves the logits by far more.
    /// </summary>
    public const double QuantizedTolerance = 0.1;

    /// <summary>The comparison; <see cref="WorstIndex"/> is the element that most exceeds (or least fits) its tolerance.</summary>
    public sealed record Result(long Count, double MaxAbsExpected, double MaxAbsDiff, long WorstIndex, float Expected, float Actual, double WorstTolerance)
    {
        /// <summary>The tolerances the comparison used (<see cref="Atol"/>, <see cref="Rtol"/>, or <see cref="QuantizedTolerance"/> for both).</summary>
        public double AtolUsed { get; init; } = Atol;

        public double RtolUsed { get; init; } = Rtol;

        /// <summary>Every element within tolerance (a NaN anywhere is never within it).</summary>
        public bool Ok { get; init; }

        /// <summary>max |diff| / max |expected| (the figure LightNets quotes for engine agreement).</summary>
        public double RelativeToMax => MaxAbsExpected == 0 ? MaxAbsDiff : MaxAbsDiff / MaxAbsExpected;
    }

    public static Result Compare(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, bool quantized = false)
    {
        var (atolFraction, rtol) = quantized ? (QuantizedTolerance, QuantizedTolerance) : (Atol, Rtol);
        if (expected.Length != actual.Length)
            throw new ArgumentException($"outputs differ in length: {expected.Length} vs {actual.Length}");
        double maxExpected = 0;
        foreach (var v in expected) maxExpected = Math.Max(maxExpected, Math.Abs(v));
        var atol = atolFraction * maxExpected;
        double maxDiff = 0, worstRatio = double.NegativeInfinity;
        long worst = 0;
        var ok = true;
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = Math.Abs((double)actual[i] - expected[i]);
            var tolerance = atol + rtol * Math.Abs(expected[i]);
            if (!(diff <= tolerance)) ok = false; // NaN, in either output, is never within
            maxDiff = double.IsNaN(diff) || double.IsNaN(maxDiff) ? double.NaN : Math.Max(maxDiff, diff);
            var ratio = double.IsNaN(diff) ? double.PositiveInfinity : diff == 0 ? 0 : tolerance == 0 ? double.PositiveInfinity : diff / tolerance;
            if (ratio > worstRatio)
            {
                worstRatio = ratio;
                worst = i;
            }
        }
        return expected.Length == 0
            ? new Result(0, 0, 0, 0, 0, 0, 0) { Ok = true, AtolUsed = atolFraction, RtolUsed = rtol }
            : new Result(expected.Length, maxExpected, maxDiff, worst, expected[(int)worst], actual[(int)worst], atol + rtol * Math.Abs(expected[(int)worst]))
            {
                Ok = ok, AtolUsed = atolFraction, RtolUsed = rtol,
            };
    }

    /// <summary>One line: "max |diff| 3.1e-7 = 8.4e-7 of max |ref| (ok)".</summary>
    public static string Describe(Result r) =>
        $"max |diff| {Sci(r.MaxAbsDiff)} = {Sci(r.RelativeToMax)} of max |ref| {Sci(r.MaxAbsExpected)}, tolerance {Tol(r.AtolUsed)} of max |ref| + {Tol(r.RtolUsed)}·|ref|{(r.AtolUsed == QuantizedTolerance ? ", int8" : "")} " +
        $"({(r.Ok ? "ok" : "MISMATCH")})";

    private static string Tol(double t) => t.ToString(t >= 0.01 ? "0.##" : "0e0", CultureInfo.InvariantCulture);

    /// <summary>Throws when <paramref name="r"/> failed, naming the worst element and both values.</summary>
    /// <param name="r">The comparison.</param>
    /// <param name="index">The output's index of a compared element, e.g. [0, 417] (<see cref="Index"/>).</param>
    /// <param name="engine">What was checked.</param>
    /// <param name="oracle">What it was checked against.</param>
    /// <param name="model">The model's name.</param>
    /// <param name="output">The output's name, where the model has several; null: "output".</param>
    /// <exception cref="OutputMismatchException">Some element is outside its tolerance.</exception>
    public static void Require(Result r, Func<long, int[]> index, string engine, string oracle, string model, string? output = null)
    {
        if (r.Ok) return;
        var what = output is null ? "output" : $"output '{output}'";
        throw new OutputMismatchException(
            $"{model}: {engine} disagrees with {oracle}: {what}[{string.Join(", ", index(r.WorstIndex))}] is {Value(r.Actual)} but {oracle} gives " +
            $"{Value(r.Expected)} (|diff| {Sci(Math.Abs((double)r.Actual - r.Expected))} > tolerance {Sci(r.WorstTolerance)}; max |diff| over all " +
            $"{r.Count} elements {Sci(r.MaxAbsDiff)}, max |ref| {Sci(r.MaxAbsExpected)}). Nothing was timed: this is a LightNets bug, please report it " +
            "with the command line");
    }

    /// <summary>The multi-dimensional index of flat position <paramref name="flat"/> in <paramref name="shape"/>.</summary>
    public static int[] Index(Shape shape, long flat)
    {
        var index = new int[shape.Rank];
        for (var d = shape.Rank - 1; d >= 0; d--)
        {
            index[d] = (int)(flat % shape[d]);
            flat /= shape[d];
        }
        return index;
    }

    private static string Sci(double v) => v.ToString("0.0e+0", CultureInfo.InvariantCulture);
    private static string Value(float v) => v.ToString("G9", CultureInfo.InvariantCulture);
}
