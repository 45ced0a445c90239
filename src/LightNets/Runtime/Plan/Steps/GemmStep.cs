using System.Runtime.Intrinsics;
using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>One group of a (grouped) 1×1 convolution or FC: its packed weights and where it reads and writes.</summary>
internal sealed class GemmGroup(PackedMatrix weights, int[]? kIndex, int kOffset, int nOffset)
{
    public PackedMatrix Weights { get; } = weights;

    /// <summary>Physical input channels to gather, or null to read [KOffset, KOffset + K) densely.</summary>
    public int[]? KIndex { get; } = kIndex;

    public int KOffset { get; } = kOffset;

    /// <summary>First output channel of the group.</summary>
    public int NOffset { get; } = nOffset;
}

/// <summary>
/// A 1×1 convolution (grouped or not) or an FC layer over NHWC pixels as M = N·H·W GEMM rows, with the fused epilogue
/// (bias = folded BN, residual add, activation). With an SE scale the weights are scaled per image by s[n, k] into
/// the arena before the GEMM (A·diag(s)·B = A·(diag(s)·B), cheaper than scaling the H·W·K activations).
/// </summary>
internal sealed class GemmStep : Step
{
    private readonly TensorView _input;
    private readonly TensorView _output;
    private readonly TensorView? _residual;
    private readonly TensorView? _scale;
    private readonly GemmGroup[] _groups;
    private readonly FusedActivation _activation;
    private readonly int _rows;
    private readonly string _description;
    private readonly bool _splitPanels;
    private readonly int _tile;
    private readonly long _macs;
    private readonly int _minPanels;

    public GemmStep(string name, IReadOnlyList<Node> nodes, string description, TensorView input, TensorView output,
        TensorView? residual, TensorView? scale, GemmGroup[] groups, FusedActivation activation, Isa isa)
        : base(name, nodes)
    {
        _input = input;
        _output = output;
        _residual = residual;
        _scale = scale;
        _groups = groups;
        _activation = activation;
        _description = description;
        _rows = input.Batch * input.Height * input.Width;
        _tile = GemmKernel.TileRows(isa);
        if (scale is not null && groups.Length != 1) throw new InvalidOperationException($"{name}: an SE scale needs an ungrouped conv");
        // Few rows (FC at batch 1, 7×7 maps, SE's per-image weights): split the output panels across threads instead.
        _splitPanels = scale is not null || _rows < PanelSplitRows(isa);
        _macs = (long)_rows * groups.Sum(g => (long)g.Weights.K * g.Weights.N);
        _minPanels = groups.Min(g => g.Weights.Panels);
    }

    /// <summary>Below this many rows a GEMM step splits its output panels across threads rather than its rows.</summary>
    public static int PanelSplitRows(Isa isa) => 4 * 8 * GemmKernel.TileRows(isa);

    public override string Describe() => _description;

    public override IEnumerable<TensorView> Operands()
    {
        yield return _input;
        yield return _output;
        if (_residual is not null) yield return _residual;
        if (_scale is not null) yield return _scale;
    }

    public override bool CanPrefetch => true;

    /// <summary>The FC's weights, for the compiler to schedule as another step's prefetch.</summary>
    public unsafe PrefetchRange Weights => _groups.Length == 1 ? new((nint)_groups[0].Weights.Address, _groups[0].Weights.Bytes) : default;

    /// <summary>Rows of A: batch × pixels.</summary>
    public int Rows => _rows;

    public override long ScratchFloats => _scale is null ? 0 : (long)_groups[0].Weights.Data.Length;

    public override int Parts(int threads)
    {
        return PartsFor(_macs, threads, _splitPanels ? _minPanels : (_rows + _tile - 1) / _tile);
    }

    public override unsafe void Run(in RunContext ctx, int part, int parts)
    {
        var a = ctx.Base(_input);
        var c = ctx.Base(_output);
        var r = _residual is null ? null : ctx.Base(_residual);
        if (_scale is not null)
        {
            RunScaled(ctx, a, c, r, part, parts);
            return;
        }
        var (prefetch, prefetchBytes) = Prefetch.Share(part, parts);
        foreach (var g in _groups)
        {
            var w = g.Weights;
            var (rowStart, rowEnd) = _splitPanels ? (0, _rows) : Share(_rows, part, parts, _tile);
            var (panelStart, panelEnd) = _splitPanels ? Share(w.Panels, part, parts) : (0, w.Panels);
            fixed (float* packed = w.Data)
            fixed (float* bias = w.Bias)
            fixed (int* index = g.KIndex)
            {
                var args = Args(a, c, r, g, index) with { Prefetch = (byte*)prefetch, PrefetchBytes = prefetchBytes };
                prefetchBytes = 0; // all of it during the first group
                GemmKernel.Run(PanelSet.Of(w, packed, bias), args, rowStart, rowEnd, panelStart, panelEnd, ctx.Isa);
            }
        }
    }

    private unsafe void RunScaled(in RunContext ctx, float* a, float* c, float* r, int part, int parts)
    {
        var g = _groups[0];
        var w = g.Weights;
        var pixels = _input.Height * _input.Width;
        var (panelStart, panelEnd) = Share(w.Panels, part, parts);
        var scaled = ctx.Arena + ScratchOffset;
        fixed (float* packed = w.Data)
        fixed (float* bias = w.Bias)
        fixed (int* index = g.KIndex)
        {
            for (var n = 0; n < _input.Batch; n++)
            {
                // Scale this thread's panels of B by this image's SE gate: row k of every panel × s[n, k].
                var s = ctx.Base(_scale!, n);
                var set = PanelSet.Of(w, packed, bias);
                for (var panel = panelStart; panel < panelEnd; panel++)
                {
                    var width = set.Width(panel);
                    var src = packed + set.Offset(panel);
                    var dst = scaled + set.Offset(panel);
                    for (var k = 0; k < w.K; k++)
                        ScaleRow(src + k * width, dst + k * width, width, s[k], ctx.Isa);
                }
                var args = Args(a + n * _input.BatchStride, c + n * _output.BatchStride,
                    r == null ? null : r + n * _residual!.BatchStride, g, index);
                GemmKernel.Run(PanelSet.Of(w, scaled, bias), args, 0, pixels, panelStart, panelEnd, ctx.Isa);
            }
        }
    }

    private unsafe GemmArgs Args(float* a, float* c, float* r, GemmGroup g, int* index) => new()
    {
        A = a + (index == null ? g.KOffset : 0),
        Lda = _input.PixelStride,
        KIndex = index,
        C = c + g.NOffset,
        Ldc = _output.PixelStride,
        Residual = r == null ? null : r + g.NOffset,
        Ldr = _residual?.PixelStride ?? 0,
        Activation = _activation,
    };

    private static unsafe void ScaleRow(float* src, float* dst, int count, float factor, Isa isa)
    {
        var i = 0;
        if (isa == Isa.V512)
        {
            var f = Vector512.Create(factor);
            for (; i + 16 <= count; i += 16)
                (Vector512.Load(src + i) * f).Store(dst + i);
        }
        else if (isa == Isa.V256)
        {
            var f = Vector256.Create(factor);
            for (; i + 8 <= count; i += 8)
                (Vector256.Load(src + i) * f).Store(dst + i);
        }
        else if (isa == Isa.V128)
        {
            var f = Vector128.Create(factor);
            for (; i + 4 <= count; i += 4)
                (Vector128.Load(src + i) * f).Store(dst + i);
        }
        for (; i < count; i++) dst[i] = src[i] * factor;
    }
}
