using LightNets.Runtime.Kernels.Cpu;
using LightNets.Training;
using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Cpu;
using R = LightNets.Training.Kernels.Reference.TrainReference;

namespace LightNets.Tests.Training.Kernels;

/// <summary>
/// The fast linear layer and BatchNorm (training forward, backward, evaluation) against the reference run in double, on
/// every tier, one and two threads. BatchNorm inputs are offset from zero (mean 3, standard deviation 0.5), which a
/// variance computed as E[x²] − E[x]² in float would get wrong.
/// </summary>
public class NormKernelTests
{
    private const double U = TrainKernelKit.Unit;

    public static TheoryData<Isa, int> TiersAndThreads() => KernelTheory.TiersAndThreads();

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void Linear_matches_the_double_reference(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        var k = CpuTrainKernels.Instance;
        var seed = 0UL;
        foreach (var (n, inF, outF) in new[] { (1, 1, 1), (2, 7, 3), (64, 1280, 10), (5, 33, 17), (300, 16, 40), (9000, 8, 9), (3, 100, 1000) })
        {
            seed++;
            var context = $"linear {n}×{inF}→{outF} on {isa} ×{threads}";
            var withBias = seed % 2 == 1;
            var x = Oracle.Normal(n * inF, seed * 3 + 1);
            var w = Oracle.Normal(outF * inF, seed * 3 + 2, 0.3);
            var b = withBias ? Oracle.Normal(outF, seed * 3 + 3) : [];
            var dy = Oracle.Normal(n * outF, seed * 3 + 4);
            double[] xd = Oracle.D(x), wd = Oracle.D(w), bd = Oracle.D(b), dyd = Oracle.D(dy);

            var y = new Guarded(n * outF);
            k.LinearForward(ctx, n, inF, outF, x, w, b, y.Span);
            var expected = new double[n * outF];
            var magnitude = new double[n * outF];
            R.LinearForward<double>(n, inF, outF, xd, wd, bd, expected);
            R.LinearForward<double>(n, inF, outF, Oracle.Abs(xd), Oracle.Abs(wd), Oracle.Abs(bd), magnitude);
            TrainKernelKit.AssertWithin(y.Span, expected, Oracle.Bounds(magnitude, inF + 1), context + " forward");
            y.AssertMarginsIntact(context);

            var dx = new Guarded(seed % 3 == 0 ? 0 : n * inF);
            var dw = new Guarded(outF * inF);
            var db = new Guarded(withBias ? outF : 0);
            k.LinearBackward(ctx, n, inF, outF, x, w, dy, dx.Span, dw.Span, db.Span);
            double[] edx = new double[dx.Length], mdx = new double[dx.Length], edw = new double[dw.Length], mdw = new double[dw.Length],
                edb = new double[db.Length], mdb = new double[db.Length];
            R.LinearBackward<double>(n, inF, outF, xd, wd, dyd, edx, edw, edb);
            R.LinearBackward<double>(n, inF, outF, Oracle.Abs(xd), Oracle.Abs(wd), Oracle.Abs(dyd), mdx, mdw, mdb);
            TrainKernelKit.AssertWithin(dx.Span, edx, Oracle.Bounds(mdx, outF), context + " dx");
            TrainKernelKit.AssertWithin(dw.Span, edw, Oracle.Bounds(mdw, n), context + " dw");
            TrainKernelKit.AssertWithin(db.Span, edb, Oracle.Bounds(mdb, n), context + " db");
            foreach (var g in new[] { dx, dw, db }) g.AssertMarginsIntact(context + " backward");
        }
    }

