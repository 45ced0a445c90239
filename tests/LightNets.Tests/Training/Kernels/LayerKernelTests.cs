using LightNets.Runtime.Kernels.Cpu;
using PoolShape = LightNets.Training.Kernels.PoolShape;
using LightNets.Tensors;
using LightNets.Training;
using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Cpu;
using R = LightNets.Training.Kernels.Reference.TrainReference;

namespace LightNets.Tests.Training.Kernels;

/// <summary>
/// The kernels written with the reference's operations in its order — activations, SE's channel scale, pooling,
/// channel maps, softmax cross-entropy — against the float reference, bit for bit, on every tier, one and two threads
/// (the sigmoid's exponential, a vector approximation, within a stated tolerance). Inputs hit the kinks (±3, 0, −0,
/// the clip bounds), ties, NaN and ±∞.
/// </summary>
public class LayerKernelTests
{
    public static TheoryData<Isa, int> TiersAndThreads() => KernelTheory.TiersAndThreads();

    private static readonly Activation[] Activations =
    [
        Activation.Relu, Activation.Relu6, Activation.Clip(-1f, 2.5f), Activation.HardSwish, Activation.HardSigmoid(),
        Activation.HardSigmoid(0.2f, 0.5f), Activation.Clip(3f, -3f),
    ];

