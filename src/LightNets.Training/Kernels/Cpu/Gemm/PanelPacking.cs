using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;

namespace LightNets.Training.Kernels.Cpu.Gemm;

/// <summary>
/// The panel layout of the inference GEMM's B operand (see <see cref="PackedMatrix"/>) for a K×N matrix on one tier:
/// panels of <see cref="Main"/> columns, the last one only as wide as its columns rounded up to 8, each holding K rows
/// of its width contiguously; padding columns are zero. Training packs its weights into this layout in scratch on every
/// call (the weights change every step), so that it runs the inference micro-kernels unchanged.
/// </summary>
internal readonly unsafe struct PanelLayout
{
    public PanelLayout(int k, int n, Isa isa)
    {
        K = k;
        N = n;
        Main = PackedMatrix.MainWidth(isa);
        Panels = (n + Main - 1) / Main;
        Last = (n - (Panels - 1) * Main + 7) / 8 * 8;
        PaddedWidth = (Panels - 1) * Main + Last;
    }

    public int K { get; }
    public int N { get; }
    public int Main { get; }
    public int Panels { get; }
    public int Last { get; }

    /// <summary>N rounded up to whole panels: the length of the padded bias.</summary>
    public int PaddedWidth { get; }

    public long DataFloats => (long)K * PaddedWidth;

    public int Width(int panel) => panel == Panels - 1 ? Last : Main;

    public nint Offset(int panel) => (nint)panel * K * Main;

    public PanelSet Set(float* data, float* bias) => new(data, bias, K, N, Main, Last);
}

/// <summary>Packs a B operand given in either of the two layouts training has into <see cref="PanelLayout"/> panels.</summary>
internal static unsafe class PanelPacking
{
    /// <summary>
    /// Panels [<paramref name="first"/>, <paramref name="end"/>) of B = Wᵀ, where W is [N, K] with row j at
    /// w + j·ldw (PyTorch's [out, in] weights: the forward product). Each panel is a transposition of a width × K block.
    /// </summary>
    public static void FromOutputMajor(in PanelLayout l, float* w, nint ldw, float* dst, int first, int end)
    {
        for (var panel = first; panel < end; panel++)
        {
            var width = l.Width(panel);
            var col0 = panel * l.Main;
            var cols = Math.Min(width, l.N - col0);
            var d = dst + l.Offset(panel);
            for (var j = 0; j < cols; j++)
            {
                var src = w + (col0 + j) * ldw;
                var column = d + j;
                for (nint kk = 0; kk < l.K; kk++) column[kk * width] = src[kk];
            }
            if (cols < width) ZeroColumns(d, l.K, width, cols);
        }
    }

    /// <summary>Panels [<paramref name="first"/>, <paramref name="end"/>) of B given row-major, row k at b + k·ldb (the backward-data product).</summary>
    public static void FromRowMajor(in PanelLayout l, float* b, nint ldb, float* dst, int first, int end)
    {
        for (var panel = first; panel < end; panel++)
        {
            var width = l.Width(panel);
            var col0 = panel * l.Main;
            var cols = Math.Min(width, l.N - col0);
            var d = dst + l.Offset(panel);
            for (nint kk = 0; kk < l.K; kk++)
                new ReadOnlySpan<float>(b + kk * ldb + col0, cols).CopyTo(new Span<float>(d + kk * width, cols));
            if (cols < width) ZeroColumns(d, l.K, width, cols);
        }
    }

    /// <summary>The padded bias: N values (zeros when <paramref name="bias"/> is null) then zeros up to the padded width.</summary>
    public static void Bias(in PanelLayout l, float* bias, float* dst)
    {
        var padded = new Span<float>(dst, l.PaddedWidth);
        padded.Clear();
        if (bias != null) new ReadOnlySpan<float>(bias, l.N).CopyTo(padded);
    }

    private static void ZeroColumns(float* panel, int k, int width, int cols)
    {
        for (nint kk = 0; kk < k; kk++) new Span<float>(panel + kk * width + cols, width - cols).Clear();
    }
}
