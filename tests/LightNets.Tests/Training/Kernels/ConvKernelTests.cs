using LightNets.Runtime.Kernels.Cpu;
using LightNets.Training;
using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Cpu;
using R = LightNets.Training.Kernels.Reference.TrainReference;

namespace LightNets.Tests.Training.Kernels;

/// <summary>
/// The fast convolution kernels (1×1 GEMM, grouped 1×1, depthwise, im2col) against the reference run in double, on
/// every tier, one and two threads, over the strides, paddings, dilations and groups the five families use and some
/// they do not (the contract is general). Bounds are the worst-case float rounding of each output's sum, computed from
/// the same sum over absolute values; every output buffer sits between poisoned margins.
/// </summary>
public class ConvKernelTests
{
    public static TheoryData<Isa, int> TiersAndThreads() => KernelTheory.TiersAndThreads();

    /// <summary>The cases, each with what it exercises.</summary>
    public static IEnumerable<(string Name, ConvShape Shape)> Cases()
    {
        // 1×1 convolutions: GEMM over pixels, M from 1 to 4,356 (two reduction segments in the weight gradient).
        yield return ("1x1 single", Oracle.Conv(1, 1, 1, 1, 1, 1));
        yield return ("1x1 7x7", Oracle.Conv(2, 7, 7, 3, 5, 1));
        yield return ("1x1 wide", Oracle.Conv(2, 15, 15, 16, 24, 1));
        yield return ("1x1 odd", Oracle.Conv(1, 17, 17, 33, 17, 1));
        yield return ("1x1 panels", Oracle.Conv(3, 5, 7, 8, 70, 1));
        yield return ("1x1 segments", Oracle.Conv(4, 33, 33, 12, 16, 1));
        yield return ("1x1 head", Oracle.Conv(9, 1, 1, 40, 33, 1));
        // Grouped 1×1 (ShuffleNetV1).
        yield return ("g3 1x1", Oracle.Conv(2, 7, 7, 12, 24, 1, groups: 3));
        yield return ("g8 1x1", Oracle.Conv(1, 9, 9, 24, 24, 1, groups: 8));
        yield return ("g3 1x1 odd", Oracle.Conv(2, 5, 5, 6, 9, 1, groups: 3));
        // Depthwise: every kernel size, stride, dilation and padding the families use, channels around the vector widths.
        foreach (var (c, k, stride, dilation, h) in new[]
                 {
                     (1, 3, 1, 1, 7), (3, 3, 2, 1, 7), (8, 3, 1, 1, 15), (15, 5, 2, 1, 17), (16, 3, 2, 1, 2), (17, 5, 1, 1, 9),
                     (31, 7, 1, 1, 7), (33, 7, 2, 1, 15), (16, 3, 1, 2, 9), (24, 5, 2, 2, 17), (9, 3, 1, 1, 1), (40, 3, 1, 1, 33),
                     (70, 3, 2, 1, 9), (64, 3, 1, 2, 7),
                 })
            yield return ($"dw c{c} k{k} s{stride} d{dilation} h{h}", Oracle.Conv(2, h, h + 2, c, c, k, stride, dilation * (k - 1) / 2, dilation, c));
        yield return ("dw TF-same s2", Oracle.Conv(2, 8, 8, 20, 20, 3, 2, 0, groups: 20, padBottom: 1));
        yield return ("dw no pad", Oracle.Conv(1, 9, 9, 17, 17, 3, 1, 0, groups: 17));
        yield return ("dw 3x5 stride 1x2", Oracle.Conv(2, 9, 11, 18, 18, 3, 1, 1, groups: 18, kw: 5, strideW: 2));
        yield return ("dw 1x11", Oracle.Conv(1, 5, 13, 16, 16, 1, 1, 0, groups: 16, kw: 11));
        // Dense k×k: the stems (Cin ≤ 4: direct forward and weight gradient, im2col input gradient), stride 1 and 2, and
        // general cases through im2col.
        yield return ("stem s2", Oracle.Conv(2, 17, 17, 3, 16, 3, 2, 1));
        yield return ("stem 1ch s1", Oracle.Conv(1, 32, 32, 1, 8, 3, 1, 1));
        yield return ("stem 24", Oracle.Conv(2, 9, 9, 3, 24, 3, 2, 1));
        yield return ("stem 33 TF-same", Oracle.Conv(2, 8, 8, 3, 33, 3, 2, 0, padBottom: 1));
        yield return ("stem 2ch 7x7 s2", Oracle.Conv(1, 13, 11, 2, 5, 7, 2, 3));
        yield return ("5x5 dilated", Oracle.Conv(1, 11, 11, 4, 6, 5, 1, 4, 2));
        yield return ("3x3 stride 3", Oracle.Conv(2, 10, 10, 5, 7, 3, 3, 1));
        yield return ("g3 3x3", Oracle.Conv(2, 9, 9, 6, 9, 3, 1, 1, groups: 3));
        yield return ("dw multiplier 2", Oracle.Conv(1, 7, 7, 4, 8, 3, 1, 1, groups: 4));
        yield return ("1x1 stride 2", Oracle.Conv(2, 9, 9, 8, 12, 1, 2));
        yield return ("1x1 padded", Oracle.Conv(1, 5, 5, 4, 4, 1, 1, 1));
    }

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void Forward_and_both_gradients_match_the_double_reference(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        var k = CpuTrainKernels.Instance;
        var seed = 0UL;
        foreach (var (name, s) in Cases())
        {
            seed++;
            var context = $"{name} {s} on {isa} ×{threads}";
            var withBias = seed % 2 == 0;
            var x = Oracle.Normal((int)s.InputLength, seed * 11 + 1);
            var w = Oracle.Normal((int)s.WeightLength, seed * 11 + 2, 0.5);
            var bias = withBias ? Oracle.Normal(s.Cout, seed * 11 + 3) : [];
            var dy = Oracle.Normal((int)s.OutputLength, seed * 11 + 4);
            double[] xd = Oracle.D(x), wd = Oracle.D(w), bd = Oracle.D(bias), dyd = Oracle.D(dy);

            var y = new Guarded((int)s.OutputLength);
            k.ConvForward(ctx, s, x, w, bias, y.Span);
            var expected = new double[s.OutputLength];
            var magnitude = new double[s.OutputLength];
            R.ConvForward<double>(s, xd, wd, bd, expected);
            R.ConvForward<double>(s, Oracle.Abs(xd), Oracle.Abs(wd), Oracle.Abs(bd), magnitude);
            TrainKernelKit.AssertWithin(y.Span, expected, Oracle.Bounds(magnitude, (long)s.CinPerGroup * s.KH * s.KW + 1), context + " forward");
            y.AssertMarginsIntact(context + " forward");

            var dx = new Guarded((int)s.InputLength);
            dx.Span.Fill(float.NaN); // overwritten, never accumulated into
            k.ConvBackwardData(ctx, s, dy, w, dx.Span);
            expected = new double[s.InputLength];
            magnitude = new double[s.InputLength];
            R.ConvBackwardData<double>(s, dyd, wd, expected);
            R.ConvBackwardData<double>(s, Oracle.Abs(dyd), Oracle.Abs(wd), magnitude);
            TrainKernelKit.AssertWithin(dx.Span, expected, Oracle.Bounds(magnitude, (long)s.CoutPerGroup * s.KH * s.KW), context + " backward-data");
            dx.AssertMarginsIntact(context + " backward-data");
            if (s.IsDepthwise)
            {
                // Depthwise backward-data adds the reference's products in the reference's order: bit-identical.
                var exact = new float[s.InputLength];
                R.ConvBackwardData<float>(s, dy, w, exact);
                Assert.True(TrainKernelKit.BitEqual(exact, dx.Span), context + ": depthwise backward-data differs from the float reference");
            }

            var dw = new Guarded((int)s.WeightLength);
            var db = new Guarded(withBias ? s.Cout : 0);
            dw.Span.Fill(float.NaN);
            db.Span.Fill(float.NaN);
            k.ConvBackwardWeight(ctx, s, x, dy, dw.Span, db.Span);
            expected = new double[s.WeightLength];
            magnitude = new double[s.WeightLength];
            var expectedBias = new double[db.Length];
            var magnitudeBias = new double[db.Length];
            R.ConvBackwardWeight<double>(s, xd, dyd, expected, expectedBias);
            R.ConvBackwardWeight<double>(s, Oracle.Abs(xd), Oracle.Abs(dyd), magnitude, magnitudeBias);
            var pixels = (long)s.N * s.OutH * s.OutW;
            TrainKernelKit.AssertWithin(dw.Span, expected, Oracle.Bounds(magnitude, pixels), context + " backward-weight");
            TrainKernelKit.AssertWithin(db.Span, expectedBias, Oracle.Bounds(magnitudeBias, pixels), context + " bias gradient");
            dw.AssertMarginsIntact(context + " backward-weight");
            db.AssertMarginsIntact(context + " bias gradient");
        }
    }