    private static readonly (int Rows, int C)[] NormShapes = [(2, 1), (3, 7), (100, 16), (1000, 17), (5000, 33), (64, 960), (4100, 8), (49, 24)];

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void BatchNorm_training_forward_matches_the_double_reference(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        var seed = 0UL;
        foreach (var (rows, c) in NormShapes)
        {
            seed++;
            var context = $"bn {rows}×{c} on {isa} ×{threads}";
            var x = Offset(Oracle.Normal(rows * c, seed * 5 + 1, 0.5), 3f);
            var gamma = Oracle.Normal(c, seed * 5 + 2);
            var beta = Oracle.Normal(c, seed * 5 + 3);
            var rm = Oracle.Normal(c, seed * 5 + 4);
            var rv = Oracle.Normal(c, seed * 5 + 5).Select(v => 1 + Math.Abs(v)).ToArray();
            const float eps = 1e-5f, momentum = 0.1f;
            double[] erm = Oracle.D(rm), erv = Oracle.D(rv), emean = new double[c], einv = new double[c], ey = new double[rows * c];
            R.BatchNormTrainForward<double>(rows, c, Oracle.D(x), Oracle.D(gamma), Oracle.D(beta), eps, momentum, erm, erv, emean, einv, ey);

            var y = new Guarded(rows * c);
            var mean = new Guarded(c);
            var inv = new Guarded(c);
            float[] frm = [.. rm], frv = [.. rv];
            CpuTrainKernels.Instance.BatchNormTrainForward(ctx, rows, c, x, gamma, beta, eps, momentum, frm, frv, mean.Span, inv.Span, y.Span);

            TrainKernelKit.AssertWithin(mean.Span, emean, emean.Select(m => 4 * U * Math.Abs(m) + 1e-12).ToArray(), context + " mean");
            TrainKernelKit.AssertWithin(inv.Span, einv, einv.Select(v => 4 * U * v).ToArray(), context + " invStd");
            TrainKernelKit.AssertWithin(frm, erm, rm.Select((r, j) => 8 * U * (Math.Abs(r) + Math.Abs(emean[j]))).ToArray(), context + " running mean");
            TrainKernelKit.AssertWithin(frv, erv, rv.Select((r, j) => 8 * U * (Math.Abs(r) + erv[j])).ToArray(), context + " running var");
            var bound = new double[rows * c];
            for (var i = 0; i < bound.Length; i++)
            {
                var j = i % c;
                bound[i] = 8 * U * (Math.Abs(gamma[j]) * einv[j] * (Math.Abs(x[i]) + 2 * Math.Abs(emean[j])) + Math.Abs(beta[j]));
            }
            TrainKernelKit.AssertWithin(y.Span, ey, bound, context + " y");
            foreach (var g in new[] { y, mean, inv }) g.AssertMarginsIntact(context);
        }
    }

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void BatchNorm_backward_matches_the_double_reference(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        var seed = 100UL;
        foreach (var (rows, c) in NormShapes)
        {
            seed++;
            var context = $"bn backward {rows}×{c} on {isa} ×{threads}";
            var x = Offset(Oracle.Normal(rows * c, seed * 5 + 1, 0.5), 3f);
            var dy = Oracle.Normal(rows * c, seed * 5 + 2);
            var gamma = Oracle.Normal(c, seed * 5 + 3);
            // The saved statistics as a training forward in float leaves them: inputs of the backward pass, shared by both.
            var mean = new float[c];
            var inv = new float[c];
            R.BatchNormTrainForward<float>(rows, c, x, gamma, new float[c], 1e-5f, 0.1f, new float[c], new float[c], mean, inv, new float[rows * c]);
            double[] edx = new double[rows * c], edg = new double[c], edb = new double[c];
            R.BatchNormBackward<double>(rows, c, Oracle.D(x), Oracle.D(dy), Oracle.D(gamma), Oracle.D(mean), Oracle.D(inv), edx, edg, edb);

            var dx = new Guarded(rows * c);
            var dg = new Guarded(c);
            var db = new Guarded(c);
            CpuTrainKernels.Instance.BatchNormBackward(ctx, rows, c, x, dy, gamma, mean, inv, dx.Span, dg.Span, db.Span);

            double[] sumAbsDy = new double[c], sumAbsDyXhat = new double[c], slope = new double[c];
            for (var i = 0; i < rows * c; i++)
            {
                var j = i % c;
                var xhat = (x[i] - (double)mean[j]) * inv[j];
                sumAbsDy[j] += Math.Abs(dy[i]);
                sumAbsDyXhat[j] += Math.Abs(dy[i] * xhat);
                slope[j] += dy[i] * xhat;
            }
            TrainKernelKit.AssertWithin(db.Span, edb, sumAbsDy.Select(m => 2 * U * m + 1e-12).ToArray(), context + " dbeta");
            TrainKernelKit.AssertWithin(dg.Span, edg, sumAbsDyXhat.Select(m => 4 * U * m + 1e-12).ToArray(), context + " dgamma");
            var bound = new double[rows * c];
            for (var i = 0; i < bound.Length; i++)
            {
                var j = i % c;
                var xhat = Math.Abs((x[i] - (double)mean[j]) * inv[j]);
                var terms = Math.Abs(dy[i]) + sumAbsDy[j] / rows + xhat * Math.Abs(slope[j]) / rows;
                bound[i] = 8 * U * Math.Abs(gamma[j]) * inv[j] * terms + 1e-12;
            }
            TrainKernelKit.AssertWithin(dx.Span, edx, bound, context + " dx");
            foreach (var g in new[] { dx, dg, db }) g.AssertMarginsIntact(context);
        }
    }

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void BatchNorm_evaluation_matches_the_double_reference(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        foreach (var (rows, c) in NormShapes)
        {
            var context = $"bn eval {rows}×{c} on {isa} ×{threads}";
            var x = Offset(Oracle.Normal(rows * c, 7, 0.5), 3f);
            var gamma = Oracle.Normal(c, 8);
            var beta = Oracle.Normal(c, 9);
            var rm = Offset(Oracle.Normal(c, 10, 0.1), 3f);
            var rv = Oracle.Normal(c, 11).Select(v => 0.2f + Math.Abs(v)).ToArray();
            var ey = new double[rows * c];
            R.BatchNormEvalForward<double>(rows, c, Oracle.D(x), Oracle.D(gamma), Oracle.D(beta), 1e-3, Oracle.D(rm), Oracle.D(rv), ey);
            var y = new Guarded(rows * c);
            CpuTrainKernels.Instance.BatchNormEvalForward(ctx, rows, c, x, gamma, beta, 1e-3f, rm, rv, y.Span);
            var bound = new double[rows * c];
            for (var i = 0; i < bound.Length; i++)
            {
                var j = i % c;
                var inv = 1 / Math.Sqrt(rv[j] + 1e-3);
                bound[i] = 8 * U * (Math.Abs(gamma[j]) * inv * (Math.Abs(x[i]) + 2 * Math.Abs(rm[j])) + Math.Abs(beta[j]));
            }
            TrainKernelKit.AssertWithin(y.Span, ey, bound, context);
            y.AssertMarginsIntact(context);
        }
    }