    /// <summary>Normal values scaled by 4, with the kinks, signed zeros and non-finite values planted every few elements.</summary>
    private static float[] Hostile(int n, ulong seed)
    {
        var x = Oracle.Normal(n, seed, 4);
        float[] special = [-3f, 3f, 0f, -0f, 6f, -6f, 2.5f, -1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-30f, -2.9999998f, 3.0000002f, 2.9999998f, -3.0000002f];
        for (var i = 0; i < n; i += 3) x[i] = special[i / 3 % special.Length];
        return x;
    }

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void Activations_are_bit_identical_to_the_reference(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        foreach (var n in new[] { 1, 15, 16, 17, 100, 1000, 100_003 })
        {
            var x = Hostile(n, (ulong)n);
            var dy = Hostile(n, (ulong)n + 1);
            foreach (var a in Activations)
            {
                var context = $"{a} n={n} on {isa} ×{threads}";
                var y = new Guarded(n);
                CpuTrainKernels.Instance.ActivationForward(ctx, a, x, y.Span);
                var expected = new float[n];
                R.ActivationForward<float>(a, x, expected);
                AssertBitEqual(expected, y.Span, context + " forward");
                var dx = new Guarded(n);
                CpuTrainKernels.Instance.ActivationBackward(ctx, a, x, dy, dx.Span);
                R.ActivationBackward<float>(a, x, dy, expected);
                AssertBitEqual(expected, dx.Span, context + " backward");
                y.AssertMarginsIntact(context);
                dx.AssertMarginsIntact(context);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void Activations_run_in_place(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        var x = Hostile(1001, 9);
        var expected = new float[x.Length];
        R.ActivationForward<float>(Activation.HardSwish, x, expected);
        CpuTrainKernels.Instance.ActivationForward(ctx, Activation.HardSwish, x, x);
        AssertBitEqual(expected, x, "in place");
    }

    /// <summary>
    /// The vector exponential is within 1.5·10⁻⁷ relative, so σ stays within a few of those. The gradient σ(1 − σ) in
    /// float (the reference's formula) also loses 1 − σ to cancellation where σ nears 1: an absolute error of about u·σ
    /// per unit of dy, whatever the exponential.
    /// </summary>
    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void Sigmoid_is_within_the_vector_exponential_of_the_reference(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        var x = Oracle.Normal(1003, 5, 6);
        var dy = Oracle.Normal(1003, 6);
        var y = new float[x.Length];
        var dx = new float[x.Length];
        CpuTrainKernels.Instance.ActivationForward(ctx, Activation.Sigmoid, x, y);
        CpuTrainKernels.Instance.ActivationBackward(ctx, Activation.Sigmoid, x, dy, dx);
        double[] ey = new double[x.Length], edx = new double[x.Length];
        R.ActivationForward<double>(Activation.Sigmoid, Oracle.D(x), ey);
        R.ActivationBackward<double>(Activation.Sigmoid, Oracle.D(x), Oracle.D(dy), edx);
        TrainKernelKit.AssertWithin(y, ey, ey.Select(v => 1e-6 * Math.Abs(v) + 1e-30).ToArray(), "sigmoid");
        var bound = edx.Select((v, i) => 2e-6 * Math.Abs(v) + 2 * TrainKernelKit.Unit * Math.Abs(dy[i]) * ey[i] + 1e-30).ToArray();
        TrainKernelKit.AssertWithin(dx, edx, bound, "sigmoid gradient");
    }

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void Channel_scale_is_bit_identical_to_the_reference(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        foreach (var (n, hw, c) in new[] { (1, 1, 1), (2, 49, 17), (3, 16, 72), (2, 4, 960), (64, 1, 33), (1, 1024, 16) })
        {
            var context = $"scale {n}×{hw}×{c} on {isa} ×{threads}";
            var x = Hostile(n * hw * c, 1);
            var s = Oracle.Normal(n * c, 2);
            var dy = Oracle.Normal(n * hw * c, 3);
            var y = new Guarded(x.Length);
            CpuTrainKernels.Instance.ScaleChannelsForward(ctx, n, hw, c, x, s, y.Span);
            var ey = new float[x.Length];
            R.ScaleChannelsForward<float>(n, hw, c, x, s, ey);
            AssertBitEqual(ey, y.Span, context + " forward");
            var dx = new Guarded(x.Length);
            var ds = new Guarded(s.Length);
            CpuTrainKernels.Instance.ScaleChannelsBackward(ctx, n, hw, c, x, s, dy, dx.Span, ds.Span);
            float[] edx = new float[x.Length], eds = new float[s.Length];
            R.ScaleChannelsBackward<float>(n, hw, c, x, s, dy, edx, eds);
            AssertBitEqual(edx, dx.Span, context + " dx");
            AssertBitEqual(eds, ds.Span, context + " ds");
            foreach (var g in new[] { y, dx, ds }) g.AssertMarginsIntact(context);
        }
    }

    /// <summary>Pool geometries: ShuffleNet's 3×3/2 stem pool, 2×2/2, 3×3/1 padded, ceil-mode windows that hang past the padding, and TF-SAME's uneven padding.</summary>
    private static IEnumerable<PoolShape> Pools()
    {
        foreach (var (c, h) in new[] { (1, 7), (3, 8), (16, 15), (17, 17), (24, 16), (27, 6), (33, 5) })
        {
            yield return Pool(2, h, h + 1, c, 3, 2, 1, 1, ceil: false);
            yield return Pool(1, h, h, c, 2, 2, 0, 0, ceil: false);
            yield return Pool(2, h, h, c, 3, 1, 1, 1, ceil: false);
            yield return Pool(1, h, h + 2, c, 3, 2, 1, 1, ceil: true);
            yield return Pool(2, h, h, c, 3, 2, 0, 1, ceil: false);
        }
        yield return Pool(1, 1, 1, 5, 1, 1, 0, 0, ceil: false);
    }

    private static PoolShape Pool(int n, int h, int w, int c, int k, int stride, int padTopLeft, int padBottomRight, bool ceil)
    {
        int Out(int size)
        {
            var span = size + padTopLeft + padBottomRight - k;
            var o = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
            // PyTorch drops a last ceil-mode window that would start in the bottom or right padding.
            if (ceil && (o - 1) * stride >= size + padTopLeft) o--;
            return o;
        }
        var p = new PoolShape(n, h, w, c, k, k, stride, stride, padTopLeft, padTopLeft, padBottomRight, padBottomRight, Out(h), Out(w));
        p.Validate();
        return p;
    }

    /// <summary>Values on a coarse grid (many ties), a NaN and a −∞ planted: the first maximum, NaN's win and −∞ windows are all exercised.</summary>
    private static float[] Ties(int n, ulong seed)
    {
        var x = Oracle.Normal(n, seed).Select(v => MathF.Round(v * 2) / 2).ToArray();
        if (n > 10)
        {
            x[n / 3] = float.NaN;
            x[n / 2] = float.NegativeInfinity;
        }
        return x;
    }

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void Pooling_is_bit_identical_to_the_reference(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        var k = CpuTrainKernels.Instance;
        foreach (var p in Pools())
        {
            var context = $"{p} on {isa} ×{threads}";
            var x = Ties((int)p.InputLength, (ulong)p.InputLength);
            var dy = Oracle.Normal((int)p.OutputLength, 4);

            var y = new Guarded((int)p.OutputLength);
            var argmax = new int[p.OutputLength];
            k.MaxPoolForward(ctx, p, x, y.Span, argmax);
            var ey = new float[p.OutputLength];
            var eargmax = new int[p.OutputLength];
            R.MaxPoolForward<float>(p, x, ey, eargmax);
            AssertBitEqual(ey, y.Span, context + " max");
            Assert.Equal(eargmax, argmax);
            var dx = new Guarded((int)p.InputLength);
            k.MaxPoolBackward(ctx, p, dy, argmax, dx.Span);
            var edx = new float[p.InputLength];
            R.MaxPoolBackward<float>(p, dy, eargmax, edx);
            AssertBitEqual(edx, dx.Span, context + " max backward");

            foreach (var include in new[] { false, true })
            {
                k.AvgPoolForward(ctx, p, include, x, y.Span);
                R.AvgPoolForward<float>(p, include, x, ey);
                AssertBitEqual(ey, y.Span, context + $" avg (count pad {include})");
                k.AvgPoolBackward(ctx, p, include, dy, dx.Span);
                R.AvgPoolBackward<float>(p, include, dy, edx);
                AssertBitEqual(edx, dx.Span, context + $" avg backward (count pad {include})");
            }
            y.AssertMarginsIntact(context);
            dx.AssertMarginsIntact(context);
        }
    }

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void Global_average_pooling_is_bit_identical_to_the_reference(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        foreach (var (n, hw, c) in new[] { (1, 1, 1), (2, 49, 17), (64, 16, 1280), (3, 1024, 33), (5, 7, 16), (2, 9, 27) })
        {
            var context = $"gap {n}×{hw}×{c} on {isa} ×{threads}";
            var x = Hostile(n * hw * c, 3);
            var dy = Oracle.Normal(n * c, 4);
            var y = new Guarded(n * c);
            CpuTrainKernels.Instance.GlobalAvgPoolForward(ctx, n, hw, c, x, y.Span);
            var ey = new float[n * c];
            R.GlobalAvgPoolForward<float>(n, hw, c, x, ey);
            AssertBitEqual(ey, y.Span, context);
            var dx = new Guarded(n * hw * c);
            CpuTrainKernels.Instance.GlobalAvgPoolBackward(ctx, n, hw, c, dy, dx.Span);
            var edx = new float[n * hw * c];
            R.GlobalAvgPoolBackward<float>(n, hw, c, dy, edx);
            AssertBitEqual(edx, dx.Span, context + " backward");
            y.AssertMarginsIntact(context);
            dx.AssertMarginsIntact(context);
        }
    }

    /// <summary>Concat pieces, a Split's half, ShuffleNet's shuffle (groups 2 and 3) and one half of it, a reversal, and a map that repeats and skips channels.</summary>
    private static IEnumerable<(string Name, int Cin, int[] Map)> Maps()
    {
        yield return ("identity 33", 33, Enumerable.Range(0, 33).ToArray());
        yield return ("second half", 58, Enumerable.Range(29, 29).ToArray());
        yield return ("shuffle g2", 48, Enumerable.Range(0, 48).Select(j => j % 2 * 24 + j / 2).ToArray());
        yield return ("shuffle g3", 36, Enumerable.Range(0, 36).Select(j => j % 3 * 12 + j / 3).ToArray());
        yield return ("split of a shuffle", 50, Enumerable.Range(0, 25).Select(j => j % 2 * 25 + j / 2).ToArray());
        yield return ("reversed", 17, Enumerable.Range(0, 17).Reverse().ToArray());
        yield return ("repeats", 5, [4, 4, 0, 1, 2, 3, 4, 0, 1, 1, 2]);
        yield return ("one", 1, [0, 0, 0]);
    }

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void Channel_maps_are_bit_identical_to_the_reference(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        foreach (var (name, cin, map) in Maps())
        {
            foreach (var rows in new[] { 1, 7, 1000 })
            {
                var context = $"{name} ×{rows} on {isa} ×{threads}";
                var cout = map.Length;
                var x = Oracle.Normal(rows * cin, 1);
                var y = new Guarded(rows * cout);
                CpuTrainKernels.Instance.GatherChannels(ctx, rows, cin, cout, map, x, y.Span);
                var ey = new float[rows * cout];
                R.GatherChannels<float>(rows, cin, cout, map, x, ey);
                AssertBitEqual(ey, y.Span, context + " gather");
                var dy = Oracle.Normal(rows * cout, 2);
                var dx = new Guarded(rows * cin);
                x.CopyTo(dx.Span); // scatter accumulates into what is there
                CpuTrainKernels.Instance.ScatterAddChannels(ctx, rows, cin, cout, map, dy, dx.Span);
                var edx = x.ToArray();
                R.ScatterAddChannels<float>(rows, cin, cout, map, dy, edx);
                AssertBitEqual(edx, dx.Span, context + " scatter-add");
                y.AssertMarginsIntact(context);
                dx.AssertMarginsIntact(context);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TiersAndThreads))]
    public void Softmax_cross_entropy_is_bit_identical_to_the_reference(Isa isa, int threads)
    {
        using var ctx = new TrainContext(threads, isa);
        foreach (var (n, classes) in new[] { (1, 1), (7, 2), (64, 10), (3, 1000), (256, 100) })
        {
            foreach (var smoothing in new[] { 0f, 0.1f })
            {
                var context = $"xent {n}×{classes} ε={smoothing} on {isa} ×{threads}";
                var logits = Oracle.Normal(n * classes, 3, 5);
                logits[0] = 1000f; // large logits must not overflow
                var rng = new Rng(4);
                var labels = Enumerable.Range(0, n).Select(_ => (int)(rng.NextUInt64() % (ulong)classes)).ToArray();
                var d = new Guarded(n * classes);
                var loss = CpuTrainKernels.Instance.SoftmaxCrossEntropy(ctx, n, classes, logits, labels, smoothing, d.Span);
                var ed = new float[n * classes];
                var eloss = R.SoftmaxCrossEntropy<float>(n, classes, logits, labels, smoothing, ed);
                Assert.True(ExactFloat.Same(eloss, loss), $"{context}: loss {loss} ≠ {eloss}");
                AssertBitEqual(ed, d.Span, context + " dlogits");
                d.AssertMarginsIntact(context);
            }
        }
    }

    [Fact]
    public void Bad_labels_indices_and_smoothing_are_refused_by_name()
    {
        using var ctx = new TrainContext(2);
        var k = CpuTrainKernels.Instance;
        var ex = Assert.Throws<ArgumentException>(() => k.SoftmaxCrossEntropy(ctx, 2, 3, new float[6], [0, 3], 0f, new float[6]));
        Assert.Contains("label 3 of sample 1", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => k.SoftmaxCrossEntropy(ctx, 2, 3, new float[6], [0, 1], 1.5f, new float[6]));
        Assert.Equal("smoothing", ex.ParamName);
        var p = Pool(2, 4, 4, 2, 2, 2, 0, 0, ceil: false);
        var argmax = new int[p.OutputLength];
        argmax[p.OutputLength / 2 + 1] = 0; // image 1 pointing into image 0: another part's memory
        ex = Assert.Throws<ArgumentException>(() => k.MaxPoolBackward(ctx, p, new float[p.OutputLength], argmax, new float[p.InputLength]));
        Assert.Equal("argmax", ex.ParamName);
        int outputs = (int)p.OutputLength, inputs = (int)p.InputLength;
        foreach (var (at, index) in new[] { (1, inputs / 2), (0, -1), (outputs - 1, inputs) })
        {
            // Image 0 pointing into image 1, below the batch, past it: each named by its position.
            var bad = Enumerable.Range(0, outputs).Select(o => o < outputs / 2 ? 0 : inputs / 2).ToArray();
            bad[at] = index;
            ex = Assert.Throws<ArgumentException>(() => k.MaxPoolBackward(ctx, p, new float[p.OutputLength], bad, new float[p.InputLength]));
            Assert.Contains($"argmax[{at}] = {index}", ex.Message);
        }
        ex = Assert.Throws<ArgumentException>(() => k.GatherChannels(ctx, 1, 2, 2, [0, 2], new float[2], new float[2]));
        Assert.Equal("map", ex.ParamName);
    }

    private static void AssertBitEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (!ExactFloat.Same(expected[i], actual[i]))
                Assert.Fail($"{context}: element {i} is {actual[i]:R}, the reference gives {expected[i]:R}");
        }
    }
}
