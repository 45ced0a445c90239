using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>
/// An expansion 1×1 convolution and the depthwise convolution it feeds, split across threads by channels instead of
/// by rows: each part expands the whole image for its run of channels (whole GEMM panels) into its scratch and convolves
/// those channels. On small maps a row split makes every thread recompute most of the expansion, because a band's
/// window reaches k − s rows into its neighbours' (a 7×7 map with a 5×5 kernel in two bands: each band needs all 7
/// input rows); channels have no halo, so the expansion is computed exactly once. The compiler picks this form with
/// more than one thread when <see cref="FusedDepthwiseStep.ExpansionRecompute"/> says the row split would redo too much.
/// </summary>
internal sealed class ChannelSplitDepthwiseStep : Step
{
    /// <summary>
    /// One run of channels: whole panels of one expansion group (a grouped expansion, ShuffleNetV1's, has one packed
    /// matrix per group), and the depthwise weights packed for just those channels.
    /// </summary>
    private sealed record ChannelRun(GemmGroup Group, int First, int Count, int PanelStart, int PanelEnd, DwConvShape Shape, float[] Weights, float[] Bias);

    private readonly TensorView _input;
    private readonly TensorView _output;
    private readonly FusedActivation _expandAct, _dwAct;
    private readonly ChannelRun[] _runs;
    private readonly int _eStride, _maxParts;
    private readonly string _description;
    private readonly long _work;

    public ChannelSplitDepthwiseStep(string name, IReadOnlyList<Node> nodes, TensorView input, TensorView output, PointwiseStage expand,
        DwConvShape shape, float[] dwWeights, float[] dwBias, FusedActivation dwAct, string dwDescription, int threads) : base(name, nodes)
    {
        _input = input;
        _output = output;
        _expandAct = expand.Activation;
        _dwAct = dwAct;
        _description = $"{expand.Description} → {dwDescription} (split by channels)";
        _work = (long)output.Batch * (expand.MacsPerPixel * shape.H * shape.W + (long)shape.OH * shape.OW * shape.C * shape.KH * shape.KW);

        // About two runs per thread, each a whole number of one group's panels, so that no panel is computed twice.
        var perGroup = Math.Max(1, (2 * threads + expand.Groups.Length - 1) / expand.Groups.Length);
        var taps = shape.KH * shape.KW;
        var runs = new List<ChannelRun>();
        foreach (var g in expand.Groups.OrderBy(g => g.NOffset))
        {
            var w = g.Weights;
            var count = Math.Min(perGroup, w.Panels);
            for (var i = 0; i < count; i++)
            {
                var (p0, p1) = (w.Panels * i / count, w.Panels * (i + 1) / count);
                var first = g.NOffset + p0 * w.PanelWidth;
                var channels = Math.Min(p1 * w.PanelWidth, w.N) - p0 * w.PanelWidth;
                var bias = new float[DwConv.PackedChannels(channels)];
                dwBias.AsSpan(first, channels).CopyTo(bias);
                runs.Add(new ChannelRun(g, first, channels, p0, p1, shape with { C = channels },
                    DwConv.PackWeights(dwWeights.AsSpan(first * taps, channels * taps), channels, shape.KH, shape.KW), bias));
            }
        }
        if (runs.Sum(r => r.Count) != shape.C)
            throw new ArgumentException($"the expansion's groups cover {runs.Sum(r => r.Count)} of the depthwise's {shape.C} channels", nameof(expand));
        _runs = [.. runs];
        _maxParts = Math.Max(1, 2 * threads);
        _eStride = _runs.Max(r => r.Count);
        if (_eStride % 256 == 0) _eStride += 16; // rows a multiple of 1 KiB apart alias in the L1 sets
    }

    public override string Describe() => _description;

    public override IEnumerable<TensorView> Operands() => [_input, _output];

    private long EFloats => (long)_runs[0].Shape.H * _runs[0].Shape.W * _eStride;

    /// <summary>One expanded run per part: as many parts as there may be, not as many runs (a batch has more units than runs).</summary>
    public override long ScratchFloats => _maxParts * EFloats;

    private int Units => _output.Batch * _runs.Length;

    public override int Parts(int threads) => PartsFor(_work, threads, Math.Min(Units, _maxParts));

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var (start, end) = Share(Units, part, parts);
        var e = ctx.Arena + ScratchOffset + part * EFloats;
        for (var u = start; u < end; u++)
        {
            var n = u / _runs.Length;
            var run = _runs[u % _runs.Length];
            var g = run.Group;
            var s = run.Shape;
            fixed (float* packed = g.Weights.Data)
            fixed (float* bias = g.Weights.Bias)
            fixed (int* index = g.KIndex)
            fixed (float* dw = run.Weights)
            fixed (float* dwBias = run.Bias)
            {
                // The GEMM writes the group's column c at C + row·ldc + c: shift C so that the run's first column lands at e[0].
                var args = new GemmArgs
                {
                    A = ctx.Base(_input, n) + (index == null ? g.KOffset : 0), Lda = _input.PixelStride, KIndex = index,
                    C = e - (run.First - g.NOffset), Ldc = _eStride, Activation = _expandAct,
                };
                GemmKernel.Run(PanelSet.Of(g.Weights, packed, bias), args, 0, s.H * s.W, run.PanelStart, run.PanelEnd, ctx.Isa);
                DwConv.Run(s, e, _eStride, dw, dwBias, ctx.Base(_output, n) + run.First, _output.PixelStride, 0, s.OH, _dwAct, ctx.Isa);
            }
        }
    }
}