    [Fact]
    public void BatchNorm_and_its_gradients_are_bit_identical_on_one_and_two_threads()
    {
        foreach (var isa in TrainKernelKit.Tiers)
        {
            foreach (var (rows, c) in NormShapes)
            {
                var x = Offset(Oracle.Normal(rows * c, 3, 0.5), 3f);
                var dy = Oracle.Normal(rows * c, 4);
                var gamma = Oracle.Normal(c, 5);
                float[][]? first = null;
                foreach (var threads in new[] { 1, 2 })
                {
                    using var ctx = new TrainContext(threads, isa);
                    float[] y = new float[rows * c], mean = new float[c], inv = new float[c], rm = new float[c], rv = new float[c],
                        dx = new float[rows * c], dg = new float[c], db = new float[c];
                    CpuTrainKernels.Instance.BatchNormTrainForward(ctx, rows, c, x, gamma, gamma, 1e-5f, 0.1f, rm, rv, mean, inv, y);
                    CpuTrainKernels.Instance.BatchNormBackward(ctx, rows, c, x, dy, gamma, mean, inv, dx, dg, db);
                    float[][] now = [y, mean, inv, rm, rv, dx, dg, db];
                    if (first is null) first = now;
                    else
                    {
                        for (var i = 0; i < now.Length; i++)
                            Assert.True(TrainKernelKit.BitEqual(first[i], now[i]), $"{rows}×{c} on {isa}: output {i} differs between 1 and 2 threads");
                    }
                }
            }
        }
    }

    public static TheoryData<Isa, int> TiersThreadsForFusion() => KernelTheory.TiersAndThreads();

    private static readonly Activation[] Fusable = [Activation.Relu, Activation.Clip(0, 6), Activation.HardSwish];

