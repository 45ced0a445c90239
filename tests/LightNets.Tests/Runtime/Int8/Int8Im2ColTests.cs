using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Tensors;
using QuantParams = LightNets.Graphs.QuantParams;

namespace LightNets.Tests.Runtime.Int8;

/// <summary>
/// The int8 k×k convolution (im2col + int8 GEMM) on geometries its unfolding treats differently: the stem's interior
/// loop (3 tap rows of ≤ 16 bytes), runs longer than 16 bytes, 5×5 windows, strides, asymmetric padding, dilation,
/// rows wider than one tile of 256 pixels, and images so small that every pixel is an edge pixel. The int8 plan
/// must agree with the float QDQ plan to one output step (exact integer sums against float sums), and a wrong tap
/// would be many steps off.
/// </summary>
public sealed class Int8Im2ColTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int> Geometries() => new()
    {
        // kernel, stride, pad top, pad left, pad bottom, pad right, dilation, C_in, H×W (H = W unless noted)
        { 3, 2, 1, 1, 1, 1, 1, 3, 19 },
        { 3, 2, 0, 1, 1, 0, 1, 3, 18 },
        { 3, 1, 1, 1, 1, 1, 1, 3, 300 },
        { 3, 1, 1, 1, 1, 1, 1, 6, 9 },
        { 5, 2, 2, 2, 2, 2, 1, 2, 13 },
        { 3, 1, 0, 0, 0, 0, 2, 4, 11 },
        { 3, 2, 2, 0, 0, 2, 1, 1, 7 },
        { 5, 1, 2, 2, 2, 2, 1, 3, 3 },
        { 3, 3, 1, 1, 1, 1, 1, 5, 17 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void An_int8_kxk_convolution_agrees_with_the_float_qdq_plan(int k, int stride, int top, int left, int bottom, int right,
        int dilation, int cin, int size)
    {
        // A row wider than one unfolding tile (256 pixels) gets a short height, to keep the test quick.
        var (h, w) = size > 64 ? (4, size) : (size, size);
        var graph = Conv(k, stride, new Padding2d(top, left, bottom, right), dilation, cin, h, w, out var step);
        var x = new Rng(31).NormalTensor(2, cin, h, w);
        using var reference = new InferenceSession(graph, new SessionOptions { Threads = 1, Int8 = false });
        var expected = reference.Run(x);
        foreach (var (path, threads, session, profile) in Int8PlanTests.EveryInt8Plan(graph, x, expected.Length))
        {
            Assert.Contains(profile, s => s.Operator.Contains("im2col", StringComparison.Ordinal) && s.Operator.StartsWith("int8", StringComparison.Ordinal));
            var actual = session.Run(x);
            var differ = 0;
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(MathF.Abs(actual.Data[i] - expected.Data[i]) <= step * 1.001f,
                    $"{path}, {threads} threads, element {i}: {actual.Data[i]} vs {expected.Data[i]} (step {step})");
                if (actual.Data[i] != expected.Data[i]) differ++;
            }
            Assert.True(differ <= expected.Length / 20 + 1, $"{path}: {differ} of {expected.Length} elements a step apart");
        }
    }

    /// <summary>x → QDQ u8 (zero point 120, so padding is not code 0) → conv with per-channel int8 weights → QDQ u8.</summary>
    private static Graph Conv(int k, int stride, Padding2d pads, int dilation, int cin, int h, int w, out float step)
    {
        const int cout = 20;
        var b = new GraphBuilder("im2col", new WeightInit(Seed: 7));
        var x = b.Input("x", Shape.Nchw(2, cin, h, w));
        var xq = b.FakeQuantize(x, QuantParams.PerTensor(0.02f, 120, QuantType.UInt8), "x_q");
        var scales = Enumerable.Range(0, cout).Select(o => 0.004f + 0.001f * (o % 5)).ToArray();
        var wQuant = new QuantParams(scales, new int[cout], QuantType.Int8, axis: 0);
        var weights = b.AddInitializer("w", wQuant.FakeQuantize(new Rng(13).NormalTensor(cout, cin, k, k)));
        var bias = b.AddInitializer("bias", new Rng(14).NormalTensor(cout));
        var op = new Conv2dOp(k, k, stride, stride, pads, dilation, dilation) { WeightQuant = wQuant };
        var conv = b.AddNode("conv", op, [xq.Name, weights, bias], ["conv"])[0];
        step = 0.03f;
        b.Output(b.FakeQuantize(conv, QuantParams.PerTensor(step, 100, QuantType.UInt8), "y_q"));
        return b.Build();
    }
}
