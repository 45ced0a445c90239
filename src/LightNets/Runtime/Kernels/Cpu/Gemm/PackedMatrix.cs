namespace LightNets.Runtime.Kernels.Cpu.Gemm;

/// <summary>
/// The B operand of a GEMM (K×N; for a 1×1 convolution the weights, K = C_in, N = C_out) packed once into panels of
/// <see cref="PanelWidth"/> columns: panel p holds rows k = 0..K−1 of columns p·NR .. p·NR+NR−1, contiguous, so the
/// micro-kernel streams it with aligned vector loads. The last panel is zero-padded; <see cref="Bias"/> likewise.
/// </summary>
public sealed class PackedMatrix
{
    private PackedMatrix(int k, int n, int panelWidth, float[] data, float[] bias)
    {
        K = k;
        N = n;
        PanelWidth = panelWidth;
        Data = data;
        Bias = bias;
    }

    public int K { get; }
    public int N { get; }

    /// <summary>NR: columns per panel (a multiple of the vector width).</summary>
    public int PanelWidth { get; }

    public int Panels => (N + PanelWidth - 1) / PanelWidth;

    /// <summary>Panels, each K × NR floats.</summary>
    public float[] Data { get; }

    /// <summary>Bias per column, zero-padded to Panels × NR (zeros when the layer has none).</summary>
    public float[] Bias { get; }

    public int PanelStride => K * PanelWidth;

    /// <summary>Packs W given as [N, K] (a conv weight [C_out, C_in, 1, 1] or an FC weight [out, in]).</summary>
    public static PackedMatrix FromOutputMajor(ReadOnlySpan<float> w, int n, int k, ReadOnlySpan<float> bias, int panelWidth)
    {
        if (w.Length != (long)n * k) throw new ArgumentException($"weights hold {w.Length} values, not {n}×{k}");
        var panels = (n + panelWidth - 1) / panelWidth;
        var data = new float[(long)panels * k * panelWidth];
        for (var col = 0; col < n; col++)
        {
            var panel = col / panelWidth;
            var lane = col % panelWidth;
            var dst = (long)panel * k * panelWidth + lane;
            for (var kk = 0; kk < k; kk++)
                data[dst + (long)kk * panelWidth] = w[col * k + kk];
        }
        var b = new float[panels * panelWidth];
        if (!bias.IsEmpty) bias.CopyTo(b);
        return new PackedMatrix(k, n, panelWidth, data, b);
    }

    /// <summary>Packs B given as [K, N] row-major.</summary>
    public static PackedMatrix FromRowMajor(ReadOnlySpan<float> b, int k, int n, ReadOnlySpan<float> bias, int panelWidth)
    {
        var t = new float[(long)n * k];
        for (var kk = 0; kk < k; kk++)
            for (var col = 0; col < n; col++)
                t[col * k + kk] = b[kk * n + col];
        return FromOutputMajor(t, n, k, bias, panelWidth);
    }
}