    /// <summary>
    /// BatchNorm + activation in one kernel gives bit for bit what the BatchNorm kernel and the activation kernel give in
    /// turn (the fused passes recompute y exactly as the forward made it). Inputs straddle the kinks (0, 6, ±3).
    /// </summary>
    [Theory]
    [MemberData(nameof(TiersThreadsForFusion))]
    public void BatchNorm_with_an_activation_is_bit_identical_to_the_two_kernels(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        var k = CpuTrainKernels.Instance;
        var seed = 300UL;
        foreach (var a in Fusable)
        {
            foreach (var (rows, c) in NormShapes)
            {
                seed++;
                var context = $"bn+{a.Kind} {rows}×{c} on {isa} ×{threads}";
                var x = Offset(Oracle.Normal(rows * c, seed * 5 + 1, 0.5), 3f);
                var dz = Oracle.Normal(rows * c, seed * 5 + 2);
                var gamma = Oracle.Normal(c, seed * 5 + 3).Select(v => 3 * v).ToArray();
                var beta = Oracle.Normal(c, seed * 5 + 4).Select(v => 2 * v).ToArray();

                float[] y = new float[rows * c], mean = new float[c], inv = new float[c], rm = new float[c], rv = new float[c];
                k.BatchNormTrainForward(ctx, rows, c, x, gamma, beta, 1e-5f, 0.1f, rm, rv, mean, inv, y);
                var z = new float[rows * c];
                k.ActivationForward(ctx, a, y, z);
                var dy = new float[rows * c];
                k.ActivationBackward(ctx, a, y, dz, dy);
                float[] dx = new float[rows * c], dg = new float[c], db = new float[c];
                k.BatchNormBackward(ctx, rows, c, x, dy, gamma, mean, inv, dx, dg, db);

                var fz = new Guarded(rows * c);
                var fmean = new Guarded(c);
                var finv = new Guarded(c);
                var fscale = new Guarded(c);
                float[] frm = new float[c], frv = new float[c];
                k.BatchNormActivationTrainForward(ctx, rows, c, a, x, gamma, beta, 1e-5f, 0.1f, frm, frv, fmean.Span, finv.Span, fscale.Span, fz.Span);
                var fdx = new Guarded(rows * c);
                var fdg = new Guarded(c);
                var fdb = new Guarded(c);
                k.BatchNormActivationBackward(ctx, rows, c, a, x, dz, gamma, beta, mean, inv, fscale.Span, fdx.Span, fdg.Span, fdb.Span);

                var active = z.Count(v => v != 0);
                Assert.True(active > 0 || rows * c < 8, $"{context}: every output is 0, the test would show nothing");
                foreach (var (name, expected, actual) in new[] { ("z", z, fz.Span.ToArray()), ("mean", mean, fmean.Span.ToArray()),
                             ("invStd", inv, finv.Span.ToArray()), ("running mean", rm, frm), ("running var", rv, frv), ("dx", dx, fdx.Span.ToArray()),
                             ("dgamma", dg, fdg.Span.ToArray()), ("dbeta", db, fdb.Span.ToArray()) })
                    Assert.True(TrainKernelKit.BitEqual(expected, actual), $"{context}: {name} differs from the two kernels in turn");
                foreach (var g in new[] { fz, fmean, finv, fscale, fdx, fdg, fdb }) g.AssertMarginsIntact(context);
            }
        }
    }

    [Fact]
    public void BatchNorm_refuses_to_fuse_an_activation_it_cannot_reproduce_exactly()
    {
        using var ctx = new TrainContext();
        var e = Assert.Throws<ArgumentException>(() => CpuTrainKernels.Instance.BatchNormActivationTrainForward(ctx, 2, 1, Activation.Sigmoid,
            new float[2], [1], [0], 1e-5f, 0.1f, new float[1], new float[1], new float[1], new float[1], new float[1], new float[2]));
        Assert.Contains("Sigmoid", e.Message);
    }

    [Fact]
    public void BatchNorm_refuses_a_single_row_in_training()
    {
        using var ctx = new TrainContext();
        var ex = Assert.Throws<ArgumentException>(() => CpuTrainKernels.Instance.BatchNormTrainForward(ctx, 1, 2, new float[2], new float[2],
            new float[2], 1e-5f, 0.1f, new float[2], new float[2], new float[2], new float[2], new float[2]));
        Assert.Contains("more than 1 value per channel", ex.Message);
    }

    private static float[] Offset(float[] x, float by) => x.Select(v => v + by).ToArray();
}