    [Fact]
    public void Results_are_bit_identical_on_one_and_two_threads()
    {
        foreach (var isa in TrainKernelKit.Tiers)
        {
            foreach (var (name, s) in Cases())
            {
                var x = Oracle.Normal((int)s.InputLength, 5);
                var w = Oracle.Normal((int)s.WeightLength, 6);
                var dy = Oracle.Normal((int)s.OutputLength, 7);
                float[][]? first = null;
                foreach (var threads in new[] { 1, 2 })
                {
                    using var ctx = new TrainContext(threads, isa);
                    var k = CpuTrainKernels.Instance;
                    var y = new float[s.OutputLength];
                    var dx = new float[s.InputLength];
                    var dw = new float[s.WeightLength];
                    var db = new float[s.Cout];
                    k.ConvForward(ctx, s, x, w, default, y);
                    k.ConvBackwardData(ctx, s, dy, w, dx);
                    k.ConvBackwardWeight(ctx, s, x, dy, dw, db);
                    if (first is null) first = [y, dx, dw, db];
                    else
                    {
                        float[][] now = [y, dx, dw, db];
                        for (var i = 0; i < now.Length; i++)
                            Assert.True(TrainKernelKit.BitEqual(first[i], now[i]), $"{name} on {isa}: output {i} differs between 1 and 2 threads");
                    }
                }
            }
        }
    }

    [Fact]
    public void Wrong_lengths_are_refused_by_name()
    {
        using var ctx = new TrainContext();
        var s = Oracle.Conv(1, 5, 5, 4, 4, 3, 1, 1, groups: 4);
        var ex = Assert.Throws<ArgumentException>(() =>
            CpuTrainKernels.Instance.ConvForward(ctx, s, new float[s.InputLength - 1], new float[s.WeightLength], default, new float[s.OutputLength]));
        Assert.Contains("x", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() =>
            CpuTrainKernels.Instance.ConvBackwardWeight(ctx, s, new float[s.InputLength], new float[s.OutputLength], new float[s.WeightLength], new float[3]));
        Assert.Equal("dbias", ex.ParamName);
    }
}

internal static class KernelTheory
{
    public static TheoryData<Isa, int> TiersAndThreads()
    {
        var data = new TheoryData<Isa, int>();
        foreach (var isa in TrainKernelKit.Tiers)
        {
            data.Add(isa, 1);
            data.Add(isa, 2);
        }
        return data;
    }
}
